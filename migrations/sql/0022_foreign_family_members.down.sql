DROP TABLE IF EXISTS registry.foreign_family_members;
