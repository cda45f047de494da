package registry

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"

	"github.com/google/uuid"

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
		return Party{}, nil, Errorf(Invalid, "name_required", "name", "a party needs a name")
	}
	if err := CheckText("name", name, false); err != nil {
		return Party{}, nil, err
	}
	if !in.Kind.Valid() {
		return Party{}, nil, Errorf(Invalid, "party_kind_unknown", "kind", "unknown party kind %q", in.Kind)
	}
	uscc := ""
	if strings.TrimSpace(in.USCC) != "" {
		code, err := ident.CheckUSCC(in.USCC)
		switch {
		case err == nil:
			uscc = code
		case ident.CodeOf(err) == ident.CodeUSCCCheck && in.USCCConfirmed:
			uscc = ident.NormalizeUSCC(in.USCC)
			warns = append(warns, Warning{Code: "uscc_check_confirmed", Field: "uscc",
				Message: "the check character is wrong; accepted because the registrar confirmed the code (" + errDetail(err) + ")"})
		default:
			return Party{}, nil, identError(err, "uscc")
		}
	}
	id := newID()
	today := s.Today()
	p := Party{ID: id, Name: name, Kind: in.Kind, USCC: uscc, USCCConfirmed: uscc != "" && len(warns) > 0,
		RegionCode: in.RegionCode, RegisteredOn: today}
	_, err := s.write(ctx, func(ctx context.Context, tx *ledger.Tx) error {
		db := tx.DB()
		if err := checkUnit(ctx, db, in.RegionCode, "region_code"); err != nil {
			return err
		}
		if uscc != "" {
			var other uuid.UUID
			err := db.QueryRowContext(ctx, `SELECT id FROM registry.parties WHERE uscc = ?`, uscc).Scan(&other)
			if err == nil {
				e := Errorf(Conflict, "uscc_taken", "uscc", "party %s already has this unified social credit code", other)
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
		return Party{}, Errorf(Invalid, "date_in_future", "effective_on", "%s is after today", eff)
	}
	if in.Type == CreditListed || in.Type == CreditRemoved {
		return s.creditEvent(ctx, id, in, eff)
	}
	if (in.Type == "rename" || in.Type == "move") && (in.List != "" || in.SourceRef != "") {
		field := "list"
		if in.List == "" {
			field = "source_ref"
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
			return Party{}, Errorf(Invalid, "name_required", "name", "a rename needs the new name")
		}
		if err := CheckText("name", pl.Name, false); err != nil {
			return Party{}, err
		}
	case "move":
		kind = kindPartyMoved
		pl.RegionCode = in.RegionCode
	default:
		return Party{}, Errorf(Invalid, "event_type_unknown", "type", "party events are rename, move, credit_listed and credit_removed, not %q", in.Type)
	}
	_, err := s.write(ctx, func(ctx context.Context, tx *ledger.Tx) error {
		p, err := getParty(ctx, tx.DB(), id)
		if err != nil {
			return err
		}
		if eff.Before(p.RegisteredOn) {
			return Errorf(Invalid, "before_registration", "effective_on", "%s is before the party was registered (%s)", eff, p.RegisteredOn)
		}
		if kind == kindPartyMoved {
			if err := checkUnit(ctx, tx.DB(), in.RegionCode, "region_code"); err != nil {
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
