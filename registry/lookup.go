package registry

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/uptrace/bun/dialect/pgdialect"

	"ipledger/registry/ident"
)

// Lookups by the names people write on paper (a right's number, a party's name and unit, a
// pledge's contract number) rather than by internal id: what an import resolves its rows with.

// AssetRef is a right found by its number.
type AssetRef struct {
	ID     uuid.UUID
	Kind   ident.Kind
	Number string
}

// AssetsByNumber returns the rights whose (kind, canonical number) is one of the readings.
func (s *Service) AssetsByNumber(ctx context.Context, readings []ident.Reading) ([]AssetRef, error) {
	if len(readings) == 0 {
		return nil, nil
	}
	kinds := make([]string, len(readings))
	numbers := make([]string, len(readings))
	for i, r := range readings {
		kinds[i], numbers[i] = string(r.Kind), r.Number
	}
	rows, err := s.db.QueryContext(ctx, `SELECT a.id, a.kind, a.number FROM registry.assets a
		JOIN unnest(?::text[], ?::text[]) AS r(kind, number) ON a.kind = r.kind AND a.number = r.number
		ORDER BY a.kind`, pgdialect.Array(kinds), pgdialect.Array(numbers))
	if err != nil {
		return nil, fmt.Errorf("registry: assets by number: %w", err)
	}
	defer rows.Close()
	var out []AssetRef
	for rows.Next() {
		var a AssetRef
		if err := rows.Scan(&a.ID, &a.Kind, &a.Number); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// PartiesByNameRegion returns the parties with this exact (current) name in this unit.
func (s *Service) PartiesByNameRegion(ctx context.Context, name, region string) ([]Party, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+partyColumns+` FROM registry.parties
		WHERE name = ? AND region_code = ? ORDER BY id`, name, region)
	if err != nil {
		return nil, fmt.Errorf("registry: parties by name: %w", err)
	}
	defer rows.Close()
	var out []Party
	for rows.Next() {
		p, err := scanParty(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// PledgeRef is a pledge found by its contract number.
type PledgeRef struct {
	ID        uuid.UUID
	PledgeeID uuid.UUID
	Status    string
}

// PledgesByContract returns the pledges whose current contract number is contractNo, of the
// pledgee when pledgee is not uuid.Nil, oldest registration first.
func (s *Service) PledgesByContract(ctx context.Context, contractNo string, pledgee uuid.UUID) ([]PledgeRef, error) {
	q := `SELECT id, pledgee_id, status FROM registry.pledges WHERE contract_no = ?`
	args := []any{contractNo}
	if pledgee != uuid.Nil {
		q += ` AND pledgee_id = ?`
		args = append(args, pledgee.String())
	}
	rows, err := s.db.QueryContext(ctx, q+` ORDER BY registered_on, registered_seq`, args...)
	if err != nil {
		return nil, fmt.Errorf("registry: pledges by contract: %w", err)
	}
	defer rows.Close()
	var out []PledgeRef
	for rows.Next() {
		var p PledgeRef
		if err := rows.Scan(&p.ID, &p.PledgeeID, &p.Status); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}
