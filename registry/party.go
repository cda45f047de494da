package registry

import (
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"ipledger/ledger"
	"ipledger/registry/ident"
	"ipledger/registry/term"
)

// PartyKind is what a party is.
type PartyKind string

const (
	Enterprise           PartyKind = "enterprise"
	University           PartyKind = "university"
	Institute            PartyKind = "institute"
	Individual           PartyKind = "individual"
	Bank                 PartyKind = "bank"
	Guarantor            PartyKind = "guarantor"             // 担保机构: a guarantee company
	FinancialInstitution PartyKind = "financial_institution" // a lender that is no bank (小额贷款公司, trust, leasing)
	Government           PartyKind = "government"
	OtherParty           PartyKind = "other"
	kindPartyRegistered            = "party.registered"
	kindPartyRenamed               = "party.renamed"
	kindPartyMoved                 = "party.moved"
)

// PartyKinds lists every party kind.
func PartyKinds() []PartyKind {
	return []PartyKind{Enterprise, University, Institute, Individual, Bank, Guarantor, FinancialInstitution, Government, OtherParty}
}

// PledgeeKinds are the kinds of party that may be a pledgee (CNIPA accepts any pledgee; the
// bureau's lenders are banks, guarantee companies and other financial institutions).
func PledgeeKinds() []PartyKind { return []PartyKind{Bank, Guarantor, FinancialInstitution} }

// Pledgee reports whether a party of kind k may be a pledgee, and so bound to a bank principal.
func (k PartyKind) Pledgee() bool { return slices.Contains(PledgeeKinds(), k) }

// Valid reports whether k is a known party kind.
func (k PartyKind) Valid() bool {
	for _, x := range PartyKinds() {
		if k == x {
			return true
		}
	}
	return false
}

// Party is an owner, pledgor or pledgee.
type Party struct {
	ID            uuid.UUID `json:"id"`
	Name          string    `json:"name"`
	Kind          PartyKind `json:"kind"`
	USCC          string    `json:"uscc,omitempty"`
	USCCConfirmed bool      `json:"uscc_confirmed"` // accepted despite a wrong check character
	RegionCode    string    `json:"region_code"`
	RegisteredOn  term.Date `json:"registered_on"`
}

// PartyInput registers a party. USCC is optional (individuals have none); a code whose
// check character is wrong is accepted only with USCCConfirmed, and then with a warning.
type PartyInput struct {
	Name          string
	Kind          PartyKind
	USCC          string
	USCCConfirmed bool
	RegionCode    string
}

type partyPayload struct {
	ID            uuid.UUID `json:"id"`
	Name          string    `json:"name,omitempty"`
	Kind          PartyKind `json:"kind,omitempty"`
	USCC          string    `json:"uscc,omitempty"`
	USCCConfirmed bool      `json:"uscc_confirmed,omitempty"`
	RegionCode    string    `json:"region_code,omitempty"`
}

// RegisterParty records a new party (party.registered).
func (s *Service) RegisterParty(ctx context.Context, in PartyInput) (Party, []Warning, error) {
	var warns []Warning
	name := strings.TrimSpace(in.Name)
	if name == "" {
		return Party{}, nil, Errorf(Invalid, "name_required", "body.name", "a party needs a name")
	}
	if err := CheckText("body.name", name, false); err != nil {
		return Party{}, nil, err
	}
	if !in.Kind.Valid() {
		return Party{}, nil, Errorf(Invalid, "party_kind_unknown", "body.kind", "unknown party kind %q", in.Kind)
	}
	uscc := ""
	if strings.TrimSpace(in.USCC) != "" {
		code, err := ident.CheckUSCC(in.USCC)
		switch {
		case err == nil:
			uscc = code
		case ident.CodeOf(err) == ident.CodeUSCCCheck && in.USCCConfirmed:
			uscc = ident.NormalizeUSCC(in.USCC)
			warns = append(warns, Warning{Code: "uscc_check_confirmed", Field: "body.uscc",
				Message: "the check character is wrong; accepted because the registrar confirmed the code (" + errDetail(err) + ")"})
		default:
			return Party{}, nil, identError(err, "body.uscc")
		}
	}
	id := newID()
	today := s.Today()
	p := Party{ID: id, Name: name, Kind: in.Kind, USCC: uscc, USCCConfirmed: uscc != "" && len(warns) > 0,
		RegionCode: in.RegionCode, RegisteredOn: today}
	_, err := s.write(ctx, func(ctx context.Context, tx *ledger.Tx) error {
		db := tx.DB()
		if err := checkUnit(ctx, db, in.RegionCode, "body.region_code"); err != nil {
			return err
		}
		if uscc != "" {
			var other uuid.UUID
			err := db.QueryRowContext(ctx, `SELECT id FROM registry.parties WHERE uscc = ?`, uscc).Scan(&other)
			if err == nil {
				e := Errorf(Conflict, "uscc_taken", "body.uscc", "party %s already has this unified social credit code", other)
				e.Ref = other.String()
				return e
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return err
			}
		}
		_, err := appendApply(ctx, tx, ledger.Draft{
			Kind: kindPartyRegistered, Subject: "party/" + id.String(), EffectiveOn: today.Time(),
			Payload: partyPayload{ID: id, Name: name, Kind: in.Kind, USCC: uscc, USCCConfirmed: p.USCCConfirmed, RegionCode: in.RegionCode},
		})
		return err
	})
	if err != nil {
		return Party{}, nil, err
	}
	return p, warns, nil
}

