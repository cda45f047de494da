-- The Merkle log's nodes and checkpoints in one row a commit (docs/LEDGER.md "The Merkle
-- log"; docs/BENCHMARKS.md: 0009's layout wrote 6–7 tree_runs rows, one a level, and a
-- checkpoint row a commit, each with its index entry, which cost append throughput).
--
-- A row is a batch: the leaves [first_idx, tree_size) it appended and every node those
-- leaves complete, level by level from 0 up, each level's nodes in index order. Node
-- (l, i) is completed by leaf (i + 1)·2^l − 1, so the batch of leaves [f, s) holds, at level
-- l, the nodes ⌊f / 2^l⌋ … ⌊s / 2^l⌋ − 1, and node (l, i) is the 32 bytes at node offset
--   Σ_{k<l} (⌊s / 2^k⌋ − ⌊f / 2^k⌋) + i − ⌊f / 2^l⌋
-- of the row that holds its completing leaf. With it, the checkpoint signed at that commit
-- (tree size tree_size). A row without nodes (first_idx = tree_size) is a checkpoint signed
-- at start; rows converted from 0009's tree carry no checkpoint: 0009's checkpoints stay in
-- their own table (below), so node lookups never step past a row per old checkpoint.
CREATE TABLE ledger.tree_batches (
  tree_size bigint      NOT NULL,
  id        bigint      GENERATED ALWAYS AS IDENTITY,
  first_idx bigint      NOT NULL CHECK (first_idx BETWEEN 0 AND tree_size),
  hashes    bytea       NOT NULL,
  root_hash bytea       CHECK (length(root_hash) = 32),
  note      text,
  signed_at timestamptz,
  CHECK ((root_hash IS NULL) = (note IS NULL) AND (note IS NULL) = (signed_at IS NULL)),
  -- One index serves both reads: the batch that holds a leaf (the first row past it) and
  -- the latest checkpoint (the last row with one).
  PRIMARY KEY (tree_size, id)
) WITH (toast_tuple_target = 8160); -- a usual batch's row (~2–3 kB) stays in its page

-- Σ_{k<lvl} ⌊x / 2^k⌋, the nodes below level lvl that leaves [0, x) complete, in closed form:
-- with x = q·2^lvl + r, it is q·(2^(lvl+1) − 2) + 2r − popcount(r) = 2x − 2q − popcount(r).
CREATE FUNCTION ledger.tree_nodes_below(x bigint, lvl int) RETURNS bigint
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN 2 * x - 2 * (x >> lvl) - bit_count((x & ((1::bigint << lvl) - 1))::bit(64));

-- The node offset of node (lvl, idx) in the row of leaves [first_idx, tree_size).
CREATE FUNCTION ledger.tree_node_at(first_idx bigint, tree_size bigint, lvl int, idx bigint) RETURNS bigint
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN ledger.tree_nodes_below(tree_size, lvl) - ledger.tree_nodes_below(first_idx, lvl) + idx - (first_idx >> lvl);

-- A row holds exactly its leaves' nodes: Σ_k (⌊s/2^k⌋ − ⌊f/2^k⌋) = 2(s − f) − popcount(s) +
-- popcount(f). Written out: a constraint does not inline SQL functions, and calling them
-- doubled the cost of a row's insert.
ALTER TABLE ledger.tree_batches ADD CHECK (length(hashes) = 32 * (2 * (tree_size - first_idx) - bit_count(tree_size::bit(64)) + bit_count(first_idx::bit(64))));
-- Hashes do not compress: a large batch's row is stored as it is, and read in slices.
ALTER TABLE ledger.tree_batches ALTER COLUMN hashes SET STORAGE EXTERNAL;

CREATE TRIGGER tree_batches_no_update BEFORE UPDATE OR DELETE ON ledger.tree_batches
  FOR EACH ROW EXECUTE FUNCTION ledger.refuse_change();
CREATE TRIGGER tree_batches_no_truncate BEFORE TRUNCATE ON ledger.tree_batches
  FOR EACH STATEMENT EXECUTE FUNCTION ledger.refuse_change();

-- 0009's checkpoints stay as they are, in a table of their own that nothing writes to any
-- more: as rows without nodes among the batches, each would be a row that node lookups
-- (the first row past a leaf) step past. Batch rows' ids continue after theirs, so the ids
-- in ledger.checkpoints stay unique.
ALTER TABLE ledger.checkpoints RENAME TO checkpoints_0009;
SELECT setval(pg_get_serial_sequence('ledger.tree_batches', 'id'), max(id)) FROM ledger.checkpoints_0009 HAVING max(id) IS NOT NULL;

-- 0009's tree, converted: the batches of 256 aligned leaves (the last one shorter), each with
-- the stored nodes its leaves complete. A tree with gaps or overlaps fails the length check.
INSERT INTO ledger.tree_batches (tree_size, first_idx, hashes)
SELECT least(x.g * 256 + 256, n.size), x.g * 256, string_agg(x.hash, ''::bytea ORDER BY x.level, x.idx)
FROM (SELECT r.level, r.first_idx + k AS idx, substring(r.hashes FROM k * 32 + 1 FOR 32) AS hash,
             (((r.first_idx + k + 1) << r.level) - 1) / 256 AS g
      FROM ledger.tree_runs r CROSS JOIN LATERAL generate_series(0, length(r.hashes) / 32 - 1) AS k) x
CROSS JOIN (SELECT coalesce(max(first_idx + length(hashes) / 32), 0) AS size FROM ledger.tree_runs WHERE level = 0) n
GROUP BY x.g, n.size
ORDER BY x.g;

DROP VIEW ledger.tree_nodes;
DROP TABLE ledger.tree_runs;

-- The nodes one by one, for verification and for people (as 0009's view): at each level up
-- to the highest bit of tree_size, the row's nodes there.
CREATE VIEW ledger.tree_nodes AS
  SELECT l.level::smallint AS level, i.idx,
         substring(b.hashes FROM ledger.tree_node_at(b.first_idx, b.tree_size, l.level, i.idx)::int * 32 + 1 FOR 32) AS hash
  FROM ledger.tree_batches b
  CROSS JOIN LATERAL generate_series(0, length(ltrim(b.tree_size::bit(64)::text, '0')) - 1) AS l(level)
  CROSS JOIN LATERAL generate_series(b.first_idx >> l.level, (b.tree_size >> l.level) - 1) AS i(idx)
  WHERE b.first_idx < b.tree_size;

-- The signed checkpoints, one per commit (as 0009's table): 0009's, then the batches'.
-- Ordered by tree_size (then id), not by id alone.
CREATE VIEW ledger.checkpoints AS
  SELECT id, tree_size, root_hash, note, signed_at FROM ledger.checkpoints_0009
  UNION ALL
  SELECT id, tree_size, root_hash, note, signed_at FROM ledger.tree_batches WHERE note IS NOT NULL;

-- 0009's checkpoints keep their append-only triggers; the app only reads them now.
REVOKE ALL ON ledger.tree_batches, ledger.tree_nodes, ledger.checkpoints, ledger.checkpoints_0009 FROM PUBLIC;
REVOKE ALL ON ledger.checkpoints_0009 FROM ipledger_app;
GRANT SELECT, INSERT ON ledger.tree_batches TO ipledger_app;
GRANT SELECT ON ledger.tree_nodes, ledger.checkpoints, ledger.checkpoints_0009 TO ipledger_app;
