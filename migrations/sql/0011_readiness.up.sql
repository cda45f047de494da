-- The service reads the schema version for its readiness check (GET /readyz): a binary
-- must not serve a database migrated to another version than the one it was built for.
GRANT SELECT ON public.schema_migrations TO ipledger_app;
