package indicator

import (
	"context"
	"fmt"

	"github.com/uptrace/bun/dialect/pgdialect"

	"ipledger/registry"
)

// Financing demand figures (docs/SERVICES.md): how many demands were posted and how many
// matched in each calendar year, with their amounts, in a region's units. They carry no
// target: the plan asks for bank–enterprise matching (2023 items 291, 292) without a number.

// DemandYear is one year's demand figures.
type DemandYear struct {
	Year          int    `json:"year"`
	Posted        int64  `json:"posted"`         // demands posted in the year
	PostedAmount  string `json:"posted_amount"`  // their amounts, CNY
	Matched       int64  `json:"matched"`        // demands matched in the year (whenever posted)
	MatchedAmount string `json:"matched_amount"` // their amounts, CNY
}

// MaxDemandYears bounds one request's span of years.
const MaxDemandYears = 50

// Demands returns the figures of each year from..to (inclusive) in region (the city sums its
// units): a demand counts in the unit of its party when posted, posted in the year of its
// posting date and matched in the year of its matching date.
func (s *Service) Demands(ctx context.Context, region string, from, to int) ([]DemandYear, error) {
	if err := checkYears(from, to); err != nil {
		return nil, err
	}
	var out []DemandYear
	err := s.snapshot(ctx, func(q querier) error {
		us, err := regionUnits(ctx, q, region)
		if err != nil {
			return err
		}
		byYear := map[int]*DemandYear{}
		for y := from; y <= to; y++ {
			byYear[y] = &DemandYear{Year: y}
			out = append(out, DemandYear{})
		}
		// One pass over each date column: posted in the year; matched in the year.
		for _, c := range []struct{ col, where string }{
			{"posted_on", "true"},
			{"closed_on", "status = 'matched'"},
		} {
			rows, err := q.QueryContext(ctx, `SELECT extract(year FROM `+c.col+`)::int, count(*), sum(amount_fen)
				FROM registry.demands WHERE `+c.where+` AND region_code = ANY(?::text[])
				AND `+c.col+` >= make_date(?, 1, 1) AND `+c.col+` < make_date(?, 1, 1)
				GROUP BY 1`, pgdialect.Array(us), from, to+1)
			if err != nil {
				return fmt.Errorf("indicator: demands: %w", err)
			}
			for rows.Next() {
				var y int
				var n, fen int64
				if err := rows.Scan(&y, &n, &fen); err != nil {
					rows.Close()
					return err
				}
				if c.col == "posted_on" {
					byYear[y].Posted, byYear[y].PostedAmount = n, registry.Money(fen).String()
				} else {
					byYear[y].Matched, byYear[y].MatchedAmount = n, registry.Money(fen).String()
				}
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
		}
		for y := from; y <= to; y++ {
			d := byYear[y]
			if d.PostedAmount == "" {
				d.PostedAmount = registry.Money(0).String()
			}
			if d.MatchedAmount == "" {
				d.MatchedAmount = registry.Money(0).String()
			}
			out[y-from] = *d
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
