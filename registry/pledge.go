package registry

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/driver/pgdriver"

	"ipledger/ledger"
	"ipledger/registry/ident"
	"ipledger/registry/term"
)

// RegisterPledges registers many pledges in one ledger write, in order: a later pledge sees the
// earlier ones (a right pledged by an earlier item is refused with asset_pledged). res[i].ID is
// the new pledge of ins[i]; res[i].Err says why it was refused.
func (s *Service) RegisterPledges(ctx context.Context, ins []PledgeInput) ([]BatchResult, error) {
	b, err := s.PreparePledges(ctx, ins)
	if err != nil {
		return nil, err
	}
	return s.RegisterPreparedPledges(ctx, b)
}

// registerPledges is RegisterPledges with each new pledge as recorded, for the calls gathered
// from single registrations (gather.go): nothing is made ahead, since a gatherer writes one
// batch at a time and a read before the write would lengthen each (HTTP registrations at 32
// clients took 0.57-0.72 of the time with PreparePledges here, docs/BENCHMARKS.md).
func (s *Service) registerPledges(ctx context.Context, ins []PledgeInput) ([]pledgeOutcome, error) {
	return s.writePledges(ctx, s.preparePledges(ins))
}

// writePledges writes b (pledge_prepare.go) with each new pledge as recorded.
func (s *Service) writePledges(ctx context.Context, b *PledgeBatch) ([]pledgeOutcome, error) {
	res, err := writeResults(ctx, s, b.base, func(ctx context.Context, tx *ledger.Tx, out []pledgeOutcome) error {
		// The payloads are rebuilt on every run too (writeResults).
		run := make([]*pledgePayload, len(b.payloads))
		for i, p := range b.payloads {
			if p != nil {
				c := *p
				run[i] = &c
			}
		}
		return recordPledges(ctx, tx, s.l.DB(), run, b.made, out)
	})
	if err != nil {
		return nil, pledgeWriteError(err)
	}
	return res, nil
}

// Pledge entry kinds: one ledger entry per change, subject pledge/<id>.
const (
	kindPledgeRegistered     = "pledge.registered"
	kindPledgeAmended        = "pledge.amended"
	kindPledgeExtended       = "pledge.extended"
	kindPledgeAssetsReleased = "pledge.assets_released"
	kindPledgeReleased       = "pledge.released"
	kindPledgeDefaulted      = "pledge.defaulted"
	kindPledgeRealised       = "pledge.realised"
	kindPledgeAppraised      = "pledge.appraised" // pledge_valuation.go
)

// Pledge statuses. A pledge is active from registration until it is released (注销, on
// repayment) or realised; a term that ended without release leaves it active and overdue.
const (
	PledgeActive   = "active"
	PledgeReleased = "released"
	PledgeRealised = "realised"
)

// Viewer is who reads or acts on pledges: the office (admins, registrars, auditors) sees every
// pledge; a bank sees only those where it is the pledgee, and another bank's pledge does not
// exist for it (NotFound). The zero Viewer sees nothing.
type Viewer struct {
	all  bool
	bank uuid.UUID
}

// OfficeViewer sees and may act on every pledge.
func OfficeViewer() Viewer { return Viewer{all: true} }

// BankViewer sees and may act on the pledges whose pledgee is the bank party partyID.
func BankViewer(partyID uuid.UUID) Viewer { return Viewer{bank: partyID} }

func (v Viewer) sees(pledgee uuid.UUID) bool {
	return v.all || (v.bank != uuid.Nil && v.bank == pledgee)
}

// PledgeInput registers a pledge (docs/DOMAIN.md, Pledge rules).
type PledgeInput struct {
	PledgorIDs   []uuid.UUID // exactly the current owners of every right, the first deciding the region
	AssetIDs     []uuid.UUID // one or more pledgeable rights
	Amount       string      // secured debt in CNY, a decimal string ("150000000.00")
	ContractNo   string      // the pledge contract's number
	RegisteredOn term.Date   // the registration date; default today, never after it
	StartsOn     term.Date   // the debt term; default RegisteredOn
	EndsOn       term.Date   // required; on or before every right's expires_on
	PledgeeID    uuid.UUID   // the bank (a party of kind bank)
	ReleasedOn   term.Date   // a pledge that has already ended: released (注销) on, ≥ RegisteredOn (and DefaultedOn), ≤ today
	// A pledge's history recorded after the fact (docs/PLEDGES.md, "Finished pledges"): the
	// debtor's default, and a realisation ending it. RealisedOn needs DefaultedOn
	// (RegisteredOn ≤ DefaultedOn ≤ RealisedOn ≤ today), a method and the proceeds, and
	// excludes ReleasedOn: a pledge ends once.
	DefaultedOn       term.Date
	RealisedOn        term.Date
	RealisationMethod string // one of RealisationMethods
	Proceeds          string // CNY, a decimal string
	Note              string
	DemandID          uuid.UUID // optional: the financing demand it fulfils (demand.go)

	Appraisals []AppraisalInput // optional: appraisals of the rights (pledge_valuation.go)
}

