ALTER TABLE registry.pledges
  DROP COLUMN IF EXISTS licence_ends_on,
  DROP COLUMN IF EXISTS licensee_id,
  DROP COLUMN IF EXISTS equity_share,
  DROP COLUMN IF EXISTS equity_holder_id;
ALTER TABLE registry.pledges DROP CONSTRAINT IF EXISTS pledges_realisation_method_check;
ALTER TABLE registry.pledges ADD CONSTRAINT pledges_realisation_method_check
  CHECK (realisation_method IN ('auction', 'sale', 'transfer', 'licence'));
DROP TABLE IF EXISTS registry.pledge_appraisals, registry.claim_events, registry.claims;
