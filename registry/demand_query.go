package registry

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
)

// GetDemand returns a demand as v sees it: the office every demand with every interest; a
// lender every demand with its own interest only.
func (s *Service) GetDemand(ctx context.Context, v Viewer, id uuid.UUID) (Demand, error) {
	return s.getDemand(ctx, s.db, v, id)
}

func (s *Service) getDemand(ctx context.Context, db bun.IDB, v Viewer, id uuid.UUID) (Demand, error) {
	ds, err := loadDemands(ctx, db, v, `d.id = ?`, id.String())
	if err != nil {
		return Demand{}, err
	}
	if len(ds) == 0 {
		return Demand{}, Errorf(NotFound, "demand_not_found", "", "no demand %s", id)
	}
	return ds[0], nil
}

// DemandFilter selects demands for ListDemands. Zero fields select everything.
type DemandFilter struct {
	Status  string // open | matched | withdrawn
	PartyID uuid.UUID
	Cursor  string
	Limit   int // 1..1000, default 100
}

// ListDemands returns a page of demands in id (posting) order and the next page's cursor.
func (s *Service) ListDemands(ctx context.Context, v Viewer, f DemandFilter) ([]Demand, string, error) {
	after, err := decodeCursor(f.Cursor)
	if err != nil {
		return nil, "", err
	}
	if !v.all && v.bank == uuid.Nil {
		return nil, "", nil
	}
	limit := clampLimit(f.Limit)
	where := `d.id > ?`
	args := []any{after.String()}
	switch f.Status {
	case "":
	case DemandOpen, DemandMatched, DemandWithdrawn:
		where += ` AND d.status = ?`
		args = append(args, f.Status)
	default:
		return nil, "", Errorf(Invalid, "status_unknown", "query.status", "status is open, matched or withdrawn, not %q", f.Status)
	}
	if f.PartyID != uuid.Nil {
		where += ` AND d.party_id = ?`
		args = append(args, f.PartyID.String())
	}
	ds, err := loadDemands(ctx, s.db, v, where+` ORDER BY d.id LIMIT ?`, append(args, limit+1)...)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(ds) > limit {
		ds = ds[:limit]
		next = encodeCursor(ds[limit-1].ID)
	}
	return ds, next, nil
}

// loadDemands reads the demands selected by where (over registry.demands d, which may end
// in ORDER BY and LIMIT), with names and the interests v may see.
func loadDemands(ctx context.Context, db bun.IDB, v Viewer, where string, args ...any) ([]Demand, error) {
	rows, err := db.QueryContext(ctx, `SELECT d.id, d.party_id, coalesce(p.name, ''), d.region_code, d.amount_fen, d.term_months,
		d.asset_ids::text[], d.note, d.status, d.posted_on, d.closed_on, d.lender_id, coalesce(l.name, ''), d.pledge_id,
		d.posted_seq, d.updated_seq
		FROM registry.demands d LEFT JOIN registry.parties p ON p.id = d.party_id LEFT JOIN registry.parties l ON l.id = d.lender_id
		WHERE `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("registry: load demands: %w", err)
	}
	var out []Demand
	byID := map[uuid.UUID]int{}
	var ids []string
	for rows.Next() {
		var d Demand
		var assets []string
		var lender, pledge uuid.NullUUID
		var lenderName string
		var amount int64
		if err := rows.Scan(&d.ID, &d.Party.ID, &d.Party.Name, &d.RegionCode, &amount, &d.TermMonths, pgdialect.Array(&assets), &d.Note,
			&d.Status, &d.PostedOn, &d.ClosedOn, &lender, &lenderName, &pledge, &d.Seq, &d.UpdatedSeq); err != nil {
			rows.Close()
			return nil, err
		}
		d.Amount = Money(amount)
		// Who matched a demand, and with which pledge, is the office's and that lender's to see.
		if lender.Valid && (v.all || lender.UUID == v.bank) {
			d.Lender = &Owner{ID: lender.UUID, Name: lenderName}
			if pledge.Valid {
				d.PledgeID = pledge.UUID
			}
		}
		d.AssetIDs = make([]uuid.UUID, 0, len(assets))
		for _, a := range assets {
			id, err := uuid.Parse(a)
			if err != nil {
				rows.Close()
				return nil, err
			}
			d.AssetIDs = append(d.AssetIDs, id)
		}
		d.Interests = []Interest{}
		byID[d.ID] = len(out)
		ids = append(ids, d.ID.String())
		out = append(out, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(out) == 0 {
		return out, err
	}
	q := `SELECT e.demand_id, e.lender_id, coalesce(p.name, '') AS lender_name, e.effective_on AS on FROM registry.demand_events e
		LEFT JOIN registry.parties p ON p.id = e.lender_id WHERE e.type = 'interest' AND e.demand_id = ANY(?::uuid[])`
	qargs := []any{pgdialect.Array(ids)}
	if !v.all {
		q += ` AND e.lender_id = ?`
		qargs = append(qargs, v.bank.String())
	}
	var interests []struct {
		DemandID uuid.UUID
		Interest
	}
	if err := db.NewRaw(q+` ORDER BY e.demand_id, e.seq`, qargs...).Scan(ctx, &interests); err != nil {
		return nil, fmt.Errorf("registry: demand interests: %w", err)
	}
	for _, in := range interests {
		out[byID[in.DemandID]].Interests = append(out[byID[in.DemandID]].Interests, in.Interest)
	}
	return out, nil
}
