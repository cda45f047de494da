package registry

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"ipledger/ledger"
	"ipledger/registry/term"
)

// Financing demand (融资需求, docs/SERVICES.md): the office records an enterprise's demand
// for pledge financing; lenders list the open ones and mark interest; the demand ends matched
// (by a lender, citing the pledge that fulfils it if there is one) or withdrawn. Each change
// is one ledger entry, subject demand/<id>.

const (
	kindDemandPosted    = "demand.posted"
	kindDemandInterest  = "demand.interest"
	kindDemandMatched   = "demand.matched"
	kindDemandWithdrawn = "demand.withdrawn"
)

// Demand statuses and event types.
const (
	DemandOpen      = "open"
	DemandMatched   = "matched"
	DemandWithdrawn = "withdrawn"

	DemandInterest = "interest"
)

// MaxTermMonths bounds a demand's term (30 years).
const MaxTermMonths = 360

// Demand is a financing demand in its current state.
type Demand struct {
	ID         uuid.UUID   `json:"id"`
	Party      Owner       `json:"party"`
	RegionCode string      `json:"region_code"`
	Amount     Money       `json:"amount"`
	TermMonths int         `json:"term_months"`
	AssetIDs   []uuid.UUID `json:"asset_ids"` // rights offered as collateral
	Note       string      `json:"note"`
	Status     string      `json:"status"`
	PostedOn   term.Date   `json:"posted_on"`
	ClosedOn   term.Date   `json:"closed_on"` // matched or withdrawn on
	Lender     *Owner      `json:"lender"`    // matched: the lender
	PledgeID   uuid.UUID   `json:"pledge_id"` // matched: the pledge that fulfils it, if cited
	Interests  []Interest  `json:"interests"` // a lender sees its own only
	Seq        int64       `json:"posted_seq"`
	UpdatedSeq int64       `json:"updated_seq"`
}

// Interest is a lender's mark of interest in a demand.
type Interest struct {
	Lender Owner     `json:"lender" bun:"embed:lender_"` // read as lender_id, lender_name
	On     term.Date `json:"on"`
}

// DemandInput posts a demand.
type DemandInput struct {
	PartyID    uuid.UUID
	Amount     string // CNY, a decimal string
	TermMonths int
	AssetIDs   []uuid.UUID // optional: rights offered, owned by the party
	Note       string
	PostedOn   term.Date // default today, never after it
}

type demandPayload struct {
	ID         uuid.UUID   `json:"id"`
	PartyID    uuid.UUID   `json:"party_id"`
	RegionCode string      `json:"region_code"`
	AmountFen  int64       `json:"amount_fen"`
	TermMonths int         `json:"term_months"`
	AssetIDs   []uuid.UUID `json:"asset_ids,omitempty"`
	Note       string      `json:"note,omitempty"`
}

type demandEventPayload struct {
	DemandID uuid.UUID  `json:"demand_id"`
	Type     string     `json:"type"`
	LenderID *uuid.UUID `json:"lender_id,omitempty"`
	PledgeID *uuid.UUID `json:"pledge_id,omitempty"`
	Note     string     `json:"note,omitempty"`
}

func demandSubject(id uuid.UUID) string { return "demand/" + id.String() }