type pledgePayload struct {
	ID           uuid.UUID   `json:"id"`
	PledgeeID    uuid.UUID   `json:"pledgee_id"`
	PledgorIDs   []uuid.UUID `json:"pledgor_ids"`
	AssetIDs     []uuid.UUID `json:"asset_ids"`
	AmountFen    int64       `json:"amount_fen"`
	ContractNo   string      `json:"contract_no"`
	RegisteredOn term.Date   `json:"registered_on"`
	StartsOn     term.Date   `json:"starts_on"`
	EndsOn       term.Date   `json:"ends_on"`
	RegionCode   string      `json:"region_code"` // the first pledgor's unit: where the financing counts
	// ReleasedOn is set on a pledge recorded after it ended: its pledge.released entry follows
	// in the same transaction, and its rights are held only over [RegisteredOn, ReleasedOn).
	ReleasedOn *term.Date `json:"released_on,omitempty"`
	// RealisedOn likewise, on a pledge recorded after it was realised: its pledge.defaulted and
	// pledge.realised entries follow in the same transaction.
	RealisedOn *term.Date `json:"realised_on,omitempty"`
	Note       string     `json:"note,omitempty"`
	DemandID   *uuid.UUID `json:"demand_id,omitempty"` // the demand it fulfils; an open one is matched in the same write

	Appraisals []appraisalPayload `json:"appraisals,omitempty"` // pledge_valuation.go

	// What follows the registration in the same write, each its own entry: default (also on
	// a pledge still open or released after it) and the realisation's method and proceeds.
	defaultedOn *term.Date
	method      string
	proceedsFen int64
}

// end is the day the pledge's period ends (its release or realisation); nil while open.
func (p *pledgePayload) end() *term.Date {
	if p.RealisedOn != nil {
		return p.RealisedOn
	}
	return p.ReleasedOn
}

// followed says whether entries follow the registration in its write: a history recorded
// after the fact.
func (p *pledgePayload) followed() bool { return p.end() != nil || p.defaultedOn != nil }

// RegisterPledge records a pledge registration (pledge.registered, effective on its
// registration date) and counts its amount as financing on that date in the first pledgor's
// unit. Each rule refused is an *Error whose Code names it and whose Field points at the
// input; nothing is written then.
func (s *Service) RegisterPledge(ctx context.Context, in PledgeInput) (Pledge, error) {
	if _, err := preparePledge(in, s.Today()); err != nil {
		return Pledge{}, err // refused before queueing
	}
	res, err := s.pledges.do(ctx, in) // RegisterPledges, with the calls made at the same time
	if err != nil {
		return Pledge{}, err
	}
	if res.Err != nil {
		return Pledge{}, res.Err
	}
	// The answer is what was written, not a read of it.
	p := res.pledge
	p.Overdue = p.Status == PledgeActive && p.EndsOn.Before(s.Today())
	return p, nil
}

func pledgeSubject(id uuid.UUID) string { return "pledge/" + id.String() }

