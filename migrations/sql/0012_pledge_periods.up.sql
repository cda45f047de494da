-- A right is in at most one pledge at any date: the periods [pledged_on, released_on) of a
-- right's pledge_assets rows never overlap (an open one runs to infinity). This replaces the
-- unique index pledge_assets_one_active, which only knew "now" and so refused a finished
-- pledge recorded while (or after) its right was pledged again.
CREATE EXTENSION IF NOT EXISTS btree_gist;

ALTER TABLE registry.pledge_assets ADD COLUMN pledged_on date;
UPDATE registry.pledge_assets a SET pledged_on = p.registered_on FROM registry.pledges p WHERE p.id = a.pledge_id;
ALTER TABLE registry.pledge_assets ALTER COLUMN pledged_on SET NOT NULL;

DROP INDEX registry.pledge_assets_one_active;
CREATE INDEX pledge_assets_active ON registry.pledge_assets (asset_id) WHERE active;
ALTER TABLE registry.pledge_assets ADD CONSTRAINT pledge_assets_no_overlap
  EXCLUDE USING gist (asset_id WITH =, daterange(pledged_on, released_on, '[)') WITH &&);
