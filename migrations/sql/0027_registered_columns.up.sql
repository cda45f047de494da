-- What an asset's registration said that its events may change since — its owners, its unit
-- and its grant date — as three columns instead of the whole asset.registered payload as jsonb
-- (0003's registration). The rest of the payload (kind, number, title, filing date,
-- attributes) is never changed by an event, so the columns beside these say it already; the
-- payload itself is the ledger's, at registered_seq. A bulk registration parsed every payload
-- twice, for the ledger and here (about 11 ms a batch of 2,500 each), and every read of an
-- asset parsed it again (docs/BENCHMARKS.md, sixth session).
ALTER TABLE registry.assets
  ADD COLUMN registered_owners     uuid[],
  ADD COLUMN registered_region     text,
  ADD COLUMN registered_granted_on date;
UPDATE registry.assets SET
  registered_owners = ARRAY(SELECT jsonb_array_elements_text(registration->'owner_ids')::uuid),
  registered_region = registration->>'region_code',
  registered_granted_on = (registration->>'granted_on')::date;
ALTER TABLE registry.assets
  ALTER COLUMN registered_owners SET NOT NULL,
  ALTER COLUMN registered_region SET NOT NULL,
  DROP COLUMN registration;
