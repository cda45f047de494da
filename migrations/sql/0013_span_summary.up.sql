-- The indicator summaries (registry.indicator_counts, indicator_count_log and its checkpoints)
-- are kept by the registry's projection, set-based per write, in the statements that change
-- registry.asset_spans (registry/span_write.go), no longer by statement triggers on the spans:
-- the triggers recomputed each statement's deltas in SQL from transition tables and cost more
-- than the spans' own insert (issue 13, docs/BENCHMARKS.md). The summaries' meaning is
-- unchanged, so the rows already there stay. Rebuild empties the summaries with the spans.
DROP TRIGGER asset_spans_indicator_ins ON registry.asset_spans;
DROP TRIGGER asset_spans_indicator_upd ON registry.asset_spans;
DROP TRIGGER asset_spans_indicator_del ON registry.asset_spans;
DROP TRIGGER asset_spans_indicator_trunc ON registry.asset_spans;
DROP FUNCTION registry.indicator_spans_changed();
DROP FUNCTION registry.indicator_spans_truncated();
