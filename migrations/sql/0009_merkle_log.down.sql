ALTER TABLE ledger.idempotency DROP COLUMN IF EXISTS last_seq;
DROP TABLE IF EXISTS ledger.checkpoints, ledger.tree_nodes;
DROP FUNCTION IF EXISTS ledger.refuse_change();
