DROP TABLE IF EXISTS registry.pledge_financing_kinds;
