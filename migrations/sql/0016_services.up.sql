-- Financing services beside pledges (docs/SERVICES.md): credit listings (失信) and financing
-- demands (融资需求). Projections of credit.* and demand.* entries, rebuilt by replaying them.

-- One row per listing of a party on a credit list: open while removed_seq is NULL.
CREATE TABLE registry.credit_listings (
  party_id       uuid   NOT NULL,
  list           text   NOT NULL,
  listed_on      date   NOT NULL,
  listed_ref     text   NOT NULL,
  listed_seq     bigint NOT NULL,
  removed_on     date,
  removed_ref    text,
  removed_seq    bigint,
  PRIMARY KEY (party_id, listed_seq),
  CHECK (removed_on IS NULL OR removed_on >= listed_on)
);
-- At most one open listing per party and list (the rule is checked before; this backs it).
CREATE UNIQUE INDEX credit_listings_open ON registry.credit_listings (party_id, list) WHERE removed_seq IS NULL;

-- A financing demand and its current state.
CREATE TABLE registry.demands (
  id          uuid    PRIMARY KEY,
  party_id    uuid    NOT NULL,
  region_code text    NOT NULL,             -- the party's unit when posted: where it counts
  amount_fen  bigint  NOT NULL CHECK (amount_fen > 0),
  term_months integer NOT NULL CHECK (term_months > 0),
  asset_ids   uuid[]  NOT NULL DEFAULT '{}',
  note        text    NOT NULL DEFAULT '',
  status      text    NOT NULL,             -- open | matched | withdrawn
  posted_on   date    NOT NULL,
  posted_seq  bigint  NOT NULL,
  closed_on   date,                         -- matched or withdrawn on
  lender_id   uuid,                         -- matched: the lender
  pledge_id   uuid,                         -- matched: the pledge that fulfils it, if cited
  changed_on  date    NOT NULL,             -- the latest event's date (events may not precede it)
  updated_seq bigint  NOT NULL
);
CREATE INDEX demands_status ON registry.demands (status, id);
CREATE INDEX demands_party ON registry.demands (party_id, id);
CREATE INDEX demands_posted ON registry.demands (posted_on, region_code);
CREATE INDEX demands_closed ON registry.demands (closed_on, region_code) WHERE status = 'matched';

-- Every event after posting (interest, matched, withdrawn).
CREATE TABLE registry.demand_events (
  demand_id    uuid   NOT NULL,
  seq          bigint NOT NULL,
  type         text   NOT NULL,
  effective_on date   NOT NULL,
  lender_id    uuid,
  pledge_id    uuid,
  note         text   NOT NULL DEFAULT '',
  PRIMARY KEY (demand_id, seq)
);
CREATE UNIQUE INDEX demand_events_interest ON registry.demand_events (demand_id, lender_id) WHERE type = 'interest';

REVOKE ALL ON registry.credit_listings, registry.demands, registry.demand_events FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE, DELETE ON registry.credit_listings, registry.demands, registry.demand_events TO ipledger_app;
