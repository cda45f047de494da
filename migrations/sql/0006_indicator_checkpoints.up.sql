-- Checkpoints of registry.indicator_count_log, so that a count as known at any seq K reads one
-- checkpoint plus a bounded tail of the log instead of summing the log from one end.
--
-- Every `every` seqs (registry.indicator_checkpoint_every, default 20,000) the trigger on
-- registry.asset_spans records the log's cumulative deltas up to that seq C, summed by unit,
-- metric and year / month of the day (registry.indicator_checkpoint_counts). The count on D as
-- known at K is then, with the checkpoint C nearest to K:
--   Σ checkpoint rows of C for the years before D's year and the months of D's year before D's month
--   + Σ log rows with seq <= K on the days of D's month up to D        (indicator_count_log_day)
--   ± Σ log rows with seq between C and K on days before D's month      (the tail: < every/2 seqs)
-- A checkpoint at C is made only once every entry up to C has its log rows (entries are applied
-- in seq order); when rows at or before a checkpoint change (Rebuild empties the spans and
-- replays them), the checkpoints from there on are dropped and remade as the replay passes them.

CREATE TABLE registry.indicator_checkpoint_every (
  one   boolean PRIMARY KEY DEFAULT true CHECK (one),
  every bigint  NOT NULL CHECK (every > 0)
);
INSERT INTO registry.indicator_checkpoint_every (every) VALUES (20000);

CREATE TABLE registry.indicator_checkpoints (
  seq bigint PRIMARY KEY           -- the log up to and including this seq is summed
);

CREATE TABLE registry.indicator_checkpoint_counts (
  seq         bigint NOT NULL,     -- the checkpoint
  region_code text   NOT NULL,
  grain       "char" NOT NULL CHECK (grain IN ('y', 'm')),
  period      date   NOT NULL,     -- first day of the year / month
  metric      text   NOT NULL,
  delta       bigint NOT NULL,
  PRIMARY KEY (seq, region_code, grain, period, metric)
);

-- The log by unit and day, for the days of the as-of month as known at K.
CREATE INDEX indicator_count_log_day ON registry.indicator_count_log (region_code, day) INCLUDE (seq, metric, delta);

-- Replaces 0005's: an UPDATE's old and new rows are netted in one statement (closing a span
-- leaves its known_from rows unchanged, so nothing is written for them), and checkpoints follow.
CREATE OR REPLACE FUNCTION registry.indicator_spans_changed() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
  q constant text := $q$
    WITH ch AS (%s),
    c AS (
      SELECT ch.region_code, m.metric, m.day, s.seq, s.sgn, ch.w * m.d * s.sgn AS delta, ch.known_to IS NULL AS cur
      FROM ch
      CROSS JOIN LATERAL (VALUES (ch.known_from, 1), (ch.known_to, -1)) AS s(seq, sgn)
      CROSS JOIN LATERAL (VALUES
        (ch.kind, ch.valid_from, 1),
        (ch.kind, ch.valid_to, -1),
        (ch.kind || '/high_value', ch.high_value_from, 1),
        (ch.kind || '/high_value', CASE WHEN ch.high_value_from IS NOT NULL THEN ch.valid_to END, -1),
        (ch.kind || '/well_known', ch.well_known_from, 1),
        (ch.kind || '/well_known', CASE WHEN ch.well_known_from IS NOT NULL THEN ch.valid_to END, -1),
        (ch.kind || '/foreign_family', ch.foreign_family_from, 1),
        (ch.kind || '/foreign_family', CASE WHEN ch.foreign_family_from IS NOT NULL THEN ch.valid_to END, -1)
      ) AS m(metric, day, d)
      WHERE s.seq IS NOT NULL AND m.day IS NOT NULL
    ),
    net AS (
      SELECT seq, region_code, metric, day, sum(delta) AS delta FROM c GROUP BY 1, 2, 3, 4 HAVING sum(delta) <> 0
    ),
    lg AS (
      INSERT INTO registry.indicator_count_log AS t (seq, region_code, metric, day, delta)
      SELECT seq, region_code, metric, day, delta FROM net
      ON CONFLICT (seq, region_code, metric, day) DO UPDATE SET delta = t.delta + EXCLUDED.delta
    ),
    ct AS (
      INSERT INTO registry.indicator_counts AS t (region_code, grain, period, metric, delta)
      SELECT c.region_code, g.grain, date_trunc(g.unit, c.day::timestamp)::date, c.metric, sum(c.delta)
      FROM c CROSS JOIN (VALUES ('y'::"char", 'year'), ('m'::"char", 'month'), ('d'::"char", 'day')) AS g(grain, unit)
      WHERE c.cur AND c.sgn = 1
      GROUP BY 1, 2, 3, 4
      HAVING sum(c.delta) <> 0
      ON CONFLICT (region_code, grain, period, metric) DO UPDATE SET delta = t.delta + EXCLUDED.delta
    )
    SELECT min(seq), max(seq) FROM net
  $q$;
  lo bigint;
  hi bigint;
