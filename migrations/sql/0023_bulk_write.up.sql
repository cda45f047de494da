-- Bulk writes (issue 13): fewer indexes to update per asset, one chain check per statement.

-- One index for the asset's number instead of two (issue 13, bulk import): the unique
-- (kind, number) constraint becomes unique (number, kind), which answers everything the two
-- did — the duplicate check's probes by number alone (0010's assets_number, dropped here) and
-- the lookups of exact (kind, number) pairs (search, the load tool's asset lookup) — so every
-- registered asset updates five indexes, not six. The rule is the same: one asset per kind and
-- number (and, through assets_mark_number, one per number among the mark kinds).
ALTER TABLE registry.assets ADD CONSTRAINT assets_number_kind UNIQUE (number, kind);
ALTER TABLE registry.assets DROP CONSTRAINT assets_kind_number;
DROP INDEX registry.assets_number;

-- The chain's link check once per statement instead of once per row (issue 13, bulk import):
-- 0001's BEFORE INSERT row trigger looked the last entry up for every row it inserted
-- (about 10 µs a row, a fifth of what an import's entries cost Postgres; the statement's check
-- takes about 3.5 µs a row: docs/BENCHMARKS.md, fifth session). This AFTER INSERT statement
-- trigger sees the statement's rows together (a transition table) and refuses the statement
-- unless, in seq order, its first row follows the entry before it (seq 1: the zero hash), each
-- row follows the one before it (seq + 1, prev_hash = its hash), and no entry lies past its
-- last. The table that results is what the row check allowed: one linear, gap-free chain.
-- (The predecessor is looked up by its seq alone: a join with the table would let the planner
-- scan all of it.)
CREATE FUNCTION ledger.check_links() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  lo      bigint;
  lo_prev bytea;
  want    bytea;
  bad     bigint;
  after   bigint;
  hi      bigint;
BEGIN
  SELECT n.seq, n.prev_hash INTO lo, lo_prev FROM new_entries n ORDER BY n.seq LIMIT 1;
  IF lo IS NULL THEN
    RETURN NULL; -- no row inserted
  ELSIF lo = 1 THEN
    want := decode(repeat('00', 32), 'hex');
  ELSE
    SELECT e.hash INTO want FROM ledger.entries e WHERE e.seq = lo - 1;
  END IF;
  IF want IS NULL OR lo_prev <> want THEN
    RAISE EXCEPTION 'ledger chain: entry % does not follow entry %', lo, lo - 1
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  SELECT x.seq, x.prev_seq INTO bad, after
  FROM (
    SELECT n.seq, n.prev_hash, lag(n.seq) OVER w AS prev_seq, lag(n.hash) OVER w AS prev_hash_of
    FROM new_entries n WINDOW w AS (ORDER BY n.seq)
  ) x
  WHERE x.prev_seq IS NOT NULL AND (x.seq <> x.prev_seq + 1 OR x.prev_hash <> x.prev_hash_of)
  ORDER BY x.seq LIMIT 1;
  IF bad IS NOT NULL THEN
    RAISE EXCEPTION 'ledger chain: entry % does not follow entry %', bad, after
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  SELECT max(n.seq) INTO hi FROM new_entries n;
  IF EXISTS (SELECT FROM ledger.entries e WHERE e.seq > hi) THEN
    RAISE EXCEPTION 'ledger chain: entry % is not the last', hi
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER entries_links AFTER INSERT ON ledger.entries
  REFERENCING NEW TABLE AS new_entries
  FOR EACH STATEMENT EXECUTE FUNCTION ledger.check_links();
DROP TRIGGER entries_link ON ledger.entries;
DROP FUNCTION ledger.check_link();
