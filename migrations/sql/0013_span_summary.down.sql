-- Back to the statement triggers of 0005/0006 (with 0010's function).
CREATE FUNCTION registry.indicator_spans_changed() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
  lo bigint;
  hi bigint;
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF NOT EXISTS (SELECT FROM new_spans) THEN
      RETURN NULL;
    END IF;
      WITH ch AS (SELECT 1 AS w, * FROM new_spans),
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
      SELECT min(seq), max(seq) FROM net INTO lo, hi;
  ELSIF TG_OP = 'DELETE' THEN
    IF NOT EXISTS (SELECT FROM old_spans) THEN
      RETURN NULL;
    END IF;
      WITH ch AS (SELECT -1 AS w, * FROM old_spans),
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
      SELECT min(seq), max(seq) FROM net INTO lo, hi;
  ELSE
    IF NOT EXISTS (SELECT FROM old_spans) THEN
      RETURN NULL; -- an UPDATE that matched no span
    END IF;
      WITH ch AS (SELECT -1 AS w, * FROM old_spans UNION ALL SELECT 1 AS w, * FROM new_spans),
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
      SELECT min(seq), max(seq) FROM net INTO lo, hi;
  END IF;
  IF lo IS NOT NULL THEN
    PERFORM registry.indicator_checkpoint(lo);
  END IF;
  RETURN NULL;
END
$fn$;

CREATE FUNCTION registry.indicator_spans_truncated() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  DELETE FROM registry.indicator_counts;
  DELETE FROM registry.indicator_count_log;
  DELETE FROM registry.indicator_checkpoint_counts;
  DELETE FROM registry.indicator_checkpoints;
  RETURN NULL;
END
$fn$;

CREATE TRIGGER asset_spans_indicator_ins AFTER INSERT ON registry.asset_spans
  REFERENCING NEW TABLE AS new_spans FOR EACH STATEMENT EXECUTE FUNCTION registry.indicator_spans_changed();
CREATE TRIGGER asset_spans_indicator_upd AFTER UPDATE ON registry.asset_spans
  REFERENCING OLD TABLE AS old_spans NEW TABLE AS new_spans FOR EACH STATEMENT EXECUTE FUNCTION registry.indicator_spans_changed();
CREATE TRIGGER asset_spans_indicator_del AFTER DELETE ON registry.asset_spans
  REFERENCING OLD TABLE AS old_spans FOR EACH STATEMENT EXECUTE FUNCTION registry.indicator_spans_changed();
CREATE TRIGGER asset_spans_indicator_trunc AFTER TRUNCATE ON registry.asset_spans
  FOR EACH STATEMENT EXECUTE FUNCTION registry.indicator_spans_truncated();
