DROP INDEX IF EXISTS registry.pledges_contract;
DROP INDEX IF EXISTS ledger.entries_idempotency_key;