// PartyEventInput changes a party: Type "rename" (Name), "move" (RegionCode), or
// "credit_listed" / "credit_removed" (List, SourceRef; credit.go).
type PartyEventInput struct {
	Type        string
	Name        string
	RegionCode  string
	List        string
	SourceRef   string
	EffectiveOn term.Date // default today
}

// PartyEvent records a rename (party.renamed) or a move to another unit (party.moved). A
// move does not move the party's assets: an asset's unit changes only by its own events.
func (s *Service) PartyEvent(ctx context.Context, id uuid.UUID, in PartyEventInput) (Party, error) {
	eff := in.EffectiveOn
	if eff.IsZero() {
		eff = s.Today()
	}
	if eff.After(s.Today()) {
		return Party{}, Errorf(Invalid, "date_in_future", "body.effective_on", "%s is after today", eff)
	}
	if in.Type == CreditListed || in.Type == CreditRemoved {
		return s.creditEvent(ctx, id, in, eff)
	}
	if (in.Type == "rename" || in.Type == "move") && (in.List != "" || in.SourceRef != "") {
		field := "body.list"
		if in.List == "" {
			field = "body.source_ref"
		}
		return Party{}, Errorf(Invalid, "field_not_allowed", field, "only credit_listed and credit_removed take list and source_ref")
	}
	var kind string
	pl := partyPayload{ID: id}
	switch in.Type {
	case "rename":
		kind = kindPartyRenamed
		pl.Name = strings.TrimSpace(in.Name)
		if pl.Name == "" {
			return Party{}, Errorf(Invalid, "name_required", "body.name", "a rename needs the new name")
		}
		if err := CheckText("body.name", pl.Name, false); err != nil {
			return Party{}, err
		}
	case "move":
		kind = kindPartyMoved
		pl.RegionCode = in.RegionCode
	default:
		return Party{}, Errorf(Invalid, "event_type_unknown", "body.type", "party events are rename, move, credit_listed and credit_removed, not %q", in.Type)
	}
	_, err := s.write(ctx, func(ctx context.Context, tx *ledger.Tx) error {
		p, err := getParty(ctx, tx.DB(), id)
		if err != nil {
			return err
		}
		if eff.Before(p.RegisteredOn) {
			return Errorf(Invalid, "before_registration", "body.effective_on", "%s is before the party was registered (%s)", eff, p.RegisteredOn)
		}
		if kind == kindPartyMoved {
			if err := checkUnit(ctx, tx.DB(), in.RegionCode, "body.region_code"); err != nil {
				return err
			}
		}
		_, err = appendApply(ctx, tx, ledger.Draft{Kind: kind, Subject: "party/" + id.String(), EffectiveOn: eff.Time(), Payload: pl})
		return err
	})
	if err != nil {
		return Party{}, err
	}
	return getParty(ctx, s.l.DB(), id)
}

