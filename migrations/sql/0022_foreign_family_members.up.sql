-- The overseas family members counted by pct_foreign_applications_period (docs/INDICATORS.md,
-- rule 4), projected so that the count is one indexed read instead of a sort of every
-- add_foreign_family event with a look-up per member of its patent's unit on the filing day
-- (653 ms p50 for the city at the 1M set, docs/BENCHMARKS.md).
--
-- One row per member (asset, office, number) and version, bitemporal by seq: as known at K,
-- the member's filing day is the earliest of its add_foreign_family events with seq <= K
-- (family_date, else the event's date), and its unit is that of the last change of unit
-- (set_region, or a transfer with a region_code) with seq <= K in effect on that day (latest
-- effective_on, then seq), else the patent's registration's. An event that changes either
-- (a member recorded again with an earlier date; a backdated change of unit) closes the
-- member's row (known_to) and adds one known from its own seq. Written by the asset-event
-- projection (registry/family_write.go), so a Rebuild replays it.
CREATE TABLE registry.foreign_family_members (
  asset_id      uuid   NOT NULL,
  country       text   NOT NULL,
  family_number text   NOT NULL,
  filed_on      date   NOT NULL,
  region_code   text   NOT NULL,      -- '' when the registration named none
  known_from    bigint NOT NULL,
  known_to      bigint,
  PRIMARY KEY (asset_id, country, family_number, known_from),
  CHECK (known_to IS NULL OR known_to > known_from)
);
-- The count: the units' members filed in the period, as known at K (index only).
CREATE INDEX foreign_family_members_count ON registry.foreign_family_members (region_code, filed_on)
  INCLUDE (known_from, known_to);

-- The history of the members already recorded, as the projection would have written it: each
-- member's state at every seq that could change it (its own events, and the changes of unit
-- of its patent after its first), one row per change of state.
INSERT INTO registry.foreign_family_members
  (asset_id, country, family_number, filed_on, region_code, known_from, known_to)
WITH fam AS (
  SELECT asset_id, seq, coalesce(payload->>'country', '') AS country,
    coalesce(payload->>'family_number', '') AS number
  FROM registry.asset_events WHERE type = 'add_foreign_family'
), firsts AS (
  SELECT asset_id, country, number, min(seq) AS s0 FROM fam GROUP BY asset_id, country, number
), points AS (
  SELECT asset_id, country, number, seq AS k FROM fam
  UNION
  SELECT m.asset_id, m.country, m.number, x.seq
  FROM firsts m JOIN registry.asset_events x ON x.asset_id = m.asset_id AND x.seq > m.s0
  WHERE x.type IN ('set_region', 'transfer') AND x.payload->>'region_code' <> ''
), filed AS (
  SELECT p.asset_id, p.country, p.number, p.k,
    (SELECT min(coalesce((g.payload->>'family_date')::date, g.effective_on)) FROM registry.asset_events g
     WHERE g.asset_id = p.asset_id AND g.type = 'add_foreign_family' AND g.seq <= p.k
       AND coalesce(g.payload->>'country', '') = p.country AND coalesce(g.payload->>'family_number', '') = p.number) AS filed
  FROM points p
), states AS (
  SELECT f.asset_id, f.country, f.number, f.k, f.filed,
    coalesce((SELECT x.payload->>'region_code' FROM registry.asset_events x
      WHERE x.asset_id = f.asset_id AND x.seq <= f.k AND x.effective_on <= f.filed
        AND x.type IN ('set_region', 'transfer') AND x.payload->>'region_code' <> ''
      ORDER BY x.effective_on DESC, x.seq DESC LIMIT 1), a.registration->>'region_code', '') AS region
  FROM filed f JOIN registry.assets a ON a.id = f.asset_id
), changes AS (
  SELECT s.*, lag(s.filed) OVER w AS prev_filed, lag(s.region) OVER w AS prev_region
  FROM states s WINDOW w AS (PARTITION BY s.asset_id, s.country, s.number ORDER BY s.k)
)
SELECT asset_id, country, number, filed, region, k,
  lead(k) OVER (PARTITION BY asset_id, country, number ORDER BY k)
FROM changes
WHERE prev_filed IS NULL OR prev_filed <> filed OR prev_region <> region;

REVOKE ALL ON registry.foreign_family_members FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE, DELETE ON registry.foreign_family_members TO ipledger_app;
