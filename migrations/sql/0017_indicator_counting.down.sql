DROP INDEX IF EXISTS registry.asset_events_family;
DROP TABLE IF EXISTS registry.official_values;
ALTER TABLE registry.targets DROP COLUMN IF EXISTS comparison;
