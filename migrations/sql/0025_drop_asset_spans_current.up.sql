-- asset_spans_current (0003) served the indicators' counts straight from the current spans,
-- before they were read from summaries (0005, 0013). No read uses it now: the asset list's
-- filters and the pledge check look spans up by asset (asset_spans_asset), the new GI marks and
-- the naive count by kind and seq (asset_spans_known, and known_to IS NULL OR known_to > k,
-- which the partial index cannot answer). Every span written and closed still updated it: one
-- index of three in a bulk load's span insert (issue 13). Where the planner did pick it, with
-- statistics a load had outdated, it was the slow plan (docs/BENCHMARKS.md, fifth session).
DROP INDEX registry.asset_spans_current;
