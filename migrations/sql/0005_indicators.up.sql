-- The indicators area (registry/indicator, docs/INDICATORS.md): the plan's reference data
-- (resident population, targets, baselines) as bitemporal projections of population.*,
-- target.* and baseline.* ledger entries, and a summary of registry.asset_spans that answers
-- "how many rights of each kind count in a unit on day D, as known at seq K" without scanning
-- every span. The summary is maintained by statement triggers on registry.asset_spans, so it
-- follows every write, recompute and Rebuild of the registry in the same transaction.

-- Resident population by region and year (population.recorded). A correction supersedes the
-- current row (known_to) and adds a new one (known_from).
CREATE TABLE registry.population (
  region_code  text   NOT NULL,
  year         int    NOT NULL,
  residents    bigint NOT NULL CHECK (residents > 0),
  source       text   NOT NULL DEFAULT '',
  effective_on date   NOT NULL,
  known_from   bigint NOT NULL,
  known_to     bigint,
  PRIMARY KEY (region_code, year, known_from)
);
CREATE UNIQUE INDEX population_current ON registry.population (region_code, year) WHERE known_to IS NULL;

-- Targets (target.set): one per indicator, region and due date. basis says how value reads:
-- absolute (in the indicator's unit), percent_over_baseline or increase_over_baseline (over the
-- baseline dated base_on, without which there is no target).
CREATE TABLE registry.targets (
  code         text    NOT NULL,
  region_code  text    NOT NULL,
  due          date    NOT NULL,
  basis        text    NOT NULL CHECK (basis IN ('absolute', 'percent_over_baseline', 'increase_over_baseline')),
  value        numeric NOT NULL CHECK (value >= 0),
  base_on      date,
  note         text    NOT NULL DEFAULT '',
  effective_on date    NOT NULL,
  known_from   bigint  NOT NULL,
  known_to     bigint,
  PRIMARY KEY (code, region_code, due, known_from),
  CHECK ((basis = 'absolute') = (base_on IS NULL))
);
CREATE UNIQUE INDEX targets_current ON registry.targets (code, region_code, due) WHERE known_to IS NULL;

-- Baselines (baseline.set): an indicator's value on a date, as the plan states it.
CREATE TABLE registry.baselines (
  code         text    NOT NULL,
  region_code  text    NOT NULL,
  base_on      date    NOT NULL,
  value        numeric NOT NULL CHECK (value >= 0),
  note         text    NOT NULL DEFAULT '',
  effective_on date    NOT NULL,
  known_from   bigint  NOT NULL,
  known_to     bigint,
  PRIMARY KEY (code, region_code, base_on, known_from)
);
CREATE UNIQUE INDEX baselines_current ON registry.baselines (code, region_code, base_on) WHERE known_to IS NULL;

-- The summary of registry.asset_spans. Metrics: the asset kind (valid on the day), and
-- "<kind>/high_value", "<kind>/well_known", "<kind>/foreign_family" (the span's *_from day on).
-- A span contributes +1 on its first day and -1 on valid_to.
--
-- indicator_counts: the spans current now (known_to IS NULL), summed by year, month and day, so
-- the count on D is Σ years before D's year + Σ months of D's year before D's month + Σ days of
-- D's month up to D: at most ~75 rows per unit and metric.
CREATE TABLE registry.indicator_counts (
  region_code text   NOT NULL,
  grain       "char" NOT NULL CHECK (grain IN ('y', 'm', 'd')),
  period      date   NOT NULL,      -- first day of the year / month, or the day
  metric      text   NOT NULL,
  delta       bigint NOT NULL,
  PRIMARY KEY (region_code, grain, period, metric)
);

-- indicator_count_log: every change of every span by the seq that made it: a span known from
-- seq S adds its deltas at S; closed at seq T, it takes them back at T. The count on D as known
-- at K is the current count minus the log's deltas with seq > K on days up to D.
CREATE TABLE registry.indicator_count_log (
  seq         bigint NOT NULL,
  region_code text   NOT NULL,
  metric      text   NOT NULL,
  day         date   NOT NULL,
  delta       bigint NOT NULL,
  PRIMARY KEY (seq, region_code, metric, day)
);

-- rows' contribution, with sign (+1 added, -1 removed), applied to both summary tables.
CREATE FUNCTION registry.indicator_spans_changed() RETURNS trigger LANGUAGE plpgsql AS $fn$
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

CREATE TRIGGER asset_spans_indicator_ins AFTER INSERT ON registry.asset_spans
  REFERENCING NEW TABLE AS new_spans FOR EACH STATEMENT EXECUTE FUNCTION registry.indicator_spans_changed();
CREATE TRIGGER asset_spans_indicator_upd AFTER UPDATE ON registry.asset_spans
  REFERENCING OLD TABLE AS old_spans NEW TABLE AS new_spans FOR EACH STATEMENT EXECUTE FUNCTION registry.indicator_spans_changed();
CREATE TRIGGER asset_spans_indicator_del AFTER DELETE ON registry.asset_spans
  REFERENCING OLD TABLE AS old_spans FOR EACH STATEMENT EXECUTE FUNCTION registry.indicator_spans_changed();

CREATE FUNCTION registry.indicator_spans_truncated() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  DELETE FROM registry.indicator_counts;
  DELETE FROM registry.indicator_count_log;
  RETURN NULL;
END
$fn$;
CREATE TRIGGER asset_spans_indicator_trunc AFTER TRUNCATE ON registry.asset_spans
  FOR EACH STATEMENT EXECUTE FUNCTION registry.indicator_spans_truncated();

-- The financing indicators read registry.pledge_financing by unit and date.
CREATE INDEX pledge_financing_region_date ON registry.pledge_financing (region_code, effective_on)
  INCLUDE (seq, amount_fen, is_registration, pledgor_id);

REVOKE ALL ON registry.population, registry.targets, registry.baselines,
  registry.indicator_counts, registry.indicator_count_log FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE, DELETE ON registry.population, registry.targets, registry.baselines,
  registry.indicator_counts, registry.indicator_count_log TO ipledger_app;
