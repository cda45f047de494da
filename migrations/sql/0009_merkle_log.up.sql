-- The Merkle log over the ledger (RFC 6962 / RFC 9162; docs/LEDGER.md "The Merkle log"):
-- leaf i is entry seq = i + 1. Every node of every perfect subtree is stored as entries are
-- appended, in their transaction, so proofs and tiles only read. A batch adds, at each level, one contiguous run of nodes (its leaves, the parents they
-- complete, …): one row per level per batch, the run's hashes concatenated, rather than a row
-- per node (docs/BENCHMARKS.md: what the log costs a commit). Node (level, idx) is in the run
-- of that level with the greatest first_idx ≤ idx.
CREATE TABLE ledger.tree_runs (
  level     smallint NOT NULL CHECK (level BETWEEN 0 AND 62),
  first_idx bigint   NOT NULL CHECK (first_idx >= 0),
  hashes    bytea    NOT NULL CHECK (length(hashes) BETWEEN 32 AND 32 * 4096 AND length(hashes) % 32 = 0),
  PRIMARY KEY (level, first_idx)
);
-- Hashes do not compress: store them as they are, and let readers fetch slices.
ALTER TABLE ledger.tree_runs ALTER COLUMN hashes SET STORAGE EXTERNAL;

-- The nodes one by one, for verification and for people.
CREATE VIEW ledger.tree_nodes AS
  SELECT r.level, r.first_idx + k AS idx, substring(r.hashes FROM k * 32 + 1 FOR 32) AS hash
  FROM ledger.tree_runs r CROSS JOIN LATERAL generate_series(0, length(r.hashes) / 32 - 1) AS k;

-- Signed checkpoints (C2SP tlog-checkpoint in a C2SP signed note), one per commit.
CREATE TABLE ledger.checkpoints (
  id        bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tree_size bigint      NOT NULL CHECK (tree_size >= 0),
  root_hash bytea       NOT NULL CHECK (length(root_hash) = 32),
  note      text        NOT NULL,
  signed_at timestamptz NOT NULL
);

-- Append-only, like ledger.entries.
CREATE FUNCTION ledger.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '%.% is append-only: % refused', TG_TABLE_SCHEMA, TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER tree_runs_no_update BEFORE UPDATE OR DELETE ON ledger.tree_runs
  FOR EACH ROW EXECUTE FUNCTION ledger.refuse_change();
CREATE TRIGGER tree_runs_no_truncate BEFORE TRUNCATE ON ledger.tree_runs
  FOR EACH STATEMENT EXECUTE FUNCTION ledger.refuse_change();
CREATE TRIGGER checkpoints_no_update BEFORE UPDATE OR DELETE ON ledger.checkpoints
  FOR EACH ROW EXECUTE FUNCTION ledger.refuse_change();
CREATE TRIGGER checkpoints_no_truncate BEFORE TRUNCATE ON ledger.checkpoints
  FOR EACH STATEMENT EXECUTE FUNCTION ledger.refuse_change();

-- The tree over entries written before this migration, level by level, in runs of 256
-- aligned nodes: leaves SHA-256(0x00 ‖ hash), parents SHA-256(0x01 ‖ left ‖ right) where
-- both children exist (an aligned run holds both children of each of its parents).
-- The first checkpoint is signed by the service when it starts (it holds the key).
DO $$
DECLARE
  lvl int := 0;
  n   bigint;
BEGIN
  INSERT INTO ledger.tree_runs (level, first_idx, hashes)
  SELECT 0, (seq - 1) / 256 * 256, string_agg(sha256('\x00'::bytea || hash), ''::bytea ORDER BY seq)
  FROM ledger.entries GROUP BY (seq - 1) / 256;
  LOOP
    INSERT INTO ledger.tree_runs (level, first_idx, hashes)
    SELECT lvl + 1, p / 256 * 256, string_agg(h, ''::bytea ORDER BY p)
    FROM (SELECT r.first_idx / 2 + k AS p, sha256('\x01'::bytea || substring(r.hashes FROM k * 64 + 1 FOR 64)) AS h
          FROM ledger.tree_runs r CROSS JOIN LATERAL generate_series(0, length(r.hashes) / 64 - 1) AS k
          WHERE r.level = lvl) x
    GROUP BY p / 256;
    GET DIAGNOSTICS n = ROW_COUNT;
    EXIT WHEN n = 0;
    lvl := lvl + 1;
  END LOOP;
END
$$;

-- The last entry a keyed write appended, so a replayed response can name it (Ipledger-Seq).
ALTER TABLE ledger.idempotency ADD COLUMN last_seq bigint;

REVOKE ALL ON ledger.tree_runs, ledger.tree_nodes, ledger.checkpoints FROM PUBLIC;
GRANT SELECT, INSERT ON ledger.tree_runs, ledger.checkpoints TO ipledger_app;
GRANT SELECT ON ledger.tree_nodes TO ipledger_app;
