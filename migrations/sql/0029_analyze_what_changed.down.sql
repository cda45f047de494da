CREATE OR REPLACE FUNCTION registry.analyze_tables() RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE t regclass;
BEGIN
  FOR t IN SELECT c.oid::regclass FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'registry' AND c.relkind IN ('r', 'p') ORDER BY c.relname LOOP
    EXECUTE format('ANALYZE %s', t);
  END LOOP;
END $$;
