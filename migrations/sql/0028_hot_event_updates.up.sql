-- An asset event closes the asset's current spans (known_to set) and rewrites its current
-- columns in registry.assets. Neither changes a column an index reads any more, so both can be
-- HOT updates, which add no index entries, when the row's page has room; 0003's
-- asset_spans_known ended in known_to, so every closed span took a new entry in both of the
-- spans' indexes, and a full page put every event's asset row into all of the assets' indexes.
-- known_to is still tested by the reads that use this index (the new GI marks, the naive
-- count), on the rows they fetch anyway. fillfactor keeps a tenth of each page free for those
-- updates; it applies to pages written from now on (docs/BENCHMARKS.md, eighth session).
DROP INDEX registry.asset_spans_known;
CREATE INDEX asset_spans_known ON registry.asset_spans (kind, region_code, known_from);
ALTER TABLE registry.asset_spans SET (fillfactor = 90);
ALTER TABLE registry.assets SET (fillfactor = 90);
