DROP TABLE IF EXISTS ledger.checkpoints, ledger.tree_nodes;
DROP FUNCTION IF EXISTS ledger.refuse_change();
