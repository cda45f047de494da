-- The financing figures (docs/INDICATORS.md, Counting, as decided, rule 2) divide each counted
-- amount equally among the rights in its pledge when it was counted (amount ÷ n fen rounded
-- down, the remaining fen one each to the first rights in the pledge's order) and put it on
-- the plan's line when one of those rights is a patent or a trademark. The pledge projection
-- stores that division with the amount, one row per counted amount and kind of right, so the
-- figures are sums by unit and date. The rights in a pledge at a counted amount's seq never
-- change afterwards (a release sets released_seq after it), so the rows are final when written.
CREATE TABLE registry.pledge_financing_kinds (
  pledge_id    uuid    NOT NULL,
  seq          bigint  NOT NULL,
  kind         text    NOT NULL,
  region_code  text    NOT NULL,
  effective_on date    NOT NULL,
  plan_line    boolean NOT NULL,
  share_fen    bigint  NOT NULL CHECK (share_fen >= 0),
  PRIMARY KEY (pledge_id, seq, kind)
);
CREATE INDEX pledge_financing_kinds_region_date ON registry.pledge_financing_kinds (region_code, effective_on)
  INCLUDE (seq, kind, plan_line, share_fen);

REVOKE ALL ON registry.pledge_financing_kinds FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE, DELETE ON registry.pledge_financing_kinds TO ipledger_app;

-- The amounts counted before: the same statement the projection runs
-- (registry/pledge_financing_kinds.go), over every row, the plan's kinds spelled out.
INSERT INTO registry.pledge_financing_kinds (pledge_id, seq, kind, region_code, effective_on, plan_line, share_fen)
SELECT pledge_id, seq, kind, region_code, effective_on, plan_line, sum(share)
FROM (
  SELECT f.pledge_id, f.seq, f.region_code, f.effective_on, a.kind,
    f.amount_fen / count(*) OVER p + CASE WHEN row_number() OVER o <= f.amount_fen % count(*) OVER p THEN 1 ELSE 0 END AS share,
    bool_or(a.kind IN ('invention_patent', 'utility_model', 'design_patent', 'trademark',
      'gi_certification_mark', 'gi_collective_mark')) OVER p AS plan_line
  FROM registry.pledge_financing f
  JOIN registry.pledge_assets pa ON pa.pledge_id = f.pledge_id
    AND f.seq >= pa.added_seq AND (pa.released_seq IS NULL OR f.seq < pa.released_seq)
  JOIN registry.assets a ON a.id = pa.asset_id
  WINDOW p AS (PARTITION BY f.pledge_id, f.seq), o AS (PARTITION BY f.pledge_id, f.seq ORDER BY pa.position, pa.asset_id)
) s
GROUP BY pledge_id, seq, kind, region_code, effective_on, plan_line;
