package registry

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"ipledger/ledger"
	"ipledger/registry/term"
)

// Credit records (失信, docs/SERVICES.md): the office records a party's listing on a credit
// blacklist and its removal, as party events. A listing never refuses a pledge: registering
// one for a pledgor listed on the registration date answers with a warning.

const (
	kindCreditListed  = "credit.listed"
	kindCreditRemoved = "credit.removed"

	// CreditListed and CreditRemoved are the party event types.
	CreditListed  = "credit_listed"
	CreditRemoved = "credit_removed"
)

// CreditListing is one listing of a party on a credit list, over [ListedOn, RemovedOn).
type CreditListing struct {
	List       string    `json:"list"`
	ListedOn   term.Date `json:"listed_on"`
	SourceRef  string    `json:"source_ref"`
	RemovedOn  term.Date `json:"removed_on"` // zero while listed
	RemovedRef string    `json:"removed_ref,omitempty"`
}

// On reports whether the listing holds on day d: removal takes effect on its date.
func (c CreditListing) On(d term.Date) bool {
	return !d.Before(c.ListedOn) && (c.RemovedOn.IsZero() || d.Before(c.RemovedOn))
}

type creditPayload struct {
	PartyID   uuid.UUID `json:"party_id"`
	List      string    `json:"list"`
	SourceRef string    `json:"source_ref"`
}

// creditEvent records credit_listed or credit_removed on the party, effective on eff.
func (s *Service) creditEvent(ctx context.Context, id uuid.UUID, in PartyEventInput, eff term.Date) (Party, error) {
	pl := creditPayload{PartyID: id, List: strings.TrimSpace(in.List), SourceRef: strings.TrimSpace(in.SourceRef)}
	if in.Name != "" || in.RegionCode != "" {
		field := "name"
		if in.Name == "" {
			field = "region_code"
		}
		return Party{}, Errorf(Invalid, "field_not_allowed", field, "a %s takes list, source_ref and effective_on only", in.Type)
	}
	if pl.List == "" {
		return Party{}, Errorf(Invalid, "list_required", "list", "name the credit list (e.g. 严重违法失信名单)")
	}
	if err := CheckText("list", pl.List, false); err != nil {
		return Party{}, err
	}
	if pl.SourceRef == "" {
		return Party{}, Errorf(Invalid, "source_ref_required", "source_ref", "cite the decision or notice the %s rests on", in.Type)
	}
	if err := CheckText("source_ref", pl.SourceRef, false); err != nil {
		return Party{}, err
	}
	kind := kindCreditListed
	if in.Type == CreditRemoved {
		kind = kindCreditRemoved
	}
	_, err := s.write(ctx, func(ctx context.Context, tx *ledger.Tx) error {
		db := tx.DB()
		if _, err := getParty(ctx, db, id); err != nil {
			return err
		}
		ls, err := creditListings(ctx, db, []uuid.UUID{id}, true)
		if err != nil {
			return err
		}
		var open, last *CreditListing
		for i := range ls[id] {
			c := &ls[id][i]
			if c.List != pl.List {
				continue
			}
			if c.RemovedOn.IsZero() {
				open = c
			}
			last = c // in listing order
		}
		switch kind {
		case kindCreditListed:
			if open != nil {
				return Errorf(Conflict, "credit_already_listed", "list", "the party is on %s since %s", pl.List, open.ListedOn)
			}
			if last != nil && eff.Before(last.RemovedOn) {
				return Errorf(Invalid, "before_last_change", "effective_on",
					"listed on %s, before its last removal from %s (%s)", eff, pl.List, last.RemovedOn)
			}
		case kindCreditRemoved:
			if open == nil {
				return Errorf(Conflict, "credit_not_listed", "list", "the party is not on %s", pl.List)
			}
			if eff.Before(open.ListedOn) {
				return Errorf(Invalid, "before_last_change", "effective_on",
					"removed on %s, before it was listed (%s)", eff, open.ListedOn)
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

// creditWarnings are the warnings of a pledge registered on reg for pledgors: one per
// pledgor and list it is on that day (names[id] is the pledgor's name).
func creditWarnings(ls map[uuid.UUID][]CreditListing, pledgors []uuid.UUID, names map[uuid.UUID]string, reg term.Date) []Warning {
	var out []Warning
	for i, id := range pledgors {
		for _, c := range ls[id] {
			if !c.On(reg) {
				continue
			}
			out = append(out, Warning{Code: "pledgor_credit_listed", Field: fmt.Sprintf("pledgor_ids[%d]", i), Ref: id.String(),
				Message: fmt.Sprintf("pledgor %s is on the credit list %s since %s (%s) on the registration date %s", names[id], c.List, c.ListedOn, c.SourceRef, reg)})
		}
	}
	return out
}
