-- 0001's row check, as it was.
CREATE FUNCTION ledger.check_link() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  last_seq  bigint;
  last_hash bytea;
BEGIN
  SELECT seq, hash INTO last_seq, last_hash FROM ledger.entries ORDER BY seq DESC LIMIT 1;
  IF last_seq IS NULL THEN
    last_seq := 0;
    last_hash := decode(repeat('00', 32), 'hex');
  END IF;
  IF NEW.seq <> last_seq + 1 OR NEW.prev_hash <> last_hash THEN
    RAISE EXCEPTION 'ledger chain: entry % does not follow entry %', NEW.seq, last_seq
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER entries_link BEFORE INSERT ON ledger.entries
  FOR EACH ROW EXECUTE FUNCTION ledger.check_link();
DROP TRIGGER entries_links ON ledger.entries;
DROP FUNCTION ledger.check_links();
