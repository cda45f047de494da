-- Back to 0009's layout: the nodes as runs of 256 aligned nodes a level, the checkpoints as
-- rows of their own in their order (0009's ids kept, the batches' renumbered after them).
CREATE TABLE ledger.tree_runs (
  level     smallint NOT NULL CHECK (level BETWEEN 0 AND 62),
  first_idx bigint   NOT NULL CHECK (first_idx >= 0),
  hashes    bytea    NOT NULL CHECK (length(hashes) BETWEEN 32 AND 32 * 4096 AND length(hashes) % 32 = 0),
  PRIMARY KEY (level, first_idx)
);
ALTER TABLE ledger.tree_runs ALTER COLUMN hashes SET STORAGE EXTERNAL;
INSERT INTO ledger.tree_runs (level, first_idx, hashes)
SELECT level, idx / 256 * 256, string_agg(hash, ''::bytea ORDER BY idx)
FROM ledger.tree_nodes GROUP BY level, idx / 256;

-- 0009's checkpoints kept their table; the batches' follow them in (tree_size, id) order.
DROP VIEW ledger.tree_nodes, ledger.checkpoints;
INSERT INTO ledger.checkpoints_0009 (tree_size, root_hash, note, signed_at)
SELECT tree_size, root_hash, note, signed_at FROM ledger.tree_batches WHERE note IS NOT NULL ORDER BY tree_size, id;

DROP TABLE ledger.tree_batches;
DROP FUNCTION ledger.tree_node_at(bigint, bigint, int, bigint);
DROP FUNCTION ledger.tree_nodes_below(bigint, int);
ALTER TABLE ledger.checkpoints_0009 RENAME TO checkpoints;

CREATE VIEW ledger.tree_nodes AS
  SELECT r.level, r.first_idx + k AS idx, substring(r.hashes FROM k * 32 + 1 FOR 32) AS hash
  FROM ledger.tree_runs r CROSS JOIN LATERAL generate_series(0, length(r.hashes) / 32 - 1) AS k;

CREATE TRIGGER tree_runs_no_update BEFORE UPDATE OR DELETE ON ledger.tree_runs
  FOR EACH ROW EXECUTE FUNCTION ledger.refuse_change();
CREATE TRIGGER tree_runs_no_truncate BEFORE TRUNCATE ON ledger.tree_runs
  FOR EACH STATEMENT EXECUTE FUNCTION ledger.refuse_change();

REVOKE ALL ON ledger.tree_runs, ledger.tree_nodes, ledger.checkpoints FROM PUBLIC;
GRANT SELECT, INSERT ON ledger.tree_runs, ledger.checkpoints TO ipledger_app;
GRANT SELECT ON ledger.tree_nodes TO ipledger_app;
