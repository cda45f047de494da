DROP INDEX registry.assets_mark_number;
