-- An asset event closes the asset's current spans (known_to set) and rewrites its current
-- columns in registry.assets. 0003's asset_spans_known ended in known_to, so every closed span
-- took a new entry in both of the spans' indexes; without it, closing a span changes no indexed
-- column. The assets' update changes one (region_code, in assets_region) only when the event
-- moves the asset to another unit. Either can then be a HOT update, which adds no index entry,
-- when the row's page has room: fillfactor keeps a tenth of each page free for them (it
-- applies to pages written from now on). The two reads that use this index (the new GI marks,
-- the naive count) now read known_to from the table, for the spans closed since, rather than
-- from the index (docs/BENCHMARKS.md, eighth session). The index is rebuilt under an exclusive
-- lock: a few seconds at a million rights.
DROP INDEX registry.asset_spans_known;
CREATE INDEX asset_spans_known ON registry.asset_spans (kind, region_code, known_from);
ALTER TABLE registry.asset_spans SET (fillfactor = 90);
ALTER TABLE registry.assets SET (fillfactor = 90);
