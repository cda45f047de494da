-- The pledge area's projections (registry/pledge*.go): pledge registrations and their
-- lifecycle, which rights each pledge covers, and the financing volume they count. Every row
-- is derived from pledge.* ledger entries and rebuilt by replaying them. Migration 0003
-- created registry.pledge_assets and registry.pledge_financing in their minimal form; they
-- are extended here.

-- One row per pledge registration, in its current state.
CREATE TABLE registry.pledges (
  id                 uuid    PRIMARY KEY,
  pledgee_id         uuid    NOT NULL,               -- the bank (a party of kind bank)
  pledgor_ids        uuid[]  NOT NULL,               -- in order; the first decides the region
  region_code        text    NOT NULL,               -- the first pledgor's unit at registration
  contract_no        text    NOT NULL,
  amount_fen         bigint  NOT NULL CHECK (amount_fen > 0),   -- current secured amount
  registered_on      date    NOT NULL,
  starts_on          date    NOT NULL,
  ends_on            date    NOT NULL,
  status             text    NOT NULL CHECK (status IN ('active', 'released', 'realised')),
  defaulted_on       date,
  ended_on           date,                           -- released (注销) or realised
  realisation_method text CHECK (realisation_method IN ('auction', 'sale', 'transfer', 'licence')),
  proceeds_fen       bigint CHECK (proceeds_fen > 0),
  registered_seq     bigint  NOT NULL,
  updated_seq        bigint  NOT NULL,
  CHECK (starts_on <= ends_on),
  CHECK ((status = 'active') = (ended_on IS NULL))
);
CREATE INDEX pledges_pledgee ON registry.pledges (pledgee_id, id);
CREATE INDEX pledges_pledgors ON registry.pledges USING gin (pledgor_ids);
CREATE INDEX pledges_status ON registry.pledges (status, id);
CREATE INDEX pledges_registered ON registry.pledges (registered_on, id);

-- Every change after registration, as recorded (never overwritten).
CREATE TABLE registry.pledge_events (
  pledge_id    uuid   NOT NULL,
  seq          bigint NOT NULL,
  type         text   NOT NULL,
  effective_on date   NOT NULL,
  payload      jsonb  NOT NULL,
  PRIMARY KEY (pledge_id, seq)
);

-- Which rights a pledge covers: active while the right is in the pledge; a partial release,
-- a release or a realisation clears active and records when. No right is in two active
-- pledges: the unique partial index pledge_assets_one_active (0003) enforces it.
ALTER TABLE registry.pledge_assets
  ADD COLUMN position     integer NOT NULL DEFAULT 0,
  ADD COLUMN added_seq    bigint  NOT NULL DEFAULT 0,
  ADD COLUMN released_on  date,
  ADD COLUMN released_seq bigint,
  ADD CONSTRAINT pledge_assets_pkey PRIMARY KEY (pledge_id, asset_id);
CREATE INDEX pledge_assets_asset ON registry.pledge_assets (asset_id, pledge_id);

-- One counted amount per entry and pledge (docs/DATA_MODEL.md).
ALTER TABLE registry.pledge_financing
  ADD CONSTRAINT pledge_financing_pkey PRIMARY KEY (pledge_id, seq);
CREATE INDEX pledge_financing_seq ON registry.pledge_financing (seq);

REVOKE ALL ON registry.pledges, registry.pledge_events FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE, DELETE ON registry.pledges, registry.pledge_events TO ipledger_app;
