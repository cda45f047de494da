-- The chain's link check once per statement instead of once per row (issue 13, bulk import):
-- 0001's BEFORE INSERT row trigger looked the last entry up for every row it inserted
-- (about 10 µs a row; a 100k-asset import spent about 1 s of Postgres time in it). This AFTER
-- INSERT statement trigger sees the statement's rows together (a transition table) and refuses
-- the statement unless, in seq order, its first row follows the entry before it (seq 1: the
-- zero hash), each row follows the one before it (seq + 1, prev_hash = its hash), and no entry
-- lies past its last. The table that results is what the row check allowed: one linear,
-- gap-free chain (the rows of one INSERT may now be listed in any order). Duplicate seqs and
-- hashes are refused before this runs, by the table's unique indexes.
-- The table is read only through its key, whatever plan PL/pgSQL caches: the predecessor by
-- its seq alone (a join with the table would let the planner scan all of it), and the last
-- entry as max(seq), not as EXISTS (… WHERE seq > hi), which a generic plan answers with a
-- scan of the whole table (it halved the live append rate).
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
  IF (SELECT max(e.seq) FROM ledger.entries e) > hi THEN
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
