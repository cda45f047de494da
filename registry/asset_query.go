package registry

import (
	"context"
	"fmt"
	"slices"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"ipledger/ledger"
	"ipledger/registry/ident"
	"ipledger/registry/term"
)

// Asset is an asset as of a date.
type Asset struct {
	ID                uuid.UUID      `json:"id"`
	Kind              ident.Kind     `json:"kind"`
	Number            string         `json:"number"`         // canonical
	DisplayNumber     string         `json:"display_number"` // ZL… for granted patents, CNA… for granted plant varieties
	Title             string         `json:"title"`
	Owners            []Owner        `json:"owners"`
	RegionCode        string         `json:"region_code"`
	FiledOn           term.Date      `json:"filed_on"`
	GrantedOn         term.Date      `json:"granted_on"`
	AsOf              term.Date      `json:"as_of"`
	Status            string         `json:"status"`
	Valid             bool           `json:"valid"`
	ExpiresOn         term.Date      `json:"expires_on"`
	Frozen            bool           `json:"frozen"`
	Pledged           bool           `json:"pledged"` // in an active pledge now
	WellKnown         bool           `json:"well_known"`
	HighValue         HighValue      `json:"high_value"`
	StrategicIndustry string         `json:"strategic_industry,omitempty"`
	ForeignFamily     []FamilyMember `json:"foreign_family,omitempty"`
	Awards            []Award        `json:"awards,omitempty"`
	Attributes        Attributes     `json:"attributes"`
}

// GetAsset returns the asset as of asOf (zero: today).
func (s *Service) GetAsset(ctx context.Context, id uuid.UUID, asOf term.Date) (Asset, error) {
	return s.getAsset(ctx, s.db, id, asOf)
}

// getAsset reads from db: after a write, the primary (a replica may lag).
func (s *Service) getAsset(ctx context.Context, db bun.IDB, id uuid.UUID, asOf term.Date) (Asset, error) {
	if asOf.IsZero() {
		asOf = s.Today()
	}
	as, err := s.views(ctx, db, asOf, `a.id = ?`, id.String())
	if err != nil {
		return Asset{}, err
	}
	if len(as) == 0 {
		return Asset{}, Errorf(NotFound, "asset_not_found", "", "no asset %s", id)
	}
	return as[0], nil
}

// views loads and folds the selected assets and renders them as of asOf, in id order.
func (s *Service) views(ctx context.Context, db bun.IDB, asOf term.Date, where string, args ...any) ([]Asset, error) {
	const maxSeq = int64(1<<62 - 1)
	ls, err := loadAssets(ctx, db, maxSeq, where, args...)
	if err != nil || len(ls) == 0 {
		return nil, err
	}
	pol, err := loadPolicy(ctx, db)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(ls))
	for i, l := range ls {
		ids[i] = l.id.String()
	}
	pledged := map[uuid.UUID]bool{}
	rows, err := db.QueryContext(ctx, `SELECT asset_id FROM registry.pledge_assets WHERE active AND asset_id = ANY(?::uuid[])`, pgdialect.Array(ids))
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var id uuid.UUID
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		pledged[id] = true
	}
	rows.Close()
	out := make([]Asset, 0, len(ls))
	var partyIDs []string
	for _, l := range ls {
		a := assetAt(l, pol, asOf, pledged[l.id])
		for _, o := range a.Owners {
			partyIDs = append(partyIDs, o.ID.String())
		}
		out = append(out, a)
	}
	names := map[uuid.UUID]string{}
	rows, err = db.QueryContext(ctx, `SELECT id, name FROM registry.parties WHERE id = ANY(?::uuid[])`, pgdialect.Array(partyIDs))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id uuid.UUID
		var n string
		if err := rows.Scan(&id, &n); err != nil {
			return nil, err
		}
		names[id] = n
	}
	for i := range out {
		for j := range out[i].Owners {
			out[i].Owners[j].Name = names[out[i].Owners[j].ID]
		}
	}
	return out, rows.Err()
}

