-- What an import looks up row by row (registry/importer): whether a row's idempotency key
-- was written already, whoever wrote it, and a pledge by its contract number.
CREATE INDEX entries_idempotency_key ON ledger.entries (idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX pledges_contract ON registry.pledges (contract_no);
