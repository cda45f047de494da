ALTER TABLE ledger.idempotency DROP COLUMN IF EXISTS last_seq;
DROP VIEW IF EXISTS ledger.tree_nodes;
DROP TABLE IF EXISTS ledger.checkpoints, ledger.tree_runs;
DROP FUNCTION IF EXISTS ledger.refuse_change();
