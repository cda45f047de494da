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

// PledgeEventItem is one event of PledgeEvents: the pledge and the event, as for PledgeEvent.
type PledgeEventItem struct {
	PledgeID uuid.UUID
	Event    PledgeEventInput
}

// PledgeEvents records many pledge events in one ledger write, in order, as v (see PledgeEvent).
// res[i].ID is the pledge of items[i] when it was recorded; res[i].Err says why it was refused.
func (s *Service) PledgeEvents(ctx context.Context, v Viewer, items []PledgeEventItem) ([]BatchResult, error) {
	today := s.Today()
	preps, base := prepareEvents(items, func(it PledgeEventItem) (string, term.Date, *Error) {
		return preparePledgeEvent(it.Event, today)
	})
	res, err := writeResults(ctx, s, base, func(ctx context.Context, tx *ledger.Tx, out []BatchResult) error {
		return recordPledgeEvents(ctx, tx, s.l.DB(), v, items, preps, out)
	})
	return res, pledgeWriteError(err)
}

// Pledge event types (PledgeEventInput.Type), each recorded as one ledger entry.
const (
	PledgeAmend         = "amend"          // pledge.amended: amount, term, contract number
	PledgeExtend        = "extend"         // pledge.extended: a later end date
	PledgeReleaseAssets = "release_assets" // pledge.assets_released: some rights leave, not all
	PledgeRelease       = "release"        // pledge.released: 注销 on repayment; ends the pledge
	PledgeDefault       = "default"        // pledge.defaulted: the debtor defaulted
	PledgeRealise       = "realise"        // pledge.realised: the pledgee realised the rights; ends the pledge
	PledgeAppraise      = "appraise"       // pledge.appraised: a later appraisal of the pledged rights (pledge_valuation.go)
)

var pledgeEventKinds = map[string]string{
	PledgeAmend:         kindPledgeAmended,
	PledgeExtend:        kindPledgeExtended,
	PledgeReleaseAssets: kindPledgeAssetsReleased,
	PledgeRelease:       kindPledgeReleased,
	PledgeDefault:       kindPledgeDefaulted,
	PledgeRealise:       kindPledgeRealised,
	PledgeAppraise:      kindPledgeAppraised,
}

// PledgeEventTypes lists the pledge event types.
func PledgeEventTypes() []string {
	return []string{PledgeAmend, PledgeExtend, PledgeReleaseAssets, PledgeRelease, PledgeDefault, PledgeRealise, PledgeAppraise}
}

// Realisation methods: the pledgee is paid from the proceeds (a clause handing the right to the
// pledgee on default is void).
// debt_to_equity (质权转股权) and reverse_licence (反向许可) take terms of their own
// (pledge_realise.go).
var RealisationMethods = []string{"auction", "sale", "transfer", "licence", RealiseDebtToEquity, RealiseReverseLicence}

// PledgeEventInput is one change to a pledge. EffectiveOn defaults to today; it is never after
// today nor before the pledge's last recorded change. Per type:
//
//	amend           any of Amount, StartsOn, EndsOn, ContractNo (the part of Amount above the highest amount counted so far counts as financing on EffectiveOn)
//	extend          EndsOn, later than the current end
//	release_assets  AssetIDs: some of the rights still in the pledge, not all
//	release, default  nothing else
//	realise         Method (auction | sale | transfer | licence | debt_to_equity | reverse_licence), Proceeds; only after default;
//	                debt_to_equity: EquityHolderID, EquityShare; reverse_licence: LicenseeID, LicenceEndsOn
//	appraise        Appraisal (pledge_valuation.go)
//
// A field that its type does not take is refused (field_not_allowed).
type PledgeEventInput struct {
	Type        string
	EffectiveOn term.Date
	Amount      string
	StartsOn    term.Date
	EndsOn      term.Date
	ContractNo  string
	AssetIDs    []uuid.UUID
	Method      string
	Proceeds    string
	Note        string
	// realise by debt_to_equity or reverse_licence (pledge_realise.go)
	EquityHolderID uuid.UUID
	EquityShare    string
	LicenseeID     uuid.UUID
	LicenceEndsOn  term.Date
	Appraisal      *AppraisalInput // appraise
}

