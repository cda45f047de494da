-- Pledge-side financing services (registry/claim.go, registry/pledge_valuation.go,
-- registry/pledge_realise.go): risk-compensation claims (风险补偿), appraisals of pledges and
-- the two realisation methods of the 2023 action plan's item (272). Every row is derived from
-- ledger entries and rebuilt by replaying them.

-- Risk-compensation claims: one row per claim, in its current state.
CREATE TABLE registry.claims (
  id            uuid    PRIMARY KEY,
  pledge_id     uuid    NOT NULL,
  claimant_id   uuid    NOT NULL,                  -- the pledgee bank that filed it
  region_code   text    NOT NULL,                  -- the pledge's unit (its first pledgor's)
  loss_fen      bigint  NOT NULL CHECK (loss_fen > 0),
  evidence_ref  text    NOT NULL,
  status        text    NOT NULL CHECK (status IN ('filed', 'approved', 'rejected', 'paid')),
  filed_on      date    NOT NULL,
  decided_on    date,                              -- approved or rejected on
  approved_fen  bigint  CHECK (approved_fen > 0),  -- the loss the office recognises, <= loss
  fund_share_bp integer CHECK (fund_share_bp BETWEEN 1 AND 10000),
  payout_fen    bigint  CHECK (payout_fen > 0),    -- approved × fund share: what the fund pays
  paid_on       date,
  filed_seq     bigint  NOT NULL,
  paid_seq      bigint,
  updated_seq   bigint  NOT NULL,
  CHECK (approved_fen IS NULL OR approved_fen <= loss_fen),
  CHECK ((status = 'paid') = (paid_on IS NOT NULL))
);
CREATE INDEX claims_claimant ON registry.claims (claimant_id, id);
CREATE INDEX claims_pledge ON registry.claims (pledge_id);
CREATE INDEX claims_filed ON registry.claims (region_code, filed_on);
CREATE INDEX claims_paid ON registry.claims (region_code, paid_on) WHERE paid_on IS NOT NULL;

-- Every decision on a claim, as recorded.
CREATE TABLE registry.claim_events (
  claim_id     uuid   NOT NULL,
  seq          bigint NOT NULL,
  type         text   NOT NULL,
  effective_on date   NOT NULL,
  payload      jsonb  NOT NULL,
  PRIMARY KEY (claim_id, seq)
);

-- Appraisals of a pledge's rights (registration or a later appraise event); the latest by
-- appraised_on (then by entry) is the value the loan-to-value ratio divides by.
CREATE TABLE registry.pledge_appraisals (
  pledge_id    uuid    NOT NULL,
  seq          bigint  NOT NULL,
  position     integer NOT NULL,
  value_fen    bigint  NOT NULL CHECK (value_fen > 0),
  appraiser    text    NOT NULL,
  appraised_on date    NOT NULL,
  method       text    NOT NULL CHECK (method IN ('income', 'market', 'cost')),
  PRIMARY KEY (pledge_id, seq, position)
);

-- Realisation by debt-to-equity (质权转股权) and reverse licence (反向许可), and what each
-- recorded: the equity holder and share, or the licensee and the licence's end.
ALTER TABLE registry.pledges DROP CONSTRAINT pledges_realisation_method_check;
ALTER TABLE registry.pledges ADD CONSTRAINT pledges_realisation_method_check
  CHECK (realisation_method IN ('auction', 'sale', 'transfer', 'licence', 'debt_to_equity', 'reverse_licence'));
ALTER TABLE registry.pledges
  ADD COLUMN equity_holder_id uuid,
  ADD COLUMN equity_share     numeric(5, 4) CHECK (equity_share > 0 AND equity_share <= 1),
  ADD COLUMN licensee_id      uuid,
  ADD COLUMN licence_ends_on  date;

REVOKE ALL ON registry.claims, registry.claim_events, registry.pledge_appraisals FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE, DELETE ON registry.claims, registry.claim_events, registry.pledge_appraisals TO ipledger_app;
