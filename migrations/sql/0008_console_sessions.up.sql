-- Browser sessions of the console (openapi/console). Not ledger entries: a session is no fact
-- of the registry, only which token a browser signed in with. Neither the cookie nor the
-- token is kept: the row is found by the cookie's SHA-256 digest and holds the token's
-- digest, which every request checks again against access.tokens (a revoked token or
-- principal ends its sessions at once).
CREATE TABLE access.sessions (
  digest       bytea       PRIMARY KEY CHECK (length(digest) = 32),
  token_digest bytea       NOT NULL CHECK (length(token_digest) = 32),
  created_at   timestamptz NOT NULL,
  seen_at      timestamptz NOT NULL
);
CREATE INDEX sessions_seen ON access.sessions (seen_at);

GRANT SELECT, INSERT, UPDATE, DELETE ON access.sessions TO ipledger_app;
