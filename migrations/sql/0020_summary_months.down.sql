-- The day rows back, from the log (the current spans' deltas are the log's sum over all seqs).
ALTER TABLE registry.indicator_counts DROP CONSTRAINT indicator_counts_grain_check;
ALTER TABLE registry.indicator_counts ADD CONSTRAINT indicator_counts_grain_check CHECK (grain IN ('y', 'm', 'd'));
INSERT INTO registry.indicator_counts (region_code, grain, period, metric, delta)
SELECT region_code, 'd', day, metric, sum(delta) FROM registry.indicator_count_log
GROUP BY region_code, day, metric HAVING sum(delta) <> 0;