// PostDemand records a demand (demand.posted) in the party's unit.
func (s *Service) PostDemand(ctx context.Context, in DemandInput) (Demand, error) {
	amount, ok := ParseMoney(in.Amount)
	if !ok {
		return Demand{}, Errorf(Invalid, "amount_invalid", "amount",
			"the amount is a decimal string in CNY, more than 0, with at most 2 decimals, up to %s; got %q", MaxMoney, in.Amount)
	}
	if in.TermMonths < 1 || in.TermMonths > MaxTermMonths {
		return Demand{}, Errorf(Invalid, "term_months_invalid", "term_months", "the term is 1 to %d months, not %d", MaxTermMonths, in.TermMonths)
	}
	note := strings.TrimSpace(in.Note)
	if err := CheckText("note", note, true); err != nil {
		return Demand{}, err
	}
	posted := in.PostedOn
	if posted.IsZero() {
		posted = s.Today()
	}
	if posted.After(s.Today()) {
		return Demand{}, Errorf(Invalid, "date_in_future", "posted_on", "posted on %s, after today (%s)", posted, s.Today())
	}
	for i, a := range in.AssetIDs {
		if slices.Contains(in.AssetIDs[:i], a) {
			return Demand{}, Errorf(Invalid, "asset_duplicate", fmt.Sprintf("asset_ids[%d]", i), "asset %s is listed twice", a)
		}
	}
	id := newID()
	pl := demandPayload{ID: id, PartyID: in.PartyID, AmountFen: int64(amount), TermMonths: in.TermMonths, AssetIDs: slices.Clone(in.AssetIDs), Note: note}
	_, err := s.write(ctx, func(ctx context.Context, tx *ledger.Tx) error {
		db := tx.DB()
		p, err := getParty(ctx, db, in.PartyID)
		if err != nil {
			if de, ok := AsError(err); ok && de.Class == NotFound {
				return Errorf(Invalid, "party_unknown", "party_id", "no party %s", in.PartyID)
			}
			return err
		}
		if p.Kind.Pledgee() || p.Kind == Government {
			return Errorf(Invalid, "party_not_borrower", "party_id", "%s is a %s: a demand is an enterprise's, an institution's or a person's", p.Name, p.Kind)
		}
		pl.RegionCode = p.RegionCode
		if len(pl.AssetIDs) > 0 {
			ls, pol, err := loadPledgeAssets(ctx, db, pl.AssetIDs)
			if err != nil {
				return err
			}
			for i, a := range pl.AssetIDs {
				field := fmt.Sprintf("asset_ids[%d]", i)
				l := ls[a]
				if l == nil {
					return Errorf(Invalid, "asset_unknown", field, "no asset %s", a)
				}
				if !l.f.Kind.Pledgeable() {
					return Errorf(Invalid, "asset_not_pledgeable", field, "a %s is not pledged", l.f.Kind)
				}
				if !slices.Contains(fold(l.f, l.evs, pol, l.fin).at(posted).Owners, in.PartyID) {
					return Errorf(Invalid, "asset_not_owned", field, "%s %s is not the party's on %s", l.f.Kind, l.number, posted)
				}
			}
		}
		_, err = appendApply(ctx, tx, ledger.Draft{Kind: kindDemandPosted, Subject: demandSubject(id), EffectiveOn: posted.Time(), Payload: pl})
		return err
	})
	if err != nil {
		return Demand{}, err
	}
	return s.getDemand(ctx, s.l.DB(), OfficeViewer(), id)
}

// DemandEventInput changes a demand: Type interest (LenderID for the office; a lender marks
// its own), matched (LenderID and/or PledgeID) or withdrawn.
type DemandEventInput struct {
	Type        string
	LenderID    uuid.UUID
	PledgeID    uuid.UUID
	Note        string
	EffectiveOn term.Date // default today
}

