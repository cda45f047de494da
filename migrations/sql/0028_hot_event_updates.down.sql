ALTER TABLE registry.assets RESET (fillfactor);
ALTER TABLE registry.asset_spans RESET (fillfactor);
DROP INDEX registry.asset_spans_known;
CREATE INDEX asset_spans_known ON registry.asset_spans (kind, region_code, known_from, known_to);