BEGIN
  IF TG_OP = 'INSERT' THEN
    EXECUTE format(q, 'SELECT 1 AS w, * FROM new_spans') INTO lo, hi;
  ELSIF TG_OP = 'DELETE' THEN
    EXECUTE format(q, 'SELECT -1 AS w, * FROM old_spans') INTO lo, hi;
  ELSE
    EXECUTE format(q, 'SELECT -1 AS w, * FROM old_spans UNION ALL SELECT 1 AS w, * FROM new_spans') INTO lo, hi;
  END IF;
  IF lo IS NOT NULL THEN
    PERFORM registry.indicator_checkpoint(lo);
  END IF;
  RETURN NULL;
END
$fn$;

-- indicator_checkpoint is told that the log changed at seqs from lo on: it drops the
-- checkpoints at or after lo, and makes those due below lo (every entry before lo is applied).
CREATE FUNCTION registry.indicator_checkpoint(lo bigint) RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE
  last bigint;
  n bigint;
  c bigint;
BEGIN
  SELECT max(seq) INTO last FROM registry.indicator_checkpoints;
  IF last IS NOT NULL AND lo <= last THEN
    DELETE FROM registry.indicator_checkpoint_counts WHERE seq >= lo;
    DELETE FROM registry.indicator_checkpoints WHERE seq >= lo;
    SELECT max(seq) INTO last FROM registry.indicator_checkpoints;
  END IF;
  SELECT every INTO n FROM registry.indicator_checkpoint_every;
  c := (coalesce(last, 0) / n + 1) * n;
  WHILE c < lo LOOP
    INSERT INTO registry.indicator_checkpoint_counts (seq, region_code, grain, period, metric, delta)
    SELECT c, x.region_code, x.grain, x.period, x.metric, sum(x.delta)
    FROM (
      SELECT p.region_code, p.grain, p.period, p.metric, p.delta
      FROM registry.indicator_checkpoint_counts p WHERE p.seq = last
      UNION ALL
      SELECT l.region_code, g.grain, date_trunc(g.unit, l.day::timestamp)::date, l.metric, l.delta
      FROM registry.indicator_count_log l
      CROSS JOIN (VALUES ('y'::"char", 'year'), ('m'::"char", 'month')) AS g(grain, unit)
      WHERE l.seq > coalesce(last, 0) AND l.seq <= c
    ) x
    GROUP BY 2, 3, 4, 5
    HAVING sum(x.delta) <> 0;
    INSERT INTO registry.indicator_checkpoints (seq) VALUES (c);
    last := c;
    c := c + n;
  END LOOP;
END
$fn$;

CREATE OR REPLACE FUNCTION registry.indicator_spans_truncated() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  DELETE FROM registry.indicator_counts;
  DELETE FROM registry.indicator_count_log;
  DELETE FROM registry.indicator_checkpoint_counts;
  DELETE FROM registry.indicator_checkpoints;
  RETURN NULL;
END
$fn$;

REVOKE ALL ON registry.indicator_checkpoint_every, registry.indicator_checkpoints,
  registry.indicator_checkpoint_counts FROM PUBLIC;
GRANT SELECT ON registry.indicator_checkpoint_every TO ipledger_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON registry.indicator_checkpoints, registry.indicator_checkpoint_counts TO ipledger_app;
