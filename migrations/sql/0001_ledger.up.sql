-- The service's role: it may read and append to the ledger, never rewrite it, and owns nothing.
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'ipledger_app') THEN
    CREATE ROLE ipledger_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE;
  END IF;
END
$$;

CREATE SCHEMA ledger;
REVOKE ALL ON SCHEMA ledger FROM PUBLIC;
GRANT USAGE ON SCHEMA ledger TO ipledger_app;

CREATE TABLE ledger.entries (
  seq             bigint      PRIMARY KEY CHECK (seq > 0),
  kind            text        NOT NULL CHECK (kind <> ''),
  subject         text        NOT NULL CHECK (subject <> ''),
  actor           text        NOT NULL CHECK (actor <> ''),
  effective_on    date        NOT NULL,
  recorded_at     timestamptz NOT NULL,
  payload         jsonb       NOT NULL CHECK (jsonb_typeof(payload) = 'object'),
  idempotency_key text        CHECK (idempotency_key <> ''),
  prev_hash       bytea       NOT NULL CHECK (length(prev_hash) = 32),
  hash            bytea       NOT NULL UNIQUE CHECK (length(hash) = 32)
);
CREATE INDEX entries_subject_seq ON ledger.entries (subject, seq);
CREATE INDEX entries_recorded_at ON ledger.entries (recorded_at);

-- Append-only, whoever asks: even the owner must drop these triggers first, and that is
-- exactly what verification exists to catch.
CREATE FUNCTION ledger.refuse_rewrite() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'ledger.entries is append-only: % refused', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER entries_no_update BEFORE UPDATE OR DELETE ON ledger.entries
  FOR EACH ROW EXECUTE FUNCTION ledger.refuse_rewrite();
CREATE TRIGGER entries_no_truncate BEFORE TRUNCATE ON ledger.entries
  FOR EACH STATEMENT EXECUTE FUNCTION ledger.refuse_rewrite();

-- Linear and gap-free by construction: each row must follow the current last one. Rows
-- earlier in the same INSERT are visible here, so multi-row appends work.
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

-- The chain head, locked by every appending transaction: one writer at a time, in any
-- number of processes.
CREATE TABLE ledger.head (
  id          boolean     PRIMARY KEY DEFAULT true CHECK (id),
  seq         bigint      NOT NULL,
  hash        bytea       NOT NULL,
  recorded_at timestamptz NOT NULL
);
INSERT INTO ledger.head VALUES (true, 0, decode(repeat('00', 32), 'hex'), '1970-01-01T00:00:00Z');

-- Idempotency keys of acknowledged writes, with the first response for replay.
CREATE TABLE ledger.idempotency (
  actor        text        NOT NULL,
  key          text        NOT NULL,
  request_hash bytea       NOT NULL,
  first_seq    bigint      NOT NULL,
  recorded_at  timestamptz NOT NULL,
  status       integer,
  content_type text,
  response     bytea,
  PRIMARY KEY (actor, key)
);

REVOKE ALL ON ledger.entries, ledger.head, ledger.idempotency FROM PUBLIC;
GRANT SELECT, INSERT ON ledger.entries TO ipledger_app;
GRANT SELECT, UPDATE ON ledger.head TO ipledger_app;
GRANT SELECT, INSERT, UPDATE ON ledger.idempotency TO ipledger_app;