// DemandEvent records an event on a demand as v: the office (admins, registrars) or a lender
// (a bank principal, v.bank). A demand v cannot see is NotFound.
func (s *Service) DemandEvent(ctx context.Context, v Viewer, id uuid.UUID, in DemandEventInput) (Demand, error) {
	eff := in.EffectiveOn
	if eff.IsZero() {
		eff = s.Today()
	}
	if eff.After(s.Today()) {
		return Demand{}, Errorf(Invalid, "date_in_future", "effective_on", "%s is after today", eff)
	}
	note := strings.TrimSpace(in.Note)
	if err := CheckText("note", note, true); err != nil {
		return Demand{}, err
	}
	var kind string
	switch in.Type {
	case DemandInterest:
		kind = kindDemandInterest
	case DemandMatched:
		kind = kindDemandMatched
	case DemandWithdrawn:
		kind = kindDemandWithdrawn
	default:
		return Demand{}, Errorf(Invalid, "event_type_unknown", "type", "demand events are interest, matched and withdrawn, not %q", in.Type)
	}
	if in.PledgeID != uuid.Nil && kind != kindDemandMatched {
		return Demand{}, Errorf(Invalid, "field_not_allowed", "pledge_id", "only matched cites a pledge")
	}
	if in.LenderID != uuid.Nil && kind == kindDemandWithdrawn {
		return Demand{}, Errorf(Invalid, "field_not_allowed", "lender_id", "withdrawn names no lender")
	}
	if !v.all && v.bank == uuid.Nil {
		return Demand{}, Errorf(NotFound, "demand_not_found", "", "no demand %s", id)
	}
	lender := in.LenderID
	if !v.all {
		if kind == kindDemandWithdrawn {
			return Demand{}, Errorf(Forbidden, "withdraw_office_only", "type", "only the office withdraws a demand")
		}
		if lender != uuid.Nil && lender != v.bank {
			return Demand{}, Errorf(Forbidden, "lender_not_caller", "lender_id", "a lender acts for itself only")
		}
		lender = v.bank
	}
	pl := demandEventPayload{DemandID: id, Type: in.Type, Note: note}
	_, err := s.write(ctx, func(ctx context.Context, tx *ledger.Tx) error {
		db := tx.DB()
		d, err := s.getDemand(ctx, db, OfficeViewer(), id)
		if err != nil {
			return err
		}
		if d.Status != DemandOpen {
			return Errorf(Conflict, "demand_not_open", "type", "the demand is %s since %s", d.Status, d.ClosedOn)
		}
		var last term.Date
		if err := db.QueryRowContext(ctx, `SELECT changed_on FROM registry.demands WHERE id = ?`, id.String()).Scan(&last); err != nil {
			return err
		}
		if eff.Before(last) {
			return Errorf(Invalid, "before_last_change", "effective_on", "%s is before the demand's last change (%s)", eff, last)
		}
		if in.PledgeID != uuid.Nil {
			ps, err := s.loadPledges(ctx, db, `p.id = ?`, in.PledgeID.String())
			if err != nil {
				return err
			}
			if len(ps) == 0 || !v.sees(ps[0].Pledgee.ID) {
				return Errorf(Invalid, "pledge_unknown", "pledge_id", "no pledge %s", in.PledgeID)
			}
			pg := ps[0]
			if !slices.ContainsFunc(pg.Pledgors, func(o Owner) bool { return o.ID == d.Party.ID }) {
				return Errorf(Invalid, "pledge_party_mismatch", "pledge_id", "the demand's party is not a pledgor of pledge %s", pg.ID)
			}
			if lender != uuid.Nil && lender != pg.Pledgee.ID {
				return Errorf(Invalid, "pledge_lender_mismatch", "pledge_id", "pledge %s is %s's, not the lender's", pg.ID, pg.Pledgee.Name)
			}
			lender = pg.Pledgee.ID
			pledge := pg.ID
			pl.PledgeID = &pledge
		}
		if kind == kindDemandInterest || kind == kindDemandMatched {
			if lender == uuid.Nil {
				return Errorf(Invalid, "lender_required", "lender_id", "name the lender (or, for matched, the pledge)")
			}
			lp, err := getParty(ctx, db, lender)
			if err != nil || !lp.Kind.Pledgee() {
				if err != nil {
					if de, ok := AsError(err); !ok || de.Class != NotFound {
						return err
					}
				}
				return Errorf(Invalid, "lender_invalid", "lender_id", "party %s is no lender (a bank, guarantor or financial institution)", lender)
			}
			interested := slices.ContainsFunc(d.Interests, func(i Interest) bool { return i.Lender.ID == lender })
			if kind == kindDemandInterest && interested {
				return Errorf(Conflict, "interest_already_marked", "type", "%s marked interest already", lp.Name)
			}
			if kind == kindDemandMatched && !v.all && !interested && pl.PledgeID == nil {
				return Errorf(Conflict, "interest_required", "type", "a lender matches a demand it marked interest in, or cites its pledge")
			}
			pl.LenderID = &lender
		}
		_, err = appendApply(ctx, tx, ledger.Draft{Kind: kind, Subject: demandSubject(id), EffectiveOn: eff.Time(), Payload: pl})
		return err
	})
	if err != nil {
		return Demand{}, err
	}
	return s.getDemand(ctx, s.l.DB(), v, id)
}

