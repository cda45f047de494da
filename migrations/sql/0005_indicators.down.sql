DROP INDEX IF EXISTS registry.pledge_financing_region_date;
DROP TRIGGER IF EXISTS asset_spans_indicator_trunc ON registry.asset_spans;
DROP TRIGGER IF EXISTS asset_spans_indicator_del ON registry.asset_spans;
DROP TRIGGER IF EXISTS asset_spans_indicator_upd ON registry.asset_spans;
DROP TRIGGER IF EXISTS asset_spans_indicator_ins ON registry.asset_spans;
DROP FUNCTION IF EXISTS registry.indicator_spans_truncated();
DROP FUNCTION IF EXISTS registry.indicator_spans_changed();
DROP TABLE IF EXISTS registry.indicator_count_log, registry.indicator_counts,
  registry.baselines, registry.targets, registry.population;
