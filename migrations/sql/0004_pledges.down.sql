DROP INDEX IF EXISTS registry.pledge_financing_seq;
ALTER TABLE registry.pledge_financing DROP CONSTRAINT IF EXISTS pledge_financing_pkey;
DROP INDEX IF EXISTS registry.pledge_assets_asset;
ALTER TABLE registry.pledge_assets
  DROP CONSTRAINT IF EXISTS pledge_assets_pkey,
  DROP COLUMN IF EXISTS released_seq,
  DROP COLUMN IF EXISTS released_on,
  DROP COLUMN IF EXISTS added_seq,
  DROP COLUMN IF EXISTS position;
DROP TABLE IF EXISTS registry.pledge_events, registry.pledges;
