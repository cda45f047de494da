-- The Merkle log over the ledger (RFC 6962 / RFC 9162; docs/LEDGER.md "The Merkle log"):
-- leaf i is entry seq = i + 1. Every node of every perfect subtree is stored as entries are
-- appended, in their transaction, so proofs and tiles only read.
CREATE TABLE ledger.tree_nodes (
  level smallint NOT NULL CHECK (level BETWEEN 0 AND 62),
  idx   bigint   NOT NULL CHECK (idx >= 0),
  hash  bytea    NOT NULL CHECK (length(hash) = 32),
  PRIMARY KEY (level, idx)
);

-- Signed checkpoints (C2SP tlog-checkpoint in a C2SP signed note), one per commit.
CREATE TABLE ledger.checkpoints (
  id        bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tree_size bigint      NOT NULL CHECK (tree_size >= 0),
  root_hash bytea       NOT NULL CHECK (length(root_hash) = 32),
  note      text        NOT NULL,
  signed_at timestamptz NOT NULL
);
CREATE INDEX checkpoints_tree_size ON ledger.checkpoints (tree_size);

-- Append-only, like ledger.entries.
CREATE FUNCTION ledger.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '%.% is append-only: % refused', TG_TABLE_SCHEMA, TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER tree_nodes_no_update BEFORE UPDATE OR DELETE ON ledger.tree_nodes
  FOR EACH ROW EXECUTE FUNCTION ledger.refuse_change();
CREATE TRIGGER tree_nodes_no_truncate BEFORE TRUNCATE ON ledger.tree_nodes
  FOR EACH STATEMENT EXECUTE FUNCTION ledger.refuse_change();
CREATE TRIGGER checkpoints_no_update BEFORE UPDATE OR DELETE ON ledger.checkpoints
  FOR EACH ROW EXECUTE FUNCTION ledger.refuse_change();
CREATE TRIGGER checkpoints_no_truncate BEFORE TRUNCATE ON ledger.checkpoints
  FOR EACH STATEMENT EXECUTE FUNCTION ledger.refuse_change();

-- The tree over entries written before this migration, level by level: leaves
-- SHA-256(0x00 ‖ hash), parents SHA-256(0x01 ‖ left ‖ right) where both children exist.
-- The first checkpoint is signed by the service when it starts (it holds the key).
DO $$
DECLARE
  lvl int := 0;
  n   bigint;
BEGIN
  INSERT INTO ledger.tree_nodes (level, idx, hash)
  SELECT 0, seq - 1, sha256('\x00'::bytea || hash) FROM ledger.entries ORDER BY seq;
  LOOP
    INSERT INTO ledger.tree_nodes (level, idx, hash)
    SELECT lvl + 1, l.idx / 2, sha256('\x01'::bytea || l.hash || r.hash)
    FROM ledger.tree_nodes l JOIN ledger.tree_nodes r ON r.level = l.level AND r.idx = l.idx + 1
    WHERE l.level = lvl AND l.idx % 2 = 0
    ORDER BY l.idx;
    GET DIAGNOSTICS n = ROW_COUNT;
    EXIT WHEN n = 0;
    lvl := lvl + 1;
  END LOOP;
END
$$;

-- The last entry a keyed write appended, so a replayed response can name it (Ipledger-Seq).
ALTER TABLE ledger.idempotency ADD COLUMN last_seq bigint;

REVOKE ALL ON ledger.tree_nodes, ledger.checkpoints FROM PUBLIC;
GRANT SELECT, INSERT ON ledger.tree_nodes, ledger.checkpoints TO ipledger_app;
