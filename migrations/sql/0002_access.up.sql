CREATE SCHEMA access;
REVOKE ALL ON SCHEMA access FROM PUBLIC;
GRANT USAGE ON SCHEMA access TO ipledger_app;

-- Projections of principal.* entries.
CREATE TABLE access.principals (
  id          uuid        PRIMARY KEY,
  name        text        NOT NULL,
  role        text        NOT NULL CHECK (role IN ('admin', 'registrar', 'bank', 'planner', 'auditor')),
  party_id    uuid,
  created_at  timestamptz NOT NULL,
  revoked_at  timestamptz,
  CHECK ((role = 'bank') = (party_id IS NOT NULL))
);

-- Only SHA-256 digests of tokens: a 256-bit random token cannot be recovered from one.
CREATE TABLE access.tokens (
  digest       bytea       PRIMARY KEY CHECK (length(digest) = 32),
  principal_id uuid        NOT NULL REFERENCES access.principals (id),
  issued_at    timestamptz NOT NULL,
  revoked_at   timestamptz
);
CREATE INDEX tokens_principal ON access.tokens (principal_id);

GRANT SELECT, INSERT, UPDATE, DELETE ON access.principals, access.tokens TO ipledger_app;