// assetAt renders a loaded asset as of asOf; its owners' names are the caller's to fill.
func assetAt(l *loaded, pol policy, asOf term.Date, pledged bool) Asset {
	t := fold(l.f, l.evs, pol, l.fin)
	st := t.at(asOf)
	a := Asset{
		ID: l.id, Kind: l.f.Kind, Number: l.number, DisplayNumber: l.number, Title: l.title,
		RegionCode: st.Region, FiledOn: l.f.FiledOn, GrantedOn: st.Granted, AsOf: asOf,
		Status: st.Status, Valid: st.Valid, ExpiresOn: st.ExpiresOn, Frozen: st.Frozen, Pledged: pledged,
		WellKnown: st.WellKnown, Attributes: l.f.Attrs,
	}
	if l.f.Kind == ident.InventionPatent {
		a.HighValue = HighValue{Value: st.HighValue, Criteria: st.Criteria}
		if a.HighValue.Criteria == nil {
			a.HighValue.Criteria = []string{}
		}
		if slices.Contains(st.Criteria, CriterionStrategicIndustry) {
			a.StrategicIndustry = t.industry
		}
	} else {
		a.HighValue.Criteria = []string{}
	}
	switch {
	case l.f.Kind.IsPatent() && !st.Granted.IsZero():
		a.DisplayNumber = ident.PatentNumberDisplay(l.number)
	case l.f.Kind == ident.PlantVariety && !st.Granted.IsZero():
		a.DisplayNumber = ident.PlantVarietyRightNumber(l.number)
	}
	for _, e := range l.evs {
		if e.EffectiveOn.After(asOf) {
			continue
		}
		switch e.Type {
		case EventForeignFamily:
			a.ForeignFamily = append(a.ForeignFamily, FamilyMember{Country: e.Data.Country, Number: e.Data.FamilyNumber, Date: e.Data.FamilyDate,
				Status: e.Data.FamilyStatus, GrantedOn: e.Data.FamilyGrantedOn})
		case EventAward:
			a.Awards = append(a.Awards, Award{Award: e.Data.Award, Level: e.Data.Level, On: e.EffectiveOn})
		}
	}
	for _, o := range st.Owners {
		a.Owners = append(a.Owners, Owner{ID: o})
	}
	return a
}

// AssetFilter selects assets for ListAssets. Zero fields select everything; Valid and
// HighValue are judged as of AsOf (zero: today).
type AssetFilter struct {
	Kind      ident.Kind
	Region    string // the asset's current unit
	OwnerID   uuid.UUID
	Valid     *bool
	HighValue *bool
	Q         string // substring of the title or the number, or the number in any spelling ident accepts
	AsOf      term.Date
	Cursor    string
	Limit     int // 1..1000, default 100
}