// pledgeEventPayload is a pledge event's ledger payload: self-contained, so that replay needs
// nothing but the entries.
type pledgeEventPayload struct {
	PledgeID          uuid.UUID   `json:"pledge_id"`
	Type              string      `json:"type"`
	AmountFen         int64       `json:"amount_fen,omitempty"`          // amend: the new amount
	PreviousAmountFen int64       `json:"previous_amount_fen,omitempty"` // amend: the amount before
	IncreaseFen       int64       `json:"increase_fen,omitempty"`        // amend: the rise over the previous amount (financing counts only the part above the highest amount counted)
	StartsOn          *term.Date  `json:"starts_on,omitempty"`
	EndsOn            *term.Date  `json:"ends_on,omitempty"`
	ContractNo        string      `json:"contract_no,omitempty"`
	AssetIDs          []uuid.UUID `json:"asset_ids,omitempty"`
	Method            string      `json:"method,omitempty"`
	ProceedsFen       int64       `json:"proceeds_fen,omitempty"`
	Note              string      `json:"note,omitempty"`
	pledgeServices
}

// PledgeEvent records one change to the pledge id and returns the pledge after it. A viewer
// that may not see the pledge gets NotFound, as if it did not exist. Lifecycle violations are
// Invalid with a code naming the rule.
func (s *Service) PledgeEvent(ctx context.Context, v Viewer, id uuid.UUID, in PledgeEventInput) (Pledge, error) {
	kind, eff, perr := preparePledgeEvent(in, s.Today())
	if perr != nil {
		return Pledge{}, perr
	}
	items, preps := []PledgeEventItem{{PledgeID: id, Event: in}}, []preparedEvent{{kind, eff}} // a batch of one
	res, err := writeResults(ctx, s, make([]BatchResult, 1), func(ctx context.Context, tx *ledger.Tx, out []BatchResult) error {
		return recordPledgeEvents(ctx, tx, s.l.DB(), v, items, preps, out)
	})
	if err != nil {
		return Pledge{}, pledgeWriteError(err)
	}
	if res[0].Err != nil {
		return Pledge{}, res[0].Err
	}
	return s.getPledge(ctx, s.l.DB(), v, id)
}

// preparePledgeEvent checks what needs no database: the type and the date (default today,
// never after it). It returns the entry kind and the effective date.
func preparePledgeEvent(in PledgeEventInput, today term.Date) (string, term.Date, *Error) {
	kind, ok := pledgeEventKinds[in.Type]
	if !ok {
		return "", term.Date{}, Errorf(Invalid, "event_type_unknown", "type", "no pledge event %q (known: %s)", in.Type, strings.Join(PledgeEventTypes(), ", "))
	}
	for _, f := range pledgeEventFields {
		if f.given(in) && !slices.Contains(f.types, in.Type) {
			return "", term.Date{}, Errorf(Invalid, "field_not_allowed", f.name,
				"%s does not belong to a %s event (only to %s)", f.name, in.Type, strings.Join(f.types, ", "))
		}
	}
	if err := CheckText("contract_no", in.ContractNo, false); err != nil {
		return "", term.Date{}, err
	}
	if err := CheckText("note", in.Note, true); err != nil {
		return "", term.Date{}, err
	}
	eff := in.EffectiveOn
	if eff.IsZero() {
		eff = today
	}
	if eff.After(today) {
		return "", term.Date{}, Errorf(Invalid, "date_in_future", "effective_on", "%s is after today (%s)", eff, today)
	}
	return kind, eff, nil
}