// preparePledge checks what needs no database.
func preparePledge(in PledgeInput, today term.Date) (*pledgePayload, error) {
	amount, ok := ParseMoney(in.Amount)
	if !ok {
		return nil, Errorf(Invalid, "amount_invalid", "amount",
			"the amount is a decimal string in CNY, more than 0, with at most 2 decimals, up to %s (e.g. \"150000000.00\"); got %q", MaxMoney, in.Amount)
	}
	contract := strings.TrimSpace(in.ContractNo)
	if contract == "" {
		return nil, Errorf(Invalid, "contract_required", "contract_no", "the pledge contract's number is required")
	}
	if err := CheckText("contract_no", contract, false); err != nil {
		return nil, err
	}
	if len(contract) > 200 {
		return nil, Errorf(Invalid, "contract_required", "contract_no", "the contract number is at most 200 bytes")
	}
	reg := in.RegisteredOn
	if reg.IsZero() {
		reg = today
	}
	if reg.After(today) {
		return nil, Errorf(Invalid, "date_in_future", "registered_on", "registered on %s, after today (%s)", reg, today)
	}
	start := in.StartsOn
	if start.IsZero() {
		start = reg
	}
	var released *term.Date
	if r := in.ReleasedOn; !r.IsZero() {
		if r.After(today) {
			return nil, Errorf(Invalid, "date_in_future", "released_on", "released on %s, after today (%s)", r, today)
		}
		if r.Before(reg) {
			return nil, Errorf(Invalid, "before_last_change", "released_on", "released on %s, before its registration (%s)", r, reg)
		}
		released = &r
	}
	var defaulted, realised *term.Date
	if dd := in.DefaultedOn; !dd.IsZero() {
		if dd.After(today) {
			return nil, Errorf(Invalid, "date_in_future", "defaulted_on", "defaulted on %s, after today (%s)", dd, today)
		}
		if dd.Before(reg) {
			return nil, Errorf(Invalid, "before_last_change", "defaulted_on", "defaulted on %s, before its registration (%s)", dd, reg)
		}
		if released != nil && released.Before(dd) {
			return nil, Errorf(Invalid, "before_last_change", "released_on", "released on %s, before its default (%s)", *released, dd)
		}
		defaulted = &dd
	}
	var method string
	var proceeds int64
	if r := in.RealisedOn; !r.IsZero() {
		if released != nil {
			return nil, Errorf(Invalid, "already_released", "realised_on", "a pledge ends once: released (注销) or realised, not both")
		}
		if defaulted == nil {
			return nil, Errorf(Invalid, "not_defaulted", "defaulted_on", "a pledge is realised only after the debtor's default: give defaulted_on (on or before realised_on)")
		}
		if r.After(today) {
			return nil, Errorf(Invalid, "date_in_future", "realised_on", "realised on %s, after today (%s)", r, today)
		}
		if r.Before(*defaulted) {
			return nil, Errorf(Invalid, "before_last_change", "realised_on", "realised on %s, before its default (%s)", r, *defaulted)
		}
		var err *Error
		if method, proceeds, err = checkRealisation(in.RealisationMethod, in.Proceeds, "realisation_method", "proceeds"); err != nil {
			return nil, err
		}
		// These two carry terms of their own (the equity holder and share, the licensee), which
		// only the realise event takes.
		if method == RealiseDebtToEquity || method == RealiseReverseLicence {
			return nil, Errorf(Invalid, "method_invalid", "realisation_method",
				"a %s realisation carries terms of its own: record the pledge with defaulted_on, then its realise event", method)
		}
		realised = &r
	} else {
		for _, f := range []struct{ name, v string }{{"realisation_method", in.RealisationMethod}, {"proceeds", in.Proceeds}} {
			if f.v != "" {
				return nil, Errorf(Invalid, "field_not_allowed", f.name, "%s belongs to a realised pledge (with realised_on)", f.name)
			}
		}
	}
	if in.EndsOn.IsZero() {
		return nil, Errorf(Invalid, "term_invalid", "ends_on", "the debt term's end date is required")
	}
	if in.EndsOn.Before(start) {
		return nil, Errorf(Invalid, "term_invalid", "ends_on", "the term ends on %s, before it starts (%s)", in.EndsOn, start)
	}
	if len(in.PledgorIDs) == 0 {
		return nil, Errorf(Invalid, "pledgors_required", "pledgor_ids", "a pledge names its pledgors: all owners of the rights")
	}
	for i, id := range in.PledgorIDs {
		if slices.Contains(in.PledgorIDs[:i], id) {
			return nil, Errorf(Invalid, "pledgor_duplicate", fmt.Sprintf("pledgor_ids[%d]", i), "pledgor %s is listed twice", id)
		}
	}
	if len(in.AssetIDs) == 0 {
		return nil, Errorf(Invalid, "assets_required", "asset_ids", "a pledge covers one or more rights")
	}
	for i, id := range in.AssetIDs {
		if slices.Contains(in.AssetIDs[:i], id) {
			return nil, Errorf(Invalid, "asset_duplicate", fmt.Sprintf("asset_ids[%d]", i), "asset %s is listed twice", id)
		}
	}
	if in.PledgeeID == uuid.Nil {
		return nil, Errorf(Invalid, "pledgee_required", "pledgee_id", "name the pledgee bank")
	}
	if slices.Contains(in.PledgorIDs, in.PledgeeID) {
		return nil, Errorf(Invalid, "pledgee_is_pledgor", "pledgee_id", "the pledgee cannot also be a pledgor")
	}
	var demand *uuid.UUID
	if in.DemandID != uuid.Nil {
		demand = &in.DemandID
	}
	appraisals, aerr := prepareAppraisals(in.Appraisals, today)
	if aerr != nil {
		return nil, aerr
	}
	return &pledgePayload{
		DemandID:  demand,
		PledgeeID: in.PledgeeID, PledgorIDs: slices.Clone(in.PledgorIDs), AssetIDs: slices.Clone(in.AssetIDs),
		AmountFen: int64(amount), ContractNo: contract, RegisteredOn: reg, StartsOn: start, EndsOn: in.EndsOn,
		ReleasedOn: released, RealisedOn: realised, Note: strings.TrimSpace(in.Note),
		defaultedOn: defaulted, method: method, proceedsFen: proceeds, Appraisals: appraisals,
	}, nil
}

