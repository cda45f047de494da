-- 0024's analyze_tables() analyzed every registry table on each call, and a bulk load calls it
-- after each of its phases: at a million rights each call took about 2 s, though after a phase
-- of pledges the rights' tables had not changed. It now analyzes a table
--   * never analyzed, or analyzed while it was empty and holding rows now;
--   * with more rows changed since its last analysis than autovacuum would wait for
--     (autovacuum_analyze_threshold plus autovacuum_analyze_scale_factor of its rows: 50 and a
--     tenth by default);
--   * grown past a tenth (and 8 pages) beyond the pages last recorded for it;
--   * partitioned (none is yet), which keeps no change counts of its own.
-- The size is read from the table's files, so the rows a load committed an instant ago count
-- at once; the change counts of another session reach the statistics only when it flushes
-- them (up to about ten seconds after its last transaction, TestAnalyzeWhatChanged) and are
-- lost in a crash, so updates in place just before the call (or before a crash) can wait for
-- the next call, or autovacuum's own analysis.
CREATE OR REPLACE FUNCTION registry.analyze_tables() RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE t regclass;
BEGIN
  FOR t IN SELECT c.oid::regclass FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid
      WHERE n.nspname = 'registry' AND c.relkind IN ('r', 'p')
        AND (c.relkind = 'p' OR c.reltuples < 0
          OR (c.relpages = 0 AND pg_relation_size(c.oid) > 0)
          OR coalesce(s.n_mod_since_analyze, 0) > current_setting('autovacuum_analyze_threshold')::float8
               + current_setting('autovacuum_analyze_scale_factor')::float8 * c.reltuples
          OR pg_relation_size(c.oid) / current_setting('block_size')::float8 > 1.1 * c.relpages + 8)
      ORDER BY c.relname LOOP
    EXECUTE format('ANALYZE %s', t);
  END LOOP;
END $$;
