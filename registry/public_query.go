package registry

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun/dialect/pgdialect"

	"ipledger/registry/ident"
	"ipledger/registry/term"
)

// Open data (docs/SERVICES.md): the register's public fields, searchable and downloadable
// by anyone. Nothing personal about individuals leaves through it: an owner of kind
// individual shows neither name nor id, and a query never matches an individual's name or
// id (so nobody can ask whether a given person owns rights).

// OpenRight is a right as the public sees it, as of a day.
type OpenRight struct {
	ID            uuid.UUID   `json:"id"`
	Kind          ident.Kind  `json:"kind"`
	Number        string      `json:"number"`
	DisplayNumber string      `json:"display_number"`
	Title         string      `json:"title"`
	Owners        []OpenOwner `json:"owners"`
	RegionCode    string      `json:"region_code"`
	FiledOn       term.Date   `json:"filed_on"`
	GrantedOn     term.Date   `json:"granted_on"`
	Status        string      `json:"status"`
	Valid         bool        `json:"valid"`
	ExpiresOn     term.Date   `json:"expires_on"`
	Pledged       bool        `json:"pledged"`
	AsOf          term.Date   `json:"as_of"`
}

// OpenOwner is an owner in the open data: an individual's ID is zero and Name empty.
type OpenOwner struct {
	ID   uuid.UUID `json:"id"`
	Name string    `json:"name"`
	Kind PartyKind `json:"kind"`
}

// openRightsWhere is the search condition over registry.assets a for q: the number in any
// spelling (each kind's reading of it, exactly), a substring of the title or stored number,
// or a non-individual owner's name (substring) or unified social credit code.
func openRightsWhere(q string) (string, []any) {
	q = strings.TrimSpace(q)
	if q == "" {
		return `true`, nil
	}
	like := "%" + likeEscape(q) + "%"
	cond := `a.title ILIKE ? ESCAPE '\' OR a.number ILIKE ? ESCAPE '\'`
	args := []any{like, like}
	for _, r := range ident.Readings(q) {
		cond += ` OR (a.kind = ? AND a.number = ?)`
		args = append(args, string(r.Kind), r.Number)
	}
	cond += ` OR EXISTS (SELECT 1 FROM registry.asset_owners o JOIN registry.parties x ON x.id = o.party_id
		WHERE o.asset_id = a.id AND x.kind <> 'individual' AND (x.name ILIKE ? ESCAPE '\' OR x.uscc = ?))`
	args = append(args, like, ident.NormalizeUSCC(q))
	return `(` + cond + `)`, args
}

// OpenRights returns a page of rights matching q (see openRightsWhere), in id order, as of
// today, and the next page's cursor ("" at the end).
func (s *Service) OpenRights(ctx context.Context, q, cursor string, limit int) ([]OpenRight, string, error) {
	after, err := decodeCursor(cursor)
	if err != nil {
		return nil, "", err
	}
	limit = clampLimit(limit)
	where, args := openRightsWhere(q)
	ids, err := s.pageIDs(ctx, where+` AND a.id > ? ORDER BY a.id LIMIT ?`, append(args, after.String(), limit+1)...)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(ids) > limit {
		ids = ids[:limit]
		next = encodeCursor(ids[limit-1])
	}
	rs, err := s.openRights(ctx, s.Today(), ids)
	return rs, next, err
}

// EachOpenRight calls fn with every right of the register, in id order, as of asOf, reading
// a page at a time: memory stays bounded however large the register.
func (s *Service) EachOpenRight(ctx context.Context, asOf term.Date, fn func(OpenRight) error) error {
	const page = 1000
	after := uuid.Nil
	for {
		ids, err := s.pageIDs(ctx, `a.id > ? ORDER BY a.id LIMIT ?`, after.String(), page)
		if err != nil {
			return err
		}
		rs, err := s.openRights(ctx, asOf, ids)
		if err != nil {
			return err
		}
		for _, r := range rs {
			if err := fn(r); err != nil {
				return err
			}
		}
		if len(ids) < page {
			return nil
		}
		after = ids[len(ids)-1]
	}
}

// openRights renders the rights ids (in id order) for the public.
func (s *Service) openRights(ctx context.Context, asOf term.Date, ids []uuid.UUID) ([]OpenRight, error) {
	out := []OpenRight{}
	if len(ids) == 0 {
		return out, nil
	}
	as, err := s.views(ctx, s.db, asOf, `a.id = ANY(?::uuid[])`, pgdialect.Array(uuidStrings(ids)))
	if err != nil {
		return nil, err
	}
	var owners []string
	for _, a := range as {
		for _, o := range a.Owners {
			owners = append(owners, o.ID.String())
		}
	}
	kinds, err := partyColumn(ctx, s.db, owners, "kind")
	if err != nil {
		return nil, err
	}
	for _, a := range as {
		r := OpenRight{ID: a.ID, Kind: a.Kind, Number: a.Number, DisplayNumber: a.DisplayNumber, Title: a.Title,
			Owners: make([]OpenOwner, 0, len(a.Owners)), RegionCode: a.RegionCode, FiledOn: a.FiledOn, GrantedOn: a.GrantedOn,
			Status: a.Status, Valid: a.Valid, ExpiresOn: a.ExpiresOn, Pledged: a.Pledged, AsOf: asOf}
		for _, o := range a.Owners {
			k := PartyKind(kinds[o.ID])
			if k == Individual {
				r.Owners = append(r.Owners, OpenOwner{Kind: k})
				continue
			}
			r.Owners = append(r.Owners, OpenOwner{ID: o.ID, Name: o.Name, Kind: k})
		}
		out = append(out, r)
	}
	return out, nil
}

// OpenDataVersion identifies the register's state: the ledger's head seq and when it was
// recorded. Every public field is a function of it and of the day asked.
func (s *Service) OpenDataVersion(ctx context.Context) (int64, time.Time, error) {
	var seq int64
	var at time.Time
	if err := s.db.QueryRowContext(ctx, `SELECT seq, recorded_at FROM ledger.head`).Scan(&seq, &at); err != nil {
		return 0, time.Time{}, fmt.Errorf("registry: ledger head: %w", err)
	}
	return seq, at, nil
}
