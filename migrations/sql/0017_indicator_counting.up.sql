-- Counting as decided (issue 10, docs/INDICATORS.md): how a target is worded, and the
-- official figures the office enters to reconcile its load against.

-- A target's comparison: at_least ("达到 X", "X 左右": met at X) or above ("超过 X": met only
-- above X). Targets recorded before carry at_least, which is what they were read as.
ALTER TABLE registry.targets
  ADD COLUMN comparison text NOT NULL DEFAULT 'at_least' CHECK (comparison IN ('at_least', 'above'));

-- Official figures (official_value.recorded): an indicator's value for a region at the end of
-- a year as a published source states it (statistical bulletin, CNIPA's statistics). Bitemporal
-- by seq like the other reference data: a correction supersedes the current row.
CREATE TABLE registry.official_values (
  code         text    NOT NULL,
  region_code  text    NOT NULL,
  year         int     NOT NULL,
  value        numeric NOT NULL CHECK (value >= 0),
  source       text    NOT NULL,
  note         text    NOT NULL DEFAULT '',
  effective_on date    NOT NULL,
  known_from   bigint  NOT NULL,
  known_to     bigint,
  PRIMARY KEY (code, region_code, year, known_from)
);
CREATE UNIQUE INDEX official_values_current ON registry.official_values (code, region_code, year) WHERE known_to IS NULL;

REVOKE ALL ON registry.official_values FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE, DELETE ON registry.official_values TO ipledger_app;

-- pct_foreign_applications_period reads the overseas family members; they are few among the
-- asset events.
CREATE INDEX asset_events_family ON registry.asset_events (asset_id) WHERE type = 'add_foreign_family';