// loadPledgeAssets loads and folds the assets, by id.
func loadPledgeAssets(ctx context.Context, db bun.IDB, ids []uuid.UUID) (map[uuid.UUID]*loaded, policy, error) {
	pol, err := loadPolicy(ctx, db)
	if err != nil {
		return nil, pol, err
	}
	ls, err := loadAssets(ctx, db, 1<<62, `a.id = ANY(?::uuid[])`, pgdialect.Array(uuidStrings(ids)))
	if err != nil {
		return nil, pol, err
	}
	out := make(map[uuid.UUID]*loaded, len(ls))
	for _, l := range ls {
		out[l.id] = l
	}
	return out, pol, nil
}

// checkPledgeable applies the per-right rules: a pledgeable kind; granted and in force, not
// frozen, on the registration date and on the day the term starts; its term not ending before
// the debt's (ends_on may equal expires_on, the last valid day); and its owners on the
// registration date exactly the pledgors.
func checkPledgeable(l *loaded, pol policy, p *pledgePayload, field string) error {
	if !l.f.Kind.Pledgeable() {
		return Errorf(Invalid, "asset_not_pledgeable", field, "a %s is not pledged (GI products and GI marks belong to a region's producers)", l.f.Kind)
	}
	t := fold(l.f, l.evs, pol, l.fin)
	for _, on := range []term.Date{p.RegisteredOn, p.StartsOn} {
		st := t.at(on)
		if !st.Valid {
			return Errorf(Invalid, "asset_not_valid", field, "%s %s is %s on %s, not a right in force", l.f.Kind, l.number, st.Status, on)
		}
		if st.Frozen {
			return Errorf(Invalid, "asset_frozen", field, "%s %s is frozen by a court on %s", l.f.Kind, l.number, on)
		}
	}
	if err := checkTermWithin(t, l, p.EndsOn, field); err != nil {
		return err
	}
	owners := t.at(p.RegisteredOn).Owners
	for i, o := range p.PledgorIDs {
		if !slices.Contains(owners, o) {
			e := Errorf(Invalid, "pledgor_not_owner", fmt.Sprintf("pledgor_ids[%d]", i), "party %s is not an owner of %s %s", o, l.f.Kind, l.number)
			e.Ref = l.id.String()
			return e
		}
	}
	for _, o := range owners {
		if !slices.Contains(p.PledgorIDs, o) {
			e := Errorf(Invalid, "co_owner_missing", "pledgor_ids", "co-owner %s of %s %s must join the pledge", o, l.f.Kind, l.number)
			e.Ref = o.String()
			return e
		}
	}
	return nil
}

// checkTermWithin refuses a debt term that runs past the right's expiry as known now
// (renewals recorded so far included). Rights without a term (copyrights) never refuse.
func checkTermWithin(t *timeline, l *loaded, endsOn term.Date, field string) error {
	if len(t.expiries) == 0 {
		return nil
	}
	exp := t.expiries[len(t.expiries)-1]
	if endsOn.After(exp) {
		e := Errorf(Invalid, "term_past_expiry", field, "the term ends on %s, after %s %s expires (%s, its last valid day)", endsOn, l.f.Kind, l.number, exp)
		e.Ref = l.id.String()
		return e
	}
	return nil
}

// pledgeeNotLender refuses a pledgee of a kind that lends on pledges; the code keeps the name
// it had when only banks could be pledgees.
func pledgeeNotLender(name string, kind PartyKind) *Error {
	return Errorf(Invalid, "pledgee_not_bank", "pledgee_id", "the pledgee %s is a %s: a pledgee is a bank, a guarantor or a financial institution", name, kind)
}

func assetPledged(asset, pledge uuid.UUID, i int) *Error {
	field := "asset_ids"
	if i >= 0 {
		field = fmt.Sprintf("asset_ids[%d]", i)
	}
	e := Errorf(Conflict, "asset_pledged", field, "asset %s is in pledge %s during this pledge's period; that pledge is released first", asset, pledge)
	e.Ref = pledge.String()
	return e
}

// pledgeWriteError maps an exclusion violation of pledge_assets_no_overlap (a right in two
// pledges over overlapping periods, refused by Postgres itself) to asset_pledged, should it
// ever get past the checks.
func pledgeWriteError(err error) error {
	var pe pgdriver.Error
	if errors.As(err, &pe) && pe.Field('C') == "23P01" && pe.Field('n') == "pledge_assets_no_overlap" {
		return Errorf(Conflict, "asset_pledged", "asset_ids", "a right is in another pledge during this pledge's period")
	}
	return err
}

// pledgeableKinds are the asset kinds a pledge may cover, for spelling a number in any form.
func pledgeableKinds() []ident.Kind {
	var out []ident.Kind
	for _, k := range ident.Kinds() {
		if k.Pledgeable() {
			out = append(out, k)
		}
	}
	return out
}