// pledgeEventFields says which pledge event types take each optional field; a field given to
// another type is refused (field_not_allowed) rather than silently dropped.
var pledgeEventFields = []struct {
	name  string
	given func(PledgeEventInput) bool
	types []string
}{
	{"amount", func(in PledgeEventInput) bool { return in.Amount != "" }, []string{PledgeAmend}},
	{"starts_on", func(in PledgeEventInput) bool { return !in.StartsOn.IsZero() }, []string{PledgeAmend}},
	{"ends_on", func(in PledgeEventInput) bool { return !in.EndsOn.IsZero() }, []string{PledgeAmend, PledgeExtend}},
	{"contract_no", func(in PledgeEventInput) bool { return in.ContractNo != "" }, []string{PledgeAmend}},
	{"asset_ids", func(in PledgeEventInput) bool { return len(in.AssetIDs) > 0 }, []string{PledgeReleaseAssets}},
	{"method", func(in PledgeEventInput) bool { return in.Method != "" }, []string{PledgeRealise}},
	{"proceeds", func(in PledgeEventInput) bool { return in.Proceeds != "" }, []string{PledgeRealise}},
	{"equity_holder_id", func(in PledgeEventInput) bool { return in.EquityHolderID != uuid.Nil }, []string{PledgeRealise}},
	{"equity_share", func(in PledgeEventInput) bool { return in.EquityShare != "" }, []string{PledgeRealise}},
	{"licensee_id", func(in PledgeEventInput) bool { return in.LicenseeID != uuid.Nil }, []string{PledgeRealise}},
	{"licence_ends_on", func(in PledgeEventInput) bool { return !in.LicenceEndsOn.IsZero() }, []string{PledgeRealise}},
	{"appraisal", func(in PledgeEventInput) bool { return in.Appraisal != nil }, []string{PledgeAppraise}},
}

// recordPledgeEvents checks the prepared events (items[i] with preps[i]; out[i].Err: refused
// already) in order and records the accepted ones: the one path of PledgeEvent and
// PledgeEvents. The pledges the batch touches are read at once (loadPledgeRows) and each
// accepted event is applied to them, so later events of the batch — on the same pledge too —
// see it. Every rule is checked before an event is appended, so a refusal (out[i].Err) changes
// nothing. Amendments, extensions and defaults are projected together (pledgeEventRun); an
// event whose check reads the database, or whose projection the run cannot take, first
// projects the run so far, so that it sees exactly what it would one event at a time.
func recordPledgeEvents(ctx context.Context, tx *ledger.Tx, pool *bun.DB, v Viewer, items []PledgeEventItem, preps []preparedEvent, out []BatchResult) error {
	db, err := writeDB(ctx, tx, pool, len(items))
	if err != nil {
		return err
	}
	ids := make([]uuid.UUID, 0, len(items))
	for i, it := range items {
		if out[i].Err == nil {
			ids = append(ids, it.PledgeID)
		}
	}
	rows, err := loadPledgeRows(ctx, db, ids)
	if err != nil {
		return err
	}
	run := &pledgeEventRun{}
	for i, it := range items {
		if out[i].Err != nil {
			continue
		}
		in, kind, eff := it.Event, preps[i].kind, preps[i].eff
		cur := rows[it.PledgeID]
		if cur == nil || !v.sees(cur.pledgee) {
			out[i].Err = Errorf(NotFound, "pledge_not_found", "", "no pledge %s", it.PledgeID)
			continue
		}
		batched := run.takes(kind, cur)
		if !batched || readsDatabase(in) {
			if err := run.flush(ctx, db); err != nil {
				return err
			}
			batched = run.takes(kind, cur)
		}
		ev, err := checkPledgeEvent(ctx, db, cur, in, eff)
		if err != nil {
			if de, ok := AsError(err); ok {
				out[i].Err = de
				continue
			}
			return err
		}
		ev.PledgeID, ev.Type, ev.Note = it.PledgeID, in.Type, strings.TrimSpace(in.Note)
		e, err := tx.Append(ledger.Draft{Kind: kind, Subject: pledgeSubject(it.PledgeID), EffectiveOn: eff.Time(), Payload: ev})
		if err != nil {
			return err
		}
		out[i].ID = it.PledgeID
		before := *cur
		cur.accept(kind, ev, eff)
		if batched {
			run.add(e, ev, cur)
			continue
		}
		if err := apply(ctx, db, e); err != nil {
			return err
		}
		if err := recordRealisationEffects(ctx, tx, &before, ev, eff); err != nil {
			return err
		}
	}
	return run.flush(ctx, db)
}

