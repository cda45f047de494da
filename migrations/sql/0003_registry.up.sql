-- The registry's projections: regions, parties, IP assets and their timelines, policy
-- parameters and the IPC concordance. Every row here is derived from ledger entries and can be
-- rebuilt by replaying them (registry.Service.Rebuild).
CREATE SCHEMA IF NOT EXISTS registry;
REVOKE ALL ON SCHEMA registry FROM PUBLIC;
GRANT USAGE ON SCHEMA registry TO ipledger_app;

-- The city and its county-level units (region.defined entries).
CREATE TABLE registry.regions (
  code        text    PRIMARY KEY,
  name_zh     text    NOT NULL,
  name_en     text    NOT NULL,
  parent_code text,
  is_unit     boolean NOT NULL,
  seq         bigint  NOT NULL
);

CREATE TABLE registry.parties (
  id             uuid    PRIMARY KEY,
  name           text    NOT NULL,
  kind           text    NOT NULL,
  uscc           text,
  uscc_confirmed boolean NOT NULL DEFAULT false,
  region_code    text    NOT NULL,
  registered_on  date    NOT NULL,
  registered_seq bigint  NOT NULL,
  updated_seq    bigint  NOT NULL
);
CREATE UNIQUE INDEX parties_uscc ON registry.parties (uscc) WHERE uscc IS NOT NULL;
CREATE INDEX parties_region ON registry.parties (region_code, id);

-- One row per asset: what its registration said, with the current region and grant date.
CREATE TABLE registry.assets (
  id              uuid    PRIMARY KEY,
  kind            text    NOT NULL,
  number          text    NOT NULL,             -- canonical (ident.Canonical)
  title           text    NOT NULL,
  region_code     text    NOT NULL,             -- current unit
  region_explicit boolean NOT NULL,             -- set by the registrar, not from the first owner
  filed_on        date,
  granted_on      date,                         -- current (registration or asset.granted)
  attributes      jsonb   NOT NULL DEFAULT '{}',
  registration    jsonb   NOT NULL,             -- the asset.registered payload, for the fold
  registered_seq  bigint  NOT NULL,
  updated_seq     bigint  NOT NULL,
  CONSTRAINT assets_kind_number UNIQUE (kind, number)
);
CREATE INDEX assets_region ON registry.assets (region_code, id);
CREATE INDEX assets_kind ON registry.assets (kind, id);

-- Current owners, in order (the first owner decides the default region).
CREATE TABLE registry.asset_owners (
  asset_id uuid    NOT NULL,
  position integer NOT NULL,
  party_id uuid    NOT NULL,
  PRIMARY KEY (asset_id, position)
);
CREATE INDEX asset_owners_party ON registry.asset_owners (party_id, asset_id);

-- Every lifecycle event after registration, for folding into the asset's timeline.
CREATE TABLE registry.asset_events (
  asset_id     uuid   NOT NULL,
  seq          bigint NOT NULL,
  type         text   NOT NULL,
  effective_on date   NOT NULL,
  payload      jsonb  NOT NULL,
  PRIMARY KEY (asset_id, seq)
);

-- Each asset's timeline as maximal intervals of constant attributes, bitemporal by seq
-- (docs/DATA_MODEL.md: the contract with the indicators).
CREATE TABLE registry.asset_spans (
  asset_id            uuid   NOT NULL,
  kind                text   NOT NULL,
  region_code         text   NOT NULL,
  valid_from          date   NOT NULL,
  valid_to            date,
  high_value_from     date,
  well_known_from     date,
  foreign_family_from date,
  known_from          bigint NOT NULL,
  known_to            bigint,
  CHECK (valid_to IS NULL OR valid_to > valid_from)
);
CREATE INDEX asset_spans_asset ON registry.asset_spans (asset_id, known_from);
CREATE INDEX asset_spans_current ON registry.asset_spans (kind, region_code, valid_from)
  INCLUDE (valid_to, high_value_from, well_known_from, foreign_family_from)
  WHERE known_to IS NULL;
CREATE INDEX asset_spans_known ON registry.asset_spans (kind, region_code, known_from, known_to);

-- Policy parameters (param.set), bitemporal by seq: the current value has known_to NULL.
CREATE TABLE registry.params (
  name         text   NOT NULL,
  value        jsonb  NOT NULL,
  effective_on date   NOT NULL,
  known_from   bigint NOT NULL,
  known_to     bigint,
  PRIMARY KEY (name, known_from)
);
CREATE UNIQUE INDEX params_current ON registry.params (name) WHERE known_to IS NULL;

-- CNIPA's concordance of strategic emerging industries and IPC (concordance.loaded), bitemporal.
CREATE TABLE registry.ipc_concordance (
  ipc_prefix text   NOT NULL,
  industry   text   NOT NULL,
  known_from bigint NOT NULL,
  known_to   bigint
);
CREATE INDEX ipc_concordance_current ON registry.ipc_concordance (ipc_prefix) WHERE known_to IS NULL;

-- Owned by the pledge area (its migration 0004 extends them); created here, in the minimal
-- form docs/DATA_MODEL.md shows, so that the registry can read them from the start.
CREATE TABLE registry.pledge_assets (
  pledge_id uuid    NOT NULL,
  asset_id  uuid    NOT NULL,
  active    boolean NOT NULL
);
CREATE UNIQUE INDEX pledge_assets_one_active ON registry.pledge_assets (asset_id) WHERE active;
CREATE INDEX pledge_assets_pledge ON registry.pledge_assets (pledge_id);

CREATE TABLE registry.pledge_financing (
  pledge_id       uuid    NOT NULL,
  seq             bigint  NOT NULL,
  effective_on    date    NOT NULL,
  region_code     text    NOT NULL,
  pledgor_id      uuid    NOT NULL,
  amount_fen      bigint  NOT NULL CHECK (amount_fen > 0),
  is_registration boolean NOT NULL
);
CREATE INDEX pledge_financing_pledge ON registry.pledge_financing (pledge_id, effective_on);
CREATE INDEX pledge_financing_date ON registry.pledge_financing (effective_on, region_code);

REVOKE ALL ON ALL TABLES IN SCHEMA registry FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE, DELETE ON
  registry.regions, registry.parties, registry.assets, registry.asset_owners,
  registry.asset_events, registry.asset_spans, registry.params, registry.ipc_concordance,
  registry.pledge_assets, registry.pledge_financing
  TO ipledger_app;
