-- registry.assets' JSON columns (attributes, and registration: the asset.registered payload)
-- are read whole and never filtered on, so their statistics serve no plan; sampling them was
-- most of the ANALYZE an import runs when it ends (0024; docs/BENCHMARKS.md, sixth session).
ALTER TABLE registry.assets ALTER COLUMN registration SET STATISTICS 0, ALTER COLUMN attributes SET STATISTICS 0;