// demandState is what a pledge registration citing a demand reads of it.
type demandState struct {
	party   uuid.UUID
	status  string
	lender  uuid.UUID
	changed term.Date
}

// loadDemandStates reads the demands ids for pledge registrations.
func loadDemandStates(ctx context.Context, db bun.IDB, ids []string) (map[uuid.UUID]*demandState, error) {
	out := map[uuid.UUID]*demandState{}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := db.QueryContext(ctx, `SELECT id, party_id, status, lender_id, changed_on FROM registry.demands WHERE id = ANY(?::uuid[])`,
		pgdialect.Array(ids))
	if err != nil {
		return nil, fmt.Errorf("registry: pledge demands: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id uuid.UUID
		var d demandState
		var lender uuid.NullUUID
		if err := rows.Scan(&id, &d.party, &d.status, &lender, &d.changed); err != nil {
			return nil, err
		}
		d.lender = lender.UUID
		out[id] = &d
	}
	return out, rows.Err()
}

// checkDemand applies the rules of a pledge citing a demand: it exists, its party is a
// pledgor, and it is open (then the registration matches it, on the registration date, not
// before its last change) or already matched by this pledge's lender.
func (v *pledgeView) checkDemand(p *pledgePayload) *Error {
	if p.DemandID == nil {
		return nil
	}
	d := v.demands[*p.DemandID]
	if d == nil {
		return Errorf(Invalid, "demand_unknown", "demand_id", "no demand %s", *p.DemandID)
	}
	if !slices.Contains(p.PledgorIDs, d.party) {
		return Errorf(Invalid, "demand_party_mismatch", "demand_id", "the demand's party %s is not a pledgor", d.party)
	}
	switch {
	case d.status == DemandOpen:
		if p.RegisteredOn.Before(d.changed) {
			return Errorf(Invalid, "before_last_change", "registered_on", "registered on %s, before the demand's last change (%s)", p.RegisteredOn, d.changed)
		}
	case d.status == DemandMatched && d.lender == p.PledgeeID:
	default:
		e := Errorf(Conflict, "demand_not_open", "demand_id", "the demand is %s", d.status)
		e.Ref = p.DemandID.String()
		return e
	}
	return nil
}

// matchDemand records, in the registration's write, that the pledge p matches the open
// demand it cites.
func (v *pledgeView) matchDemand(ctx context.Context, tx *ledger.Tx, p *pledgePayload) error {
	if p.DemandID == nil {
		return nil
	}
	d := v.demands[*p.DemandID]
	if d == nil || d.status != DemandOpen {
		return nil
	}
	lender, pledge := p.PledgeeID, p.ID
	if _, err := appendApply(ctx, tx, ledger.Draft{Kind: kindDemandMatched, Subject: demandSubject(*p.DemandID), EffectiveOn: p.RegisteredOn.Time(),
		Payload: demandEventPayload{DemandID: *p.DemandID, Type: DemandMatched, LenderID: &lender, PledgeID: &pledge}}); err != nil {
		return err
	}
	d.status, d.lender, d.changed = DemandMatched, lender, p.RegisteredOn
	return nil
}