// ListAssets returns a page of assets in id order, as of f.AsOf, and the next page's cursor
// ("" at the end).
func (s *Service) ListAssets(ctx context.Context, f AssetFilter) ([]Asset, string, error) {
	after, err := decodeCursor(f.Cursor)
	if err != nil {
		return nil, "", err
	}
	limit := clampLimit(f.Limit)
	asOf := f.AsOf
	if asOf.IsZero() {
		asOf = s.Today()
	}
	where := `true`
	var args []any
	if f.Kind != "" {
		where += ` AND a.kind = ?`
		args = append(args, string(f.Kind))
	}
	if f.Region != "" {
		where += ` AND a.region_code = ?`
		args = append(args, f.Region)
	}
	if f.OwnerID != uuid.Nil {
		where += ` AND EXISTS (SELECT 1 FROM registry.asset_owners o WHERE o.asset_id = a.id AND o.party_id = ?)`
		args = append(args, f.OwnerID.String())
	}
	if f.Q != "" {
		// A substring of the title or the stored number, or the number exactly as any kind's
		// rules read the query (ZL…, CN…, spaces, full-width digits): exact (kind, number)
		// pairs, which the assets_number_kind index answers.
		cond := `a.title ILIKE ? ESCAPE '\' OR a.number ILIKE ? ESCAPE '\'`
		q := "%" + likeEscape(f.Q) + "%"
		args = append(args, q, q)
		for _, r := range ident.Readings(f.Q) {
			cond += ` OR (a.kind = ? AND a.number = ?)`
			args = append(args, string(r.Kind), r.Number)
		}
		where += ` AND (` + cond + `)`
	}
	// The spans pre-select what counts on the day; the fold below decides exactly.
	if f.HighValue != nil && *f.HighValue {
		where += ` AND EXISTS (SELECT 1 FROM registry.asset_spans sp WHERE sp.asset_id = a.id AND sp.known_to IS NULL
			AND sp.high_value_from <= ? AND (sp.valid_to IS NULL OR ? < sp.valid_to))`
		args = append(args, asOf.String(), asOf.String())
	}
	if f.Valid != nil && *f.Valid {
		where += ` AND EXISTS (SELECT 1 FROM registry.asset_spans sp WHERE sp.asset_id = a.id AND sp.known_to IS NULL
			AND sp.valid_from <= ? AND (sp.valid_to IS NULL OR ? < sp.valid_to))`
		args = append(args, asOf.String(), asOf.String())
	}
	var out []Asset
	for len(out) <= limit {
		q := where + ` AND a.id > ? ORDER BY a.id LIMIT ?`
		batch := limit + 1 - len(out)
		page, err := s.pageIDs(ctx, q, append(slices.Clone(args), after.String(), batch)...)
		if err != nil {
			return nil, "", err
		}
		if len(page) == 0 {
			break
		}
		after = page[len(page)-1]
		vs, err := s.views(ctx, s.db, asOf, `a.id = ANY(?::uuid[])`, pgdialect.Array(uuidStrings(page)))
		if err != nil {
			return nil, "", err
		}
		for _, v := range vs {
			if f.Valid != nil && v.Valid != *f.Valid {
				continue
			}
			if f.HighValue != nil && v.HighValue.Value != *f.HighValue {
				continue
			}
			out = append(out, v)
		}
		if len(page) < batch {
			break
		}
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		next = encodeCursor(out[limit-1].ID)
	}
	return out, next, nil
}

func (s *Service) pageIDs(ctx context.Context, where string, args ...any) ([]uuid.UUID, error) {
	ids, err := queryIDs(ctx, s.db, `SELECT a.id FROM registry.assets a WHERE `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("registry: list assets: %w", err)
	}
	return ids, nil
}

// AssetHistory returns the asset's ledger entries, oldest first.
func (s *Service) AssetHistory(ctx context.Context, id uuid.UUID) ([]ledger.Entry, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM registry.assets WHERE id = ?`, id.String()).Scan(&n); err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, Errorf(NotFound, "asset_not_found", "", "no asset %s", id)
	}
	var out []ledger.Entry
	var after int64
	for {
		page, err := ledger.List(ctx, s.db, ledger.Filter{After: after, Subject: "asset/" + id.String(), Limit: 1000})
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
		if len(page) < 1000 {
			return out, nil
		}
		after = page[len(page)-1].Seq
	}
}

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
	var out []AssetRef
	if err := s.db.NewRaw(`SELECT a.id, a.kind, a.number FROM registry.assets a
		JOIN unnest(?::text[], ?::text[]) AS r(kind, number) ON a.kind = r.kind AND a.number = r.number
		ORDER BY a.kind`, pgdialect.Array(kinds), pgdialect.Array(numbers)).Scan(ctx, &out); err != nil {
		return nil, fmt.Errorf("registry: assets by number: %w", err)
	}
	return out, nil
}
