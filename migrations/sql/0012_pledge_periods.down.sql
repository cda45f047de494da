ALTER TABLE registry.pledge_assets DROP CONSTRAINT pledge_assets_no_overlap;
DROP INDEX registry.pledge_assets_active;
CREATE UNIQUE INDEX pledge_assets_one_active ON registry.pledge_assets (asset_id) WHERE active;
ALTER TABLE registry.pledge_assets DROP COLUMN pledged_on;