func applyParty(ctx context.Context, db bun.IDB, e ledger.Entry) error {
	var p partyPayload
	if err := decode(e, &p); err != nil {
		return err
	}
	var err error
	switch e.Kind {
	case kindPartyRegistered:
		var uscc any
		if p.USCC != "" {
			uscc = p.USCC
		}
		_, err = db.ExecContext(ctx, `INSERT INTO registry.parties
			(id, name, kind, uscc, uscc_confirmed, region_code, registered_on, registered_seq, updated_seq)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			p.ID, p.Name, string(p.Kind), uscc, p.USCCConfirmed, p.RegionCode, e.EffectiveDate(), e.Seq, e.Seq)
	case kindPartyRenamed:
		_, err = db.ExecContext(ctx, `UPDATE registry.parties SET name = ?, updated_seq = ? WHERE id = ?`, p.Name, e.Seq, p.ID)
	case kindPartyMoved:
		_, err = db.ExecContext(ctx, `UPDATE registry.parties SET region_code = ?, updated_seq = ? WHERE id = ?`, p.RegionCode, e.Seq, p.ID)
	}
	return err
}

const partyColumns = `id, name, kind, coalesce(uscc, ''), uscc_confirmed, region_code, registered_on::text`

func scanParty(sc interface{ Scan(...any) error }) (Party, error) {
	var p Party
	var kind, reg string
	if err := sc.Scan(&p.ID, &p.Name, &kind, &p.USCC, &p.USCCConfirmed, &p.RegionCode, &reg); err != nil {
		return p, err
	}
	p.Kind = PartyKind(kind)
	p.RegisteredOn = parseDateCol(&reg)
	return p, nil
}

// GetParty returns a party.
func (s *Service) GetParty(ctx context.Context, id uuid.UUID) (Party, error) {
	return getParty(ctx, s.db, id)
}

func getParty(ctx context.Context, db bun.IDB, id uuid.UUID) (Party, error) {
	p, err := scanParty(db.QueryRowContext(ctx, `SELECT `+partyColumns+` FROM registry.parties WHERE id = ?`, id))
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
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, "", fmt.Errorf("registry: list parties: %w", err)
	}
	defer rows.Close()
	var out []Party
	for rows.Next() {
		p, err := scanParty(rows)
		if err != nil {
			return nil, "", err
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		next = encodeCursor(out[limit-1].ID)
	}
	return out, next, nil
}

func clampLimit(n int) int {
	switch {
	case n <= 0:
		return 100
	case n > 1000:
		return 1000
	}
	return n
}

func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// Cursors are opaque to clients: the last id of the page, base64url-encoded.
func encodeCursor(id uuid.UUID) string { return base64.RawURLEncoding.EncodeToString(id[:]) }

func decodeCursor(c string) (uuid.UUID, error) {
	if c == "" {
		return uuid.Nil, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || len(b) != 16 {
		return uuid.Nil, Errorf(Invalid, "cursor_invalid", "query.cursor", "not a cursor this list returned")
	}
	var id uuid.UUID
	copy(id[:], b)
	return id, nil
}

// identError turns an ident or term error into the domain's Invalid error at field.
func identError(err error, field string) error {
	var ie *ident.Error
	if errors.As(err, &ie) {
		return &Error{Class: Invalid, Code: ie.Code, Field: field, Message: ie.Detail}
	}
	var te *term.Error
	if errors.As(err, &te) {
		return &Error{Class: Invalid, Code: te.Code, Field: field, Message: te.Detail}
	}
	return err
}

func errDetail(err error) string {
	var ie *ident.Error
	if errors.As(err, &ie) {
		return ie.Detail
	}
	return err.Error()
}

// PartyIDsByUSCC returns the parties having the given codes (as CheckUSCC writes them).
func (s *Service) PartyIDsByUSCC(ctx context.Context, codes []string) (map[string]uuid.UUID, error) {
	out := map[string]uuid.UUID{}
	if len(codes) == 0 {
		return out, nil
	}
	rows, err := s.db.QueryContext(ctx, `SELECT uscc, id FROM registry.parties WHERE uscc = ANY(?::text[])`, pgdialect.Array(codes))
	if err != nil {
		return nil, fmt.Errorf("registry: parties by uscc: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var c string
		var id uuid.UUID
		if err := rows.Scan(&c, &id); err != nil {
			return nil, err
		}
		out[c] = id
	}
	return out, rows.Err()
}
