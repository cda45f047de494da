package registry

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"ipledger/registry/ident"
)

// PlanLineKinds are the kinds of right that put a pledge's financing on the plan's line
// (专利商标质押融资): patents and trademarks (docs/INDICATORS.md, Counting, as decided, rule 2).
var PlanLineKinds = func() []string {
	var out []string
	for _, k := range ident.Kinds() {
		if k.IsPatent() || k.IsTrademarkLike() {
			out = append(out, string(k))
		}
	}
	return out
}()

// financingKindsSQL divides the counted amounts (pledge_id ?0[i], seq ?1[i]) among the rights
// in their pledges at that seq and stores each kind's part with the amount's line (?2: the
// plan's kinds). Migration 0019 runs the same statement over every row to backfill.
const financingKindsSQL = `INSERT INTO registry.pledge_financing_kinds
	  (pledge_id, seq, kind, region_code, effective_on, plan_line, share_fen)
	SELECT pledge_id, seq, kind, region_code, effective_on, plan_line, sum(share)
	FROM (
	  SELECT f.pledge_id, f.seq, f.region_code, f.effective_on, a.kind,
	    f.amount_fen / count(*) OVER p + CASE WHEN row_number() OVER o <= f.amount_fen % count(*) OVER p THEN 1 ELSE 0 END AS share,
	    bool_or(a.kind = ANY(?2::text[])) OVER p AS plan_line
	  FROM registry.pledge_financing f
	  JOIN registry.pledge_assets pa ON pa.pledge_id = f.pledge_id
	    AND f.seq >= pa.added_seq AND (pa.released_seq IS NULL OR f.seq < pa.released_seq)
	  JOIN registry.assets a ON a.id = pa.asset_id
	  WHERE (f.pledge_id, f.seq) IN (SELECT * FROM unnest(?0::uuid[], ?1::bigint[]))
	  WINDOW p AS (PARTITION BY f.pledge_id, f.seq), o AS (PARTITION BY f.pledge_id, f.seq ORDER BY pa.position, pa.asset_id)
	) s
	GROUP BY pledge_id, seq, kind, region_code, effective_on, plan_line`

// insertFinancingKinds stores the parts by kind of right of the amounts just counted for the
// pledges at the seqs (pairwise); an amount not counted (an amendment below the highest amount)
// has no row in registry.pledge_financing and so no parts.
func insertFinancingKinds(ctx context.Context, db bun.IDB, pledgeIDs []string, seqs []int64) error {
	if len(pledgeIDs) == 0 {
		return nil
	}
	if _, err := db.ExecContext(ctx, financingKindsSQL, pgdialect.Array(pledgeIDs), pgdialect.Array(seqs),
		pgdialect.Array(PlanLineKinds)); err != nil {
		return fmt.Errorf("registry: insert pledge financing kinds: %w", err)
	}
	return nil
}