// readsDatabase says whether checkPledgeEvent reads the database for in (the rights' terms and
// state, a realisation's parties) rather than the pledge's row alone.
func readsDatabase(in PledgeEventInput) bool {
	switch in.Type {
	case PledgeExtend, PledgeRealise:
		return true
	case PledgeAmend:
		return !in.StartsOn.IsZero() || !in.EndsOn.IsZero()
	}
	return false
}

// pledgeRow is a pledge's current projection, as the rules need it.
type pledgeRow struct {
	id          uuid.UUID
	pledgee     uuid.UUID
	status      string
	amount      int64
	startsOn    term.Date
	endsOn      term.Date
	defaultedOn term.Date
	lastChange  term.Date   // the latest effective date recorded: registration or event
	active      []uuid.UUID // the rights in the pledge, in order
	assets      []uuid.UUID // every right ever in it (released ones too): what its entries recompute
}

// accept applies an accepted event to the row, as its projection does.
func (r *pledgeRow) accept(kind string, ev pledgeEventPayload, eff term.Date) {
	if eff.After(r.lastChange) {
		r.lastChange = eff
	}
	switch kind {
	case kindPledgeAmended:
		if ev.AmountFen != 0 {
			r.amount = ev.AmountFen
		}
		if ev.StartsOn != nil {
			r.startsOn = *ev.StartsOn
		}
		if ev.EndsOn != nil {
			r.endsOn = *ev.EndsOn
		}
	case kindPledgeExtended:
		r.endsOn = *ev.EndsOn
	case kindPledgeAssetsReleased:
		r.active = slices.DeleteFunc(slices.Clone(r.active), func(a uuid.UUID) bool { return slices.Contains(ev.AssetIDs, a) })
	case kindPledgeReleased:
		r.status, r.active = PledgeReleased, nil
	case kindPledgeRealised:
		r.status, r.active = PledgeRealised, nil
	case kindPledgeDefaulted:
		r.defaultedOn = eff
	}
}

// loadPledgeRow reads one pledge as v sees it (NotFound when v may not).
func loadPledgeRow(ctx context.Context, db bun.IDB, v Viewer, id uuid.UUID) (*pledgeRow, error) {
	rows, err := loadPledgeRows(ctx, db, []uuid.UUID{id})
	if err != nil {
		return nil, err
	}
	r := rows[id]
	if r == nil || !v.sees(r.pledgee) {
		return nil, Errorf(NotFound, "pledge_not_found", "", "no pledge %s", id)
	}
	return r, nil
}

