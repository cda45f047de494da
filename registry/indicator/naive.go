package indicator

import (
	"context"
	"fmt"

	"github.com/uptrace/bun/dialect/pgdialect"

	"ipledger/registry/term"
)

// naiveCounts counts registry.asset_spans directly (the DATA_MODEL.md predicate), with no
// summary: the reference the summary is tested against and the benchmark's baseline.
func naiveCounts(ctx context.Context, q querier, sc scope, d term.Date) (map[string]int64, error) {
	rows, err := q.QueryContext(ctx, `SELECT kind,
		  count(*),
		  count(*) FILTER (WHERE high_value_from <= ?0::date),
		  count(*) FILTER (WHERE well_known_from <= ?0::date),
		  count(*) FILTER (WHERE foreign_family_from <= ?0::date)
		FROM registry.asset_spans
		WHERE region_code = ANY(?1::text[]) AND valid_from <= ?0::date AND (valid_to IS NULL OR ?0::date < valid_to)
		  AND known_from <= ?2 AND (known_to IS NULL OR known_to > ?2)
		GROUP BY kind`, d.String(), pgdialect.Array(sc.units), sc.k)
	if err != nil {
		return nil, fmt.Errorf("indicator: naive counts: %w", err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var kind string
		var n, hv, wk, ff int64
		if err := rows.Scan(&kind, &n, &hv, &wk, &ff); err != nil {
			return nil, err
		}
		for m, v := range map[string]int64{kind: n, kind + "/high_value": hv, kind + "/well_known": wk, kind + "/foreign_family": ff} {
			if v != 0 {
				out[m] = v
			}
		}
	}
	return out, rows.Err()
}
