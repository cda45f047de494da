CREATE INDEX assets_number ON registry.assets (number);
ALTER TABLE registry.assets ADD CONSTRAINT assets_kind_number UNIQUE (kind, number);
ALTER TABLE registry.assets DROP CONSTRAINT assets_number_kind;
