-- 0024's analyze_tables() analyzed every registry table on each call, and a bulk load calls it
-- after each of its phases: at a million rights each call took about 2 s, though after a phase
-- of pledges the rights' tables had not changed. It now analyzes a table when autovacuum would
-- (more rows changed since its last analysis than autovacuum_analyze_threshold plus
-- autovacuum_analyze_scale_factor of its rows: 50 and a tenth, by default), or when it has
-- never been analyzed, or when it has grown past a tenth (and 8 pages) beyond the pages last
-- recorded for it. The growth is read from the table's files, so rows added by a transaction
-- that committed an instant ago count at once; the change counts of another session reach the
-- statistics within about a second.
CREATE OR REPLACE FUNCTION registry.analyze_tables() RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE t regclass;
BEGIN
  FOR t IN SELECT c.oid::regclass FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid
      WHERE n.nspname = 'registry' AND c.relkind IN ('r', 'p')
        AND (c.reltuples < 0
          OR coalesce(s.n_mod_since_analyze, 0) > current_setting('autovacuum_analyze_threshold')::float8
               + current_setting('autovacuum_analyze_scale_factor')::float8 * c.reltuples
          OR pg_relation_size(c.oid) / current_setting('block_size')::float8 > 1.1 * c.relpages + 8)
      ORDER BY c.relname LOOP
    EXECUTE format('ANALYZE %s', t);
  END LOOP;
END $$;
