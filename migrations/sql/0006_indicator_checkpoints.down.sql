-- Back to 0005's trigger functions.
CREATE OR REPLACE FUNCTION registry.indicator_spans_changed() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
  q constant text := $q$
    WITH ch AS (SELECT * FROM %I),
    c AS (
      SELECT ch.region_code, m.metric, m.day, s.seq, s.sgn, $1 * m.d * s.sgn AS delta, ch.known_to IS NULL AS cur
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
    lg AS (
      INSERT INTO registry.indicator_count_log AS t (seq, region_code, metric, day, delta)
      SELECT seq, region_code, metric, day, sum(delta) FROM c GROUP BY 1, 2, 3, 4
      ON CONFLICT (seq, region_code, metric, day) DO UPDATE SET delta = t.delta + EXCLUDED.delta
    )
    INSERT INTO registry.indicator_counts AS t (region_code, grain, period, metric, delta)
    SELECT c.region_code, g.grain, date_trunc(g.unit, c.day::timestamp)::date, c.metric, sum(c.delta)
    FROM c CROSS JOIN (VALUES ('y'::"char", 'year'), ('m'::"char", 'month'), ('d'::"char", 'day')) AS g(grain, unit)
    WHERE c.cur AND c.sgn = 1
    GROUP BY 1, 2, 3, 4
    ON CONFLICT (region_code, grain, period, metric) DO UPDATE SET delta = t.delta + EXCLUDED.delta
  $q$;
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    EXECUTE format(q, 'old_spans') USING -1;
  END IF;
  IF TG_OP IN ('UPDATE', 'INSERT') THEN
    EXECUTE format(q, 'new_spans') USING 1;
  END IF;
  RETURN NULL;
END
$fn$;

CREATE OR REPLACE FUNCTION registry.indicator_spans_truncated() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  DELETE FROM registry.indicator_counts;
  DELETE FROM registry.indicator_count_log;
  RETURN NULL;
END
$fn$;
DROP FUNCTION IF EXISTS registry.indicator_checkpoint(bigint);
DROP INDEX IF EXISTS registry.indicator_count_log_day;
DROP TABLE IF EXISTS registry.indicator_checkpoint_counts, registry.indicator_checkpoints,
  registry.indicator_checkpoint_every;
