package registry

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
)

// GetClaim returns the claim if v may see it (a bank: its own); otherwise NotFound.
func (s *Service) GetClaim(ctx context.Context, v Viewer, id uuid.UUID) (Claim, error) {
	return s.getClaim(ctx, s.db, v, id)
}

func (s *Service) getClaim(ctx context.Context, db bun.IDB, v Viewer, id uuid.UUID) (Claim, error) {
	cs, err := loadClaims(ctx, db, `c.id = ?`, id.String())
	if err != nil {
		return Claim{}, err
	}
	if len(cs) == 0 || !v.sees(cs[0].Claimant.ID) {
		return Claim{}, Errorf(NotFound, "claim_not_found", "", "no claim %s", id)
	}
	return cs[0], nil
}

// ClaimFilter selects claims for ListClaims. Zero fields select everything.
type ClaimFilter struct {
	Status   string
	PledgeID uuid.UUID
	Cursor   string
	Limit    int // 1..1000, default 100
}

// ListClaims returns a page of the claims v may see, in id (filing) order, and the next
// page's cursor ("" at the end). A bank sees only its own.
func (s *Service) ListClaims(ctx context.Context, v Viewer, f ClaimFilter) ([]Claim, string, error) {
	after, err := decodeCursor(f.Cursor)
	if err != nil {
		return nil, "", err
	}
	limit := clampLimit(f.Limit)
	where := `c.id > ?`
	args := []any{after.String()}
	switch {
	case v.all:
	case v.bank != uuid.Nil:
		where += ` AND c.claimant_id = ?`
		args = append(args, v.bank.String())
	default:
		return nil, "", nil
	}
	if f.Status != "" {
		if !slices.Contains(ClaimStatuses(), f.Status) {
			return nil, "", Errorf(Invalid, "status_unknown", "query.status", "status is %s, not %q", strings.Join(ClaimStatuses(), ", "), f.Status)
		}
		where += ` AND c.status = ?`
		args = append(args, f.Status)
	}
	if f.PledgeID != uuid.Nil {
		where += ` AND c.pledge_id = ?`
		args = append(args, f.PledgeID.String())
	}
	cs, err := loadClaims(ctx, s.db, where+` ORDER BY c.id LIMIT ?`, append(args, limit+1)...)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(cs) > limit {
		cs = cs[:limit]
		next = encodeCursor(cs[limit-1].ID)
	}
	return cs, next, nil
}

// loadClaims reads the claims selected by where (over registry.claims c; it may end in ORDER
// BY and LIMIT), with the claimant's name.
func loadClaims(ctx context.Context, db bun.IDB, where string, args ...any) ([]Claim, error) {
	var out []Claim
	err := db.NewRaw(`SELECT c.id, c.pledge_id, c.claimant_id, coalesce(x.name, '') AS claimant_name, c.region_code, c.status,
		c.loss_fen AS loss, c.evidence_ref, c.filed_on, c.decided_on, coalesce(c.approved_fen, 0) AS approved,
		coalesce(c.fund_share_bp, 0) AS fund_share_bp, coalesce(c.payout_fen, 0) AS payout, c.paid_on, c.filed_seq, c.updated_seq
		FROM registry.claims c LEFT JOIN registry.parties x ON x.id = c.claimant_id WHERE `+where, args...).Scan(ctx, &out)
	if err != nil {
		return nil, fmt.Errorf("registry: load claims: %w", err)
	}
	return out, nil
}

// ClaimRow is the claims filed and the payouts made in one year and unit.
type ClaimRow struct {
	Year       int    `json:"year"`
	RegionCode string `json:"region_code"`
	Filed      int    `json:"filed"`  // claims filed that year
	Loss       Money  `json:"loss"`   // the losses they claimed
	Paid       int    `json:"paid"`   // claims paid that year
	Payout     Money  `json:"payout"` // what the fund paid
}

// ClaimsByYearRegion sums claims by calendar year and unit: filings by filed_on, payouts by
// paid_on, as known at ledger seq knownAt (0: everything recorded).
func (s *Service) ClaimsByYearRegion(ctx context.Context, knownAt int64) ([]ClaimRow, error) {
	if knownAt <= 0 {
		knownAt = 1<<63 - 1
	}
	var out []ClaimRow
	err := s.db.NewRaw(`WITH f AS (
		  SELECT extract(year FROM filed_on)::int AS y, region_code, 1 AS filed, loss_fen, 0 AS paid, 0::bigint AS payout
		  FROM registry.claims WHERE filed_seq <= ?0
		  UNION ALL
		  SELECT extract(year FROM paid_on)::int, region_code, 0, 0, 1, payout_fen
		  FROM registry.claims WHERE paid_seq <= ?0)
		SELECT y AS year, region_code, sum(filed)::int AS filed, sum(loss_fen)::bigint AS loss, sum(paid)::int AS paid,
		  sum(payout)::bigint AS payout
		FROM f GROUP BY y, region_code ORDER BY y, region_code`, knownAt).Scan(ctx, &out)
	if err != nil {
		return nil, fmt.Errorf("registry: claims by year: %w", err)
	}
	return out, nil
}
