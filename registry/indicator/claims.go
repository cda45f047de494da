package indicator

import (
	"context"
	"fmt"

	"github.com/uptrace/bun/dialect/pgdialect"

	"ipledger/registry"
)

// Risk-compensation figures (docs/INDICATORS.md, Risk compensation): claims filed, approved
// and paid in each calendar year, with their amounts, in a region's units. They carry no
// target: the plan asks for the fund (2023 items 272, 291) without a number.

// ClaimYear is one year's risk-compensation figures.
type ClaimYear struct {
	Year     int    `json:"year"`
	Filed    int64  `json:"filed"`    // claims filed in the year
	Loss     string `json:"loss"`     // the losses they claimed, CNY
	Approved int64  `json:"approved"` // claims approved in the year (whenever filed)
	Rejected int64  `json:"rejected"` // claims rejected in the year
	Paid     int64  `json:"paid"`     // claims paid in the year
	Payout   string `json:"payout"`   // what the fund paid in the year, CNY
}

// Claims returns the figures of each year from..to (inclusive) in region (the city sums its
// units): a claim counts in the unit of its pledge (the first pledgor's), filed in the year of
// its filing, approved or rejected in the year of the decision, paid in the year of the payout.
func (s *Service) Claims(ctx context.Context, region string, from, to int) ([]ClaimYear, error) {
	if err := checkYears(from, to); err != nil {
		return nil, err
	}
	out := make([]ClaimYear, 0, to-from+1)
	err := s.snapshot(ctx, func(q querier) error {
		us, err := regionUnits(ctx, q, region)
		if err != nil {
			return err
		}
		loss, payout := map[int]int64{}, map[int]int64{}
		byYear := map[int]*ClaimYear{}
		for y := from; y <= to; y++ {
			out = append(out, ClaimYear{Year: y})
			byYear[y] = &out[len(out)-1]
		}
		// One pass per date column; a decision's status tells approval from rejection.
		rows, err := q.QueryContext(ctx, `SELECT 'filed', extract(year FROM filed_on)::int, count(*), sum(loss_fen)
			  FROM registry.claims WHERE region_code = ANY(?0::text[]) AND filed_on >= make_date(?1, 1, 1) AND filed_on < make_date(?2, 1, 1) GROUP BY 2
			UNION ALL SELECT CASE WHEN status = 'rejected' THEN 'rejected' ELSE 'approved' END, extract(year FROM decided_on)::int, count(*), 0
			  FROM registry.claims WHERE region_code = ANY(?0::text[]) AND decided_on >= make_date(?1, 1, 1) AND decided_on < make_date(?2, 1, 1) GROUP BY 1, 2
			UNION ALL SELECT 'paid', extract(year FROM paid_on)::int, count(*), sum(payout_fen)
			  FROM registry.claims WHERE region_code = ANY(?0::text[]) AND paid_on >= make_date(?1, 1, 1) AND paid_on < make_date(?2, 1, 1) GROUP BY 2`,
			pgdialect.Array(us), from, to+1)
		if err != nil {
			return fmt.Errorf("indicator: claims: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var what string
			var y int
			var n, fen int64
			if err := rows.Scan(&what, &y, &n, &fen); err != nil {
				return err
			}
			c := byYear[y]
			switch what {
			case "filed":
				c.Filed, loss[y] = n, fen
			case "approved":
				c.Approved += n
			case "rejected":
				c.Rejected = n
			case "paid":
				c.Paid, payout[y] = n, fen
			}
		}
		if err := rows.Err(); err != nil {
			return err
		}
		for i := range out {
			out[i].Loss, out[i].Payout = registry.Money(loss[out[i].Year]).String(), registry.Money(payout[out[i].Year]).String()
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
