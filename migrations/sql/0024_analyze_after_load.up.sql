-- A bulk load changes the registry's tables faster than autovacuum re-analyzes them, and the
-- planner then plans the next writes' reads over outdated statistics (a pledge batch's read set
-- walked every span of the register: 5 ms and 90 ms a batch seen). The app role does not own
-- the tables, so it cannot ANALYZE them; this function does it for the loader, and nothing more.
CREATE FUNCTION registry.analyze_tables() RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE t regclass;
BEGIN
  FOR t IN SELECT c.oid::regclass FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'registry' AND c.relkind IN ('r', 'p') ORDER BY c.relname LOOP
    EXECUTE format('ANALYZE %s', t);
  END LOOP;
END $$;
REVOKE ALL ON FUNCTION registry.analyze_tables() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION registry.analyze_tables() TO ipledger_app;