// loadPledgeRows reads the pledges ids with their rights in two statements; a pledge that
// does not exist is absent.
func loadPledgeRows(ctx context.Context, db bun.IDB, ids []uuid.UUID) (map[uuid.UUID]*pledgeRow, error) {
	out := make(map[uuid.UUID]*pledgeRow, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	arr := pgdialect.Array(uuidStrings(ids))
	rows, err := db.QueryContext(ctx, `SELECT p.id, p.pledgee_id, p.status, p.amount_fen, p.starts_on::text, p.ends_on::text,
		p.defaulted_on::text, greatest(p.registered_on, (SELECT max(effective_on) FROM registry.pledge_events e WHERE e.pledge_id = p.id))::text
		FROM registry.pledges p WHERE p.id = ANY(?::uuid[])`, arr)
	if err != nil {
		return nil, fmt.Errorf("registry: load pledges: %w", err)
	}
	for rows.Next() {
		r := &pledgeRow{}
		var starts, ends, last string
		var defaulted *string
		if err := rows.Scan(&r.id, &r.pledgee, &r.status, &r.amount, &starts, &ends, &defaulted, &last); err != nil {
			rows.Close()
			return nil, fmt.Errorf("registry: load pledges: %w", err)
		}
		r.startsOn, r.endsOn, r.defaultedOn, r.lastChange = parseDateCol(&starts), parseDateCol(&ends), parseDateCol(defaulted), parseDateCol(&last)
		out[r.id] = r
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("registry: load pledges: %w", err)
	}
	rows, err = db.QueryContext(ctx, `SELECT pledge_id, asset_id, active FROM registry.pledge_assets
		WHERE pledge_id = ANY(?::uuid[]) ORDER BY pledge_id, position`, arr)
	if err != nil {
		return nil, fmt.Errorf("registry: load pledged rights: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var p, a uuid.UUID
		var active bool
		if err := rows.Scan(&p, &a, &active); err != nil {
			return nil, fmt.Errorf("registry: load pledged rights: %w", err)
		}
		if r := out[p]; r != nil {
			r.assets = append(r.assets, a)
			if active {
				r.active = append(r.active, a)
			}
		}
	}
	return out, rows.Err()
}

// checkPledgeEvent applies the lifecycle rules and returns the payload to record.
func checkPledgeEvent(ctx context.Context, db bun.IDB, cur *pledgeRow, in PledgeEventInput, eff term.Date) (pledgeEventPayload, error) {
	var ev pledgeEventPayload
	invalid := func(code, field, format string, args ...any) (pledgeEventPayload, error) {
		return ev, Errorf(Invalid, code, field, format, args...)
	}
	switch cur.status {
	case PledgeReleased:
		return invalid("already_released", "type", "the pledge was released (注销); it takes no further events")
	case PledgeRealised:
		return invalid("already_realised", "type", "the pledge was realised; it takes no further events")
	}
	if eff.Before(cur.lastChange) {
		return invalid("before_last_change", "effective_on", "%s is before the pledge's last recorded change (%s)", eff, cur.lastChange)
	}
	switch in.Type {
	case PledgeAmend:
		changed := false
		if in.Amount != "" {
			m, ok := ParseMoney(in.Amount)
			if !ok {
				return invalid("amount_invalid", "amount", "the amount is a decimal string in CNY, more than 0, with at most 2 decimals, up to %s; got %q", MaxMoney, in.Amount)
			}
			if int64(m) != cur.amount {
				ev.AmountFen, ev.PreviousAmountFen = int64(m), cur.amount
				ev.IncreaseFen = max(int64(m)-cur.amount, 0)
				changed = true
			}
		}
		starts, ends := cur.startsOn, cur.endsOn
		if !in.StartsOn.IsZero() && in.StartsOn != cur.startsOn {
			starts = in.StartsOn
			ev.StartsOn = &starts
			changed = true
		}
		if !in.EndsOn.IsZero() && in.EndsOn != cur.endsOn {
			ends = in.EndsOn
			ev.EndsOn = &ends
			changed = true
		}
		if ends.Before(starts) {
			return invalid("term_invalid", "ends_on", "the term would end on %s, before it starts (%s)", ends, starts)
		}
		if ev.EndsOn != nil {
			if err := checkActiveTerm(ctx, db, cur.active, ends); err != nil {
				return ev, err
			}
		}
		if ev.StartsOn != nil {
			if err := checkActiveStart(ctx, db, cur.active, starts); err != nil {
				return ev, err
			}
		}
		if c := strings.TrimSpace(in.ContractNo); c != "" {
			if len(c) > 200 {
				return invalid("contract_required", "contract_no", "the contract number is at most 200 bytes")
			}
			ev.ContractNo = c
			changed = true
		}
		if !changed {
			return invalid("amend_empty", "", "an amendment changes the amount, the term or the contract number")
		}
	case PledgeExtend:
		if in.EndsOn.IsZero() {
			return invalid("term_invalid", "ends_on", "an extension names the new end date")
		}
		if !in.EndsOn.After(cur.endsOn) {
			return invalid("extend_not_later", "ends_on", "the term ends on %s already; an extension ends later", cur.endsOn)
		}
		if err := checkActiveTerm(ctx, db, cur.active, in.EndsOn); err != nil {
			return ev, err
		}
		ends := in.EndsOn
		ev.EndsOn = &ends
	case PledgeReleaseAssets:
		if len(in.AssetIDs) == 0 {
			return invalid("assets_required", "asset_ids", "name the rights that leave the pledge")
		}
		for i, a := range in.AssetIDs {
			field := fmt.Sprintf("asset_ids[%d]", i)
			if slices.Contains(in.AssetIDs[:i], a) {
				return invalid("asset_duplicate", field, "asset %s is listed twice", a)
			}
			if !slices.Contains(cur.active, a) {
				return invalid("asset_not_in_pledge", field, "asset %s is not (or no longer) in this pledge", a)
			}
		}
		if len(in.AssetIDs) == len(cur.active) {
			return invalid("release_all_assets", "asset_ids", "every right would leave: record a release (注销) instead")
		}
		ev.AssetIDs = slices.Clone(in.AssetIDs)
	case PledgeRelease:
	case PledgeDefault:
		if !cur.defaultedOn.IsZero() {
			return invalid("already_defaulted", "type", "default was recorded on %s already", cur.defaultedOn)
		}
	case PledgeRealise:
		if cur.defaultedOn.IsZero() {
			return invalid("not_defaulted", "type", "a pledge is realised only after the debtor's default is recorded")
		}
		method, proceeds, err := checkRealisation(in.Method, in.Proceeds, "method", "proceeds")
		if err != nil {
			return ev, err
		}
		ev.Method, ev.ProceedsFen = method, proceeds
		terms, terr := checkRealisationTerms(ctx, db, cur, in, eff)
		if terr != nil {
			return ev, terr
		}
		ev.realisationTerms = terms
	case PledgeAppraise:
		if in.Appraisal == nil {
			return invalid("field_required", "appraisal", "an appraise event carries the appraisal")
		}
		a, err := prepareAppraisal(*in.Appraisal, eff, "appraisal")
		if err != nil {
			return ev, err
		}
		ev.Appraisals = []appraisalPayload{a}
	}
	return ev, nil
}

// checkRealisation checks a realisation's method and proceeds, for the realise event and for a
// realised pledge registered in one write (fields name where each came from).
func checkRealisation(method, proceeds, methodField, proceedsField string) (string, int64, *Error) {
	if !slices.Contains(RealisationMethods, method) {
		return "", 0, Errorf(Invalid, "method_invalid", methodField, "the method is one of %s", strings.Join(RealisationMethods, ", "))
	}
	m, ok := ParseMoney(proceeds)
	if !ok {
		return "", 0, Errorf(Invalid, "amount_invalid", proceedsField, "the proceeds are a decimal string in CNY, more than 0, with at most 2 decimals; got %q", proceeds)
	}
	return method, int64(m), nil
}

// checkActiveTerm refuses a term end after the expiry of any right still in the pledge.
// checkActiveStart holds a moved start date to the registration rules: every right still in
// the pledge must be in force and not frozen on it.
func checkActiveStart(ctx context.Context, db bun.IDB, active []uuid.UUID, startsOn term.Date) error {
	ls, pol, err := loadPledgeAssets(ctx, db, active)
	if err != nil {
		return err
	}
	for _, a := range active {
		l := ls[a]
		if l == nil {
			continue
		}
		st := fold(l.f, l.evs, pol, l.fin).at(startsOn)
		if !st.Valid {
			e := Errorf(Invalid, "asset_not_valid", "starts_on", "%s %s is %s on %s, not a right in force", l.f.Kind, l.number, st.Status, startsOn)
			e.Ref = l.id.String()
			return e
		}
		if st.Frozen {
			e := Errorf(Invalid, "asset_frozen", "starts_on", "%s %s is frozen by a court on %s", l.f.Kind, l.number, startsOn)
			e.Ref = l.id.String()
			return e
		}
	}
	return nil
}

func checkActiveTerm(ctx context.Context, db bun.IDB, active []uuid.UUID, endsOn term.Date) error {
	ls, pol, err := loadPledgeAssets(ctx, db, active)
	if err != nil {
		return err
	}
	for _, a := range active {
		l := ls[a]
		if l == nil {
			continue
		}
		if err := checkTermWithin(fold(l.f, l.evs, pol, l.fin), l, endsOn, "ends_on"); err != nil {
			return err
		}
	}
	return nil
}
