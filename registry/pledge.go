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
		return nil, Errorf(Invalid, "amount_invalid", "body.amount",
			"the amount is a decimal string in CNY, more than 0, with at most 2 decimals, up to %s (e.g. \"150000000.00\"); got %q", MaxMoney, in.Amount)
	}
	contract := strings.TrimSpace(in.ContractNo)
	if contract == "" {
		return nil, Errorf(Invalid, "contract_required", "body.contract_no", "the pledge contract's number is required")
	}
	if err := CheckText("body.contract_no", contract, false); err != nil {
		return nil, err
	}
	if len(contract) > 200 {
		return nil, Errorf(Invalid, "contract_required", "body.contract_no", "the contract number is at most 200 bytes")
	}
	reg := in.RegisteredOn
	if reg.IsZero() {
		reg = today
	}
	if reg.After(today) {
		return nil, Errorf(Invalid, "date_in_future", "body.registered_on", "registered on %s, after today (%s)", reg, today)
	}
	start := in.StartsOn
	if start.IsZero() {
		start = reg
	}
	var released *term.Date
	if r := in.ReleasedOn; !r.IsZero() {
		if r.After(today) {
			return nil, Errorf(Invalid, "date_in_future", "body.released_on", "released on %s, after today (%s)", r, today)
		}
		if r.Before(reg) {
			return nil, Errorf(Invalid, "before_last_change", "body.released_on", "released on %s, before its registration (%s)", r, reg)
		}
		released = &r
	}
	var defaulted, realised *term.Date
	if dd := in.DefaultedOn; !dd.IsZero() {
		if dd.After(today) {
			return nil, Errorf(Invalid, "date_in_future", "body.defaulted_on", "defaulted on %s, after today (%s)", dd, today)
		}
		if dd.Before(reg) {
			return nil, Errorf(Invalid, "before_last_change", "body.defaulted_on", "defaulted on %s, before its registration (%s)", dd, reg)
		}
		if released != nil && released.Before(dd) {
			return nil, Errorf(Invalid, "before_last_change", "body.released_on", "released on %s, before its default (%s)", *released, dd)
		}
		defaulted = &dd
	}
	var method string
	var proceeds int64
	if r := in.RealisedOn; !r.IsZero() {
		if released != nil {
			return nil, Errorf(Invalid, "already_released", "body.realised_on", "a pledge ends once: released (注销) or realised, not both")
		}
		if defaulted == nil {
			return nil, Errorf(Invalid, "not_defaulted", "body.defaulted_on", "a pledge is realised only after the debtor's default: give defaulted_on (on or before realised_on)")
		}
		if r.After(today) {
			return nil, Errorf(Invalid, "date_in_future", "body.realised_on", "realised on %s, after today (%s)", r, today)
		}
		if r.Before(*defaulted) {
			return nil, Errorf(Invalid, "before_last_change", "body.realised_on", "realised on %s, before its default (%s)", r, *defaulted)
		}
		var err *Error
		if method, proceeds, err = checkRealisation(in.RealisationMethod, in.Proceeds, "body.realisation_method", "body.proceeds"); err != nil {
			return nil, err
		}
		// These two carry terms of their own (the equity holder and share, the licensee), which
		// only the realise event takes.
		if method == RealiseDebtToEquity || method == RealiseReverseLicence {
			return nil, Errorf(Invalid, "method_invalid", "body.realisation_method",
				"a %s realisation carries terms of its own: record the pledge with defaulted_on, then its realise event", method)
		}
		realised = &r
	} else {
		for _, f := range []struct{ name, v string }{{"realisation_method", in.RealisationMethod}, {"proceeds", in.Proceeds}} {
			if f.v != "" {
				return nil, Errorf(Invalid, "field_not_allowed", "body."+f.name, "%s belongs to a realised pledge (with realised_on)", f.name)
			}
		}
	}
	if in.EndsOn.IsZero() {
		return nil, Errorf(Invalid, "term_invalid", "body.ends_on", "the debt term's end date is required")
	}
	if in.EndsOn.Before(start) {
		return nil, Errorf(Invalid, "term_invalid", "body.ends_on", "the term ends on %s, before it starts (%s)", in.EndsOn, start)
	}
	if len(in.PledgorIDs) == 0 {
		return nil, Errorf(Invalid, "pledgors_required", "body.pledgor_ids", "a pledge names its pledgors: all owners of the rights")
	}
	for i, id := range in.PledgorIDs {
		if slices.Contains(in.PledgorIDs[:i], id) {
			return nil, Errorf(Invalid, "pledgor_duplicate", fmt.Sprintf("body.pledgor_ids[%d]", i), "pledgor %s is listed twice", id)
		}
	}
	if len(in.AssetIDs) == 0 {
		return nil, Errorf(Invalid, "assets_required", "body.asset_ids", "a pledge covers one or more rights")
	}
	for i, id := range in.AssetIDs {
		if slices.Contains(in.AssetIDs[:i], id) {
			return nil, Errorf(Invalid, "asset_duplicate", fmt.Sprintf("body.asset_ids[%d]", i), "asset %s is listed twice", id)
		}
	}
	if in.PledgeeID == uuid.Nil {
		return nil, Errorf(Invalid, "pledgee_required", "body.pledgee_id", "name the pledgee bank")
	}
	if slices.Contains(in.PledgorIDs, in.PledgeeID) {
		return nil, Errorf(Invalid, "pledgee_is_pledgor", "body.pledgee_id", "the pledgee cannot also be a pledgor")
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
	strs := make([]string, len(ids))
	for i, id := range ids {
		strs[i] = id.String()
	}
	ls, err := loadAssets(ctx, db, 1<<62, `a.id = ANY(?::uuid[])`, pgdialect.Array(strs))
	if err != nil {
		return nil, pol, err
	}
	out := make(map[uuid.UUID]*loaded, len(ls))
	for _, l := range ls {
		sortEvents(l.evs)
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
			e := Errorf(Invalid, "pledgor_not_owner", fmt.Sprintf("body.pledgor_ids[%d]", i), "party %s is not an owner of %s %s", o, l.f.Kind, l.number)
			e.Ref = l.id.String()
			return e
		}
	}
	for _, o := range owners {
		if !slices.Contains(p.PledgorIDs, o) {
			e := Errorf(Invalid, "co_owner_missing", "body.pledgor_ids", "co-owner %s of %s %s must join the pledge", o, l.f.Kind, l.number)
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
	return Errorf(Invalid, "pledgee_not_bank", "body.pledgee_id", "the pledgee %s is a %s: a pledgee is a bank, a guarantor or a financial institution", name, kind)
}

func assetPledged(asset, pledge uuid.UUID, i int) *Error {
	field := "body.asset_ids"
	if i >= 0 {
		field = fmt.Sprintf("body.asset_ids[%d]", i)
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
		return Errorf(Conflict, "asset_pledged", "body.asset_ids", "a right is in another pledge during this pledge's period")
	}
	return err
}

// applyPledge projects every pledge.* entry; live writes and Rebuild run exactly this.
func applyPledge(ctx context.Context, db bun.IDB, e ledger.Entry) error {
	if e.Kind == kindPledgeRegistered {
		return applyPledgeRegistered(ctx, db, e)
	}
	var ev pledgeEventPayload
	if err := decode(e, &ev); err != nil {
		return err
	}
	id := ev.PledgeID.String()
	if _, err := db.ExecContext(ctx, `INSERT INTO registry.pledge_events (pledge_id, seq, type, effective_on, payload)
		VALUES (?, ?, ?, ?, ?)`, id, e.Seq, ev.Type, e.EffectiveDate(), string(e.Payload)); err != nil {
		return err
	}
	var err error
	switch e.Kind {
	case kindPledgeAmended:
		_, err = db.ExecContext(ctx, `UPDATE registry.pledges SET
			amount_fen = coalesce(?, amount_fen), starts_on = coalesce(?::date, starts_on),
			ends_on = coalesce(?::date, ends_on), contract_no = coalesce(?, contract_no), updated_seq = ?
			WHERE id = ?`, pledgeNullInt(ev.AmountFen), pledgeDateArg(ev.StartsOn), pledgeDateArg(ev.EndsOn), pledgeNullStr(ev.ContractNo), e.Seq, id)
		// An amendment counts only the part of its amount above the highest amount already
		// counted for the registration (10M → 5M → 10M counts 10M in all). The rows counted so
		// far sum to exactly that highest amount, so the payload's increase_fen (the rise over
		// the previous amount) is not what counts.
		if err == nil && ev.AmountFen > 0 {
			_, err = db.ExecContext(ctx, `INSERT INTO registry.pledge_financing
				(pledge_id, seq, effective_on, region_code, pledgor_id, amount_fen, is_registration)
				SELECT p.id, ?, ?, p.region_code, p.pledgor_ids[1], ?::bigint - c.counted, false
				FROM registry.pledges p,
				  LATERAL (SELECT coalesce(sum(f.amount_fen), 0) AS counted FROM registry.pledge_financing f WHERE f.pledge_id = p.id) c
				WHERE p.id = ? AND ?::bigint > c.counted`,
				e.Seq, e.EffectiveDate(), ev.AmountFen, id, ev.AmountFen)
			if err == nil {
				err = insertFinancingKinds(ctx, db, []string{id}, []int64{e.Seq})
			}
		}
	case kindPledgeExtended:
		_, err = db.ExecContext(ctx, `UPDATE registry.pledges SET ends_on = ?, updated_seq = ? WHERE id = ?`,
			pledgeDateArg(ev.EndsOn), e.Seq, id)
	case kindPledgeAssetsReleased:
		strs := make([]string, len(ev.AssetIDs))
		for i, a := range ev.AssetIDs {
			strs[i] = a.String()
		}
		_, err = db.ExecContext(ctx, `UPDATE registry.pledge_assets SET active = false, released_on = ?, released_seq = ?
			WHERE pledge_id = ? AND active AND asset_id = ANY(?::uuid[])`, e.EffectiveDate(), e.Seq, id, pgdialect.Array(strs))
		if err == nil {
			_, err = db.ExecContext(ctx, `UPDATE registry.pledges SET updated_seq = ? WHERE id = ?`, e.Seq, id)
		}
	case kindPledgeReleased, kindPledgeRealised:
		status := PledgeReleased
		if e.Kind == kindPledgeRealised {
			status = PledgeRealised
		}
		_, err = db.ExecContext(ctx, `UPDATE registry.pledges SET status = ?, ended_on = ?, realisation_method = ?,
			proceeds_fen = ?, updated_seq = ? WHERE id = ?`,
			status, e.EffectiveDate(), pledgeNullStr(ev.Method), pledgeNullInt(ev.ProceedsFen), e.Seq, id)
		if err == nil {
			_, err = db.ExecContext(ctx, `UPDATE registry.pledge_assets SET active = false, released_on = ?, released_seq = ?
				WHERE pledge_id = ? AND active`, e.EffectiveDate(), e.Seq, id)
		}
	case kindPledgeDefaulted:
		_, err = db.ExecContext(ctx, `UPDATE registry.pledges SET defaulted_on = ?, updated_seq = ? WHERE id = ?`,
			e.EffectiveDate(), e.Seq, id)
	}
	if err != nil {
		return fmt.Errorf("registry: project %s: %w", e.Kind, err)
	}
	if err := applyPledgeServices(ctx, db, e, ev); err != nil { // pledge_realise.go, pledge_valuation.go
		return fmt.Errorf("registry: project %s: %w", e.Kind, err)
	}
	return recomputePledgeAssets(ctx, db, ev.PledgeID, e.Seq)
}

func applyPledgeRegistered(ctx context.Context, db bun.IDB, e ledger.Entry) error {
	var p pledgePayload
	if err := decode(e, &p); err != nil {
		return err
	}
	pledgors := make([]string, len(p.PledgorIDs))
	for i, id := range p.PledgorIDs {
		pledgors[i] = id.String()
	}
	assets := make([]string, len(p.AssetIDs))
	for i, id := range p.AssetIDs {
		assets[i] = id.String()
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO registry.pledges (id, pledgee_id, pledgor_ids, region_code, contract_no,
		amount_fen, registered_on, starts_on, ends_on, status, registered_seq, updated_seq)
		VALUES (?, ?, ?::uuid[], ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		p.ID.String(), p.PledgeeID.String(), pgdialect.Array(pledgors), p.RegionCode, p.ContractNo, p.AmountFen,
		p.RegisteredOn.String(), p.StartsOn.String(), p.EndsOn.String(), PledgeActive, e.Seq, e.Seq); err != nil {
		return fmt.Errorf("registry: insert pledge: %w", err)
	}
	// Postgres arbitrates "no right in two pledges at once" through the exclusion constraint
	// pledge_assets_no_overlap: a right it skips is in another pledge during this one's period.
	// A finished pledge's rows carry their end from the start (its release or realisation
	// entry follows).
	rows, err := db.QueryContext(ctx, `INSERT INTO registry.pledge_assets (pledge_id, asset_id, active, position, added_seq, pledged_on, released_on)
		SELECT ?, a.id, true, a.ord - 1, ?, ?::date, ?::date FROM unnest(?::uuid[]) WITH ORDINALITY AS a(id, ord)
		ON CONFLICT DO NOTHING RETURNING asset_id`,
		p.ID.String(), e.Seq, p.RegisteredOn.String(), pledgeDateArg(p.end()), pgdialect.Array(assets))
	if err != nil {
		return fmt.Errorf("registry: insert pledge assets: %w", err)
	}
	inserted := map[uuid.UUID]bool{}
	for rows.Next() {
		var id uuid.UUID
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		inserted[id] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for i, a := range p.AssetIDs {
		if inserted[a] {
			continue
		}
		var holder uuid.UUID
		if err := db.QueryRowContext(ctx, `SELECT pledge_id FROM registry.pledge_assets WHERE asset_id = ? AND pledge_id <> ?
			AND daterange(pledged_on, released_on, '[)') && daterange(?::date, ?::date, '[)') ORDER BY active DESC LIMIT 1`,
			a.String(), p.ID.String(), p.RegisteredOn.String(), pledgeDateArg(p.end())).Scan(&holder); err != nil {
			return fmt.Errorf("registry: pledge %s: asset %s not inserted: %w", p.ID, a, err)
		}
		return assetPledged(a, holder, i)
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO registry.pledge_financing
		(pledge_id, seq, effective_on, region_code, pledgor_id, amount_fen, is_registration)
		VALUES (?, ?, ?, ?, ?, ?, true)`,
		p.ID.String(), e.Seq, p.RegisteredOn.String(), p.RegionCode, p.PledgorIDs[0].String(), p.AmountFen); err != nil {
		return fmt.Errorf("registry: insert pledge financing: %w", err)
	}
	if err := insertFinancingKinds(ctx, db, []string{p.ID.String()}, []int64{e.Seq}); err != nil {
		return err
	}
	if err := insertAppraisals(ctx, db, p.ID, e.Seq, p.Appraisals); err != nil {
		return err
	}
	return recomputePledgeAssets(ctx, db, p.ID, e.Seq)
}

// recomputePledgeAssets re-derives the spans of every right the pledge has covered, so that
// the high-value pledge-financing criterion follows the pledge, live and on replay alike.
func recomputePledgeAssets(ctx context.Context, db bun.IDB, pledgeID uuid.UUID, seq int64) error {
	pol, err := loadPolicy(ctx, db)
	if err != nil {
		return err
	}
	_, err = recompute(ctx, db, pol, seq,
		`a.id IN (SELECT asset_id FROM registry.pledge_assets WHERE pledge_id = ?)`, pledgeID.String())
	return err
}

func pledgeNullInt(n int64) any {
	if n == 0 {
		return nil
	}
	return n
}

func pledgeNullStr(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func pledgeDateArg(d *term.Date) any {
	if d == nil || d.IsZero() {
		return nil
	}
	return d.String()
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
