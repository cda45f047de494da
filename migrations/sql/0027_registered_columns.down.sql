-- The registration payload as recorded: the ledger's entry at registered_seq.
ALTER TABLE registry.assets ADD COLUMN registration jsonb;
UPDATE registry.assets a SET registration = e.payload FROM ledger.entries e WHERE e.seq = a.registered_seq;
ALTER TABLE registry.assets
  ALTER COLUMN registration SET NOT NULL,
  DROP COLUMN registered_owners,
  DROP COLUMN registered_region,
  DROP COLUMN registered_granted_on;
