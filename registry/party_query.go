package registry

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"ipledger/registry/ident"
)

// CreditListings returns the listings of the parties ids, oldest first; with past, also
// those removed.
func (s *Service) CreditListings(ctx context.Context, ids []uuid.UUID, past bool) (map[uuid.UUID][]CreditListing, error) {
	return creditListings(ctx, s.db, ids, past)
}

func creditListings(ctx context.Context, db bun.IDB, ids []uuid.UUID, past bool) (map[uuid.UUID][]CreditListing, error) {
	out := map[uuid.UUID][]CreditListing{}
	if len(ids) == 0 {
		return out, nil
	}
	strs := uuidStrings(ids)
	q := `SELECT party_id, list, listed_on, listed_ref AS source_ref, removed_on, coalesce(removed_ref, '') AS removed_ref
		FROM registry.credit_listings WHERE party_id = ANY(?::uuid[])`
	if !past {
		q += ` AND removed_seq IS NULL`
	}
	var rows []struct {
		PartyID uuid.UUID
		CreditListing
	}
	if err := db.NewRaw(q+` ORDER BY party_id, listed_seq`, pgdialect.Array(strs)).Scan(ctx, &rows); err != nil {
		return nil, fmt.Errorf("registry: credit listings: %w", err)
	}
	for _, r := range rows {
		out[r.PartyID] = append(out[r.PartyID], r.CreditListing)
	}
	return out, nil
}

// creditListedCond is the SQL condition "the party idCol is on a credit list now" (or, with
// listed false, on none).
func creditListedCond(listed bool, idCol string) string {
	c := `EXISTS (SELECT 1 FROM registry.credit_listings c WHERE c.party_id = ` + idCol + ` AND c.removed_seq IS NULL)`
	if !listed {
		c = `NOT ` + c
	}
	return c
}

// PartiesByNameRegion returns the parties with this exact (current) name in this unit.
func (s *Service) PartiesByNameRegion(ctx context.Context, name, region string) ([]Party, error) {
	var out []Party
	if err := s.db.NewRaw(`SELECT `+partyColumns+` FROM registry.parties
		WHERE name = ? AND region_code = ? ORDER BY id`, name, region).Scan(ctx, &out); err != nil {
		return nil, fmt.Errorf("registry: parties by name: %w", err)
	}
	return out, nil
}

// partyColumns are a Party's fields, for bun to scan.
const partyColumns = `id, name, kind, coalesce(uscc, '') AS uscc, uscc_confirmed, region_code, registered_on`

// GetParty returns a party.
func (s *Service) GetParty(ctx context.Context, id uuid.UUID) (Party, error) {
	return getParty(ctx, s.db, id)
}

func getParty(ctx context.Context, db bun.IDB, id uuid.UUID) (Party, error) {
	var p Party
	err := db.NewRaw(`SELECT `+partyColumns+` FROM registry.parties WHERE id = ?`, id).Scan(ctx, &p)
	if errors.Is(err, sql.ErrNoRows) {
		return Party{}, Errorf(NotFound, "party_not_found", "", "no party %s", id)
	}
	if err != nil {
		return Party{}, fmt.Errorf("registry: get party: %w", err)
	}
	return p, nil
}

// PartyFilter selects parties for ListParties. Zero fields select everything.
type PartyFilter struct {
	Q      string // substring of the name, case-insensitive, or the unified social credit code in any case or width
	Kind   PartyKind
	Region string
	// CreditListed, when set, selects parties on a credit list now (or on none).
	CreditListed *bool
	Cursor       string // from the previous page's next cursor
	Limit        int    // 1..1000, default 100
}

// ListParties returns a page of parties in id order and the cursor of the next page ("" at
// the end). The cursor stays valid while parties are added.
func (s *Service) ListParties(ctx context.Context, f PartyFilter) ([]Party, string, error) {
	after, err := decodeCursor(f.Cursor)
	if err != nil {
		return nil, "", err
	}
	limit := clampLimit(f.Limit)
	q := `SELECT ` + partyColumns + ` FROM registry.parties WHERE true`
	var args []any
	if after != uuid.Nil {
		q += ` AND id > ?`
		args = append(args, after)
	}
	if f.Q != "" {
		// A USCC matches as stored: normalised, so "91150502ma0q1xy3rt" or full-width input
		// finds it through the parties_uscc index.
		q += ` AND (name ILIKE ? ESCAPE '\' OR uscc = ?)`
		args = append(args, "%"+likeEscape(f.Q)+"%", ident.NormalizeUSCC(f.Q))
	}
	if f.Kind != "" {
		q += ` AND kind = ?`
		args = append(args, string(f.Kind))
	}
	if f.Region != "" {
		q += ` AND region_code = ?`
		args = append(args, f.Region)
	}
	if f.CreditListed != nil {
		q += ` AND ` + creditListedCond(*f.CreditListed, "registry.parties.id")
	}
	q += ` ORDER BY id LIMIT ?`
	args = append(args, limit+1)
	var out []Party
	if err := s.db.NewRaw(q, args...).Scan(ctx, &out); err != nil {
		return nil, "", fmt.Errorf("registry: list parties: %w", err)
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		next = encodeCursor(out[limit-1].ID)
	}
	return out, next, nil
}

// PartyIDsByUSCC returns the parties having the given codes (as CheckUSCC writes them).
func (s *Service) PartyIDsByUSCC(ctx context.Context, codes []string) (map[string]uuid.UUID, error) {
	out := map[string]uuid.UUID{}
	if len(codes) == 0 {
		return out, nil
	}
	var usccs []string
	var ids []uuid.UUID
	if err := s.db.NewRaw(`SELECT uscc, id FROM registry.parties WHERE uscc = ANY(?::text[])`, pgdialect.Array(codes)).
		Scan(ctx, &usccs, &ids); err != nil {
		return nil, fmt.Errorf("registry: parties by uscc: %w", err)
	}
	for i, c := range usccs {
		out[c] = ids[i]
	}
	return out, nil
}
