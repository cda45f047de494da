CREATE INDEX asset_spans_current ON registry.asset_spans (kind, region_code, valid_from)
  INCLUDE (valid_to, high_value_from, well_known_from, foreign_family_from)
  WHERE known_to IS NULL;
