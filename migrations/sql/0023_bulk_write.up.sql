-- Bulk writes (issue 13): fewer indexes to update per registered asset.

-- One index for the asset's number instead of two (issue 13, bulk import): the unique
-- (kind, number) constraint becomes unique (number, kind), which answers everything the two
-- did — the duplicate check's probes by number alone (0010's assets_number, dropped here) and
-- the lookups of exact (kind, number) pairs (the search, AssetsByNumber) — so every
-- registered asset updates five indexes, not six. The rule is the same: one asset per kind and
-- number (and, through assets_mark_number, one per number among the mark kinds).
ALTER TABLE registry.assets ADD CONSTRAINT assets_number_kind UNIQUE (number, kind);
ALTER TABLE registry.assets DROP CONSTRAINT assets_kind_number;
DROP INDEX registry.assets_number;
