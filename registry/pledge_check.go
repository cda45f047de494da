package registry

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"ipledger/ledger"
	"ipledger/registry/ident"
	"ipledger/registry/term"
)

// Pledge registrations, one direction of flow for one item and for a batch: load the read set
// of the whole batch in a few set-based queries (pledgeView), check every registration in
// order against it, applying each accepted one to it so that later ones see it (pure
// functions), append the entries, and project them set-based (applyPledgesRegistered).

// pledgeParty is what the registration rules read of a party.
type pledgeParty struct {
	name   string
	kind   PartyKind
	region string
}

// pledgeHold is one pledge_assets row: the right is in the pledge over [pledgedOn,
// releasedOn) (zero releasedOn: still in it, to infinity; zero pledgedOn: since ever).
type pledgeHold struct {
	pledge     uuid.UUID
	active     bool
	pledgedOn  term.Date
	releasedOn term.Date
}

// overlaps says whether the hold's period and [from, to) (zero to: open) share a day, as the
// exclusion constraint pledge_assets_no_overlap judges: half-open date ranges, an empty one
// (released on the day pledged) overlapping nothing.
func (h pledgeHold) overlaps(from, to term.Date) bool {
	open := func(end term.Date) bool { return end.IsZero() }
	if !open(to) && !from.Before(to) || !open(h.releasedOn) && !h.pledgedOn.Before(h.releasedOn) {
		return false
	}
	return (open(to) || h.pledgedOn.Before(to)) && (open(h.releasedOn) || from.Before(h.releasedOn))
}

// pledgeView is the state the registration rules read, for every party and right a batch
// touches: committed state plus the registrations the batch accepted so far.
type pledgeView struct {
	parties map[uuid.UUID]pledgeParty
	assets  map[uuid.UUID]*loaded // with events and financing, as known now
	holds   map[uuid.UUID][]pledgeHold
	pol     policy
	credit  map[uuid.UUID][]CreditListing // the pledgors' credit listings (credit.go)
	demands map[uuid.UUID]*demandState    // the demands cited (demand.go)
	// spans are the rights' current spans, for the projection to compare with the new fold:
	// as read, then as the batch wrote them; a right absent is read again.
	spans map[uuid.UUID][]span
}

// loadPledgeView reads the read set of the registrations ps (nil items are skipped).
func loadPledgeView(ctx context.Context, db bun.IDB, ps []*pledgePayload) (*pledgeView, error) {
	var partyIDs, assetIDs, pledgors, demands []string
	var assets []uuid.UUID
	seenParty, seenAsset := map[uuid.UUID]bool{}, map[uuid.UUID]bool{}
	addParty := func(id uuid.UUID) {
		if !seenParty[id] {
			seenParty[id] = true
			partyIDs = append(partyIDs, id.String())
		}
	}
	for _, p := range ps {
		if p == nil {
			continue
		}
		addParty(p.PledgeeID)
		for _, id := range p.PledgorIDs {
			addParty(id)
			pledgors = append(pledgors, id.String())
		}
		if p.DemandID != nil {
			demands = append(demands, p.DemandID.String())
		}
		for _, id := range p.AssetIDs {
			if !seenAsset[id] {
				seenAsset[id] = true
				assetIDs = append(assetIDs, id.String())
				assets = append(assets, id)
			}
		}
	}
	v := &pledgeView{parties: map[uuid.UUID]pledgeParty{}, holds: map[uuid.UUID][]pledgeHold{},
		credit: map[uuid.UUID][]CreditListing{}, spans: make(map[uuid.UUID][]span, len(assets))}
	for _, a := range assets {
		v.spans[a] = nil // known: none unless read
	}
	pol, err := v.readSet(ctx, db, partyIDs, assetIDs, pledgors)
	if err != nil {
		return nil, err
	}
	rememberPolicy(ctx, pol) // loadPledgeAssets, and any projection of this write, use it
	if v.assets, v.pol, err = loadPledgeAssets(ctx, db, assets); err != nil {
		return nil, err
	}
	if v.demands, err = loadDemandStates(ctx, db, demands); err != nil {
		return nil, err
	}
	return v, nil
}

// pledgeReadSetSQL reads in one statement what a batch of registrations reads besides the
// rights' facts (loadAssets) and the demands cited: the parties (?0), the policy's parameters
// and concordance, the rights' pledge rows and current spans (?1), and the pledgors' credit
// listings (?2). Each row is tagged (t) with what it is and sorted as its own query sorted it.
// The spans are found by asset id alone, the current ones kept after (MATERIALIZED keeps the
// planner from pushing known_to IS NULL down): with the statistics a bulk import has just
// outdated, the planner ANDed the index of every current span in the register (0003's
// asset_spans_current, since dropped by 0025) into the lookup, 5 ms a batch at 27k rights
// instead of 0.2 (docs/BENCHMARKS.md, fifth session); the read keeps to the asset's spans.
const pledgeReadSetSQL = `WITH spans AS MATERIALIZED (SELECT * FROM registry.asset_spans WHERE asset_id = ANY(?1::uuid[]))
	SELECT 0 AS t, id::text AS k, 0::bigint AS o, NULL::text AS s,
	    name AS c1, kind AS c2, region_code AS c3, NULL::text AS c4, NULL::text AS c5, NULL::text AS c6, NULL::text AS c7
	  FROM registry.parties WHERE id = ANY(?0::uuid[])
	UNION ALL SELECT 1, name, 0, NULL, value::text, NULL, NULL, NULL, NULL, NULL, NULL
	  FROM registry.params WHERE known_to IS NULL
	UNION ALL SELECT 2, ipc_prefix, 0, industry, industry, NULL, NULL, NULL, NULL, NULL, NULL
	  FROM registry.ipc_concordance WHERE known_to IS NULL
	UNION ALL SELECT 3, asset_id::text, added_seq, pledge_id::text, pledge_id::text, active::text, pledged_on::text, released_on::text,
	    NULL, NULL, NULL
	  FROM registry.pledge_assets WHERE asset_id = ANY(?1::uuid[])
	UNION ALL SELECT 4, party_id::text, listed_seq, NULL, list, listed_on::text, listed_ref, removed_on::text, coalesce(removed_ref, ''),
	    NULL, NULL
	  FROM registry.credit_listings WHERE party_id = ANY(?2::uuid[])
	UNION ALL SELECT 5, asset_id::text, 0, valid_from::text, kind, region_code, valid_from::text, valid_to::text,
	    high_value_from::text, well_known_from::text, foreign_family_from::text
	  FROM spans WHERE known_to IS NULL
	ORDER BY 1, 2, 3, 4`

// readSet fills the view from pledgeReadSetSQL and returns the current policy.
func (v *pledgeView) readSet(ctx context.Context, db bun.IDB, partyIDs, assetIDs, pledgors []string) (policy, error) {
	rows, err := db.QueryContext(ctx, pledgeReadSetSQL, pgdialect.Array(partyIDs), pgdialect.Array(assetIDs), pgdialect.Array(pledgors))
	if err != nil {
		return policy{}, fmt.Errorf("registry: pledge read set: %w", err)
	}
	defer rows.Close()
	params := map[string]json.RawMessage{}
	var concordance []ConcordanceRow
	for rows.Next() {
		var t int
		var k string
		var o int64
		var s, c1, c2, c3, c4, c5, c6, c7 *string
		if err := rows.Scan(&t, &k, &o, &s, &c1, &c2, &c3, &c4, &c5, &c6, &c7); err != nil {
			return policy{}, fmt.Errorf("registry: pledge read set: %w", err)
		}
		str := func(p *string) string {
			if p == nil {
				return ""
			}
			return *p
		}
		switch t {
		case 1:
			params[k] = json.RawMessage(str(c1))
			continue
		case 2:
			concordance = append(concordance, ConcordanceRow{IPCPrefix: k, Industry: str(c1)})
			continue
		}
		id, err := uuid.Parse(k)
		if err != nil {
			return policy{}, fmt.Errorf("registry: pledge read set: %w", err)
		}
		switch t {
		case 0:
			v.parties[id] = pledgeParty{name: str(c1), kind: PartyKind(str(c2)), region: str(c3)}
		case 3:
			pledge, err := uuid.Parse(str(c1))
			if err != nil {
				return policy{}, fmt.Errorf("registry: pledge read set: %w", err)
			}
			v.holds[id] = append(v.holds[id], pledgeHold{pledge: pledge, active: str(c2) == "true",
				pledgedOn: parseDateCol(c3), releasedOn: parseDateCol(c4)})
		case 4:
			v.credit[id] = append(v.credit[id], CreditListing{List: str(c1), ListedOn: parseDateCol(c2), SourceRef: str(c3),
				RemovedOn: parseDateCol(c4), RemovedRef: str(c5)})
		case 5:
			v.spans[id] = append(v.spans[id], span{Kind: ident.Kind(str(c1)), Region: str(c2), ValidFrom: parseDateCol(c3),
				ValidTo: parseDateCol(c4), HighValueFrom: parseDateCol(c5), WellKnownFrom: parseDateCol(c6), ForeignFamilyFrom: parseDateCol(c7)})
		}
	}
	if err := rows.Err(); err != nil {
		return policy{}, fmt.Errorf("registry: pledge read set: %w", err)
	}
	pol := policyFrom(params)
	pol.concordance = concordance
	return pol, nil
}

// checkRegistration applies the registration rules that read state, in the order
// docs/DOMAIN.md (Pledge rules) lists them, and fills the region: the same verdicts as
// checking against the database.
func (v *pledgeView) checkRegistration(p *pledgePayload) *Error {
	pledgee, ok := v.parties[p.PledgeeID]
	if !ok {
		return Errorf(Invalid, "pledgee_unknown", "pledgee_id", "no party %s", p.PledgeeID)
	}
	if !pledgee.kind.Pledgee() {
		return pledgeeNotLender(pledgee.name, pledgee.kind)
	}
	for i, id := range p.PledgorIDs {
		if _, ok := v.parties[id]; !ok {
			return Errorf(Invalid, "pledgor_unknown", fmt.Sprintf("pledgor_ids[%d]", i), "no party %s", id)
		}
	}
	p.RegionCode = v.parties[p.PledgorIDs[0]].region
	for i, id := range p.AssetIDs {
		field := fmt.Sprintf("asset_ids[%d]", i)
		l := v.assets[id]
		if l == nil {
			return Errorf(Invalid, "asset_unknown", field, "no asset %s", id)
		}
		if err := checkPledgeable(l, v.pol, p, field); err != nil {
			de, _ := AsError(err)
			return de
		}
	}
	var to term.Date
	if end := p.end(); end != nil {
		to = *end
	}
	if de := v.checkNotPledged(p.AssetIDs, p.RegisteredOn, to); de != nil {
		return de
	}
	return v.checkDemand(p)
}

// checkNotPledged refuses the first right (in input order) in another pledge during the new
// pledge's period [from, to) (zero to: open), naming an active one first.
func (v *pledgeView) checkNotPledged(assets []uuid.UUID, from, to term.Date) *Error {
	for i, a := range assets {
		var clash *pledgeHold
		for j := range v.holds[a] {
			h := &v.holds[a][j]
			if !h.overlaps(from, to) {
				continue
			}
			if h.active {
				clash = h
				break
			}
			if clash == nil {
				clash = h
			}
		}
		if clash != nil {
			return assetPledged(a, clash.pledge, i)
		}
	}
	return nil
}

// accept applies an accepted registration to the view: its rights are held, and its amount
// counts as their financing from its registration date.
func (v *pledgeView) accept(p *pledgePayload) {
	h := pledgeHold{pledge: p.ID, active: p.end() == nil, pledgedOn: p.RegisteredOn}
	if end := p.end(); end != nil {
		h.releasedOn = *end
	}
	n := int64(len(p.AssetIDs))
	for i, a := range p.AssetIDs {
		v.holds[a] = append(v.holds[a], h)
		l := v.assets[a]
		share := p.AmountFen / n // equal shares as loadAssets reads them: the remainder's fen to the first rights
		if int64(i) < p.AmountFen%n {
			share++
		}
		l.fin = append(l.fin, financing{On: p.RegisteredOn, AmountFen: p.AmountFen, ShareFen: share})
		// In (date, seq) order, as loaded: the new amount is the latest of its date.
		sort.SliceStable(l.fin, func(i, j int) bool { return l.fin[i].On.Before(l.fin[j].On) })
	}
}

// pledgeOutcome is a registration's result and, when accepted, the pledge as recorded: what
// a read of it right after the write returns (but Overdue, which depends on the day asked).
type pledgeOutcome struct {
	BatchResult
	pledge Pledge
}

// recorded is the new pledge p, entered at seq (and, one recorded with its history, last
// changed at lastSeq), as the view holds its parties and rights.
func (v *pledgeView) recorded(p *pledgePayload, seq, lastSeq int64) Pledge {
	out := Pledge{ID: p.ID, Status: PledgeActive, Pledgee: Owner{ID: p.PledgeeID, Name: v.parties[p.PledgeeID].name},
		Amount: Money(p.AmountFen), Financing: Money(p.AmountFen), ContractNo: p.ContractNo, RegionCode: p.RegionCode,
		RegisteredOn: p.RegisteredOn, StartsOn: p.StartsOn, EndsOn: p.EndsOn, Seq: seq, UpdatedSeq: seq}
	names := map[uuid.UUID]string{}
	for _, id := range p.PledgorIDs {
		out.Pledgors = append(out.Pledgors, Owner{ID: id, Name: v.parties[id].name})
		names[id] = v.parties[id].name
	}
	out.Warnings = creditWarnings(v.credit, p.PledgorIDs, names, p.RegisteredOn)
	for _, id := range p.AssetIDs {
		l := v.assets[id]
		// A pledged right is in force, so granted: its number is shown in its granted form.
		out.Assets = append(out.Assets, PledgedAsset{ID: id, Kind: l.f.Kind, Number: l.number,
			DisplayNumber: pledgeDisplayNumber(l.f.Kind, l.number, true), Title: l.title, Active: true})
	}
	if p.followed() {
		out.UpdatedSeq = lastSeq
	}
	if p.defaultedOn != nil {
		out.Defaulted, out.DefaultedOn = true, *p.defaultedOn
	}
	if end := p.end(); end != nil {
		out.Status, out.EndedOn = PledgeReleased, *end
		if p.RealisedOn != nil {
			out.Status, out.Realisation = PledgeRealised, &Realisation{Method: p.method, Proceeds: Money(p.proceedsFen)}
		}
		for i := range out.Assets {
			out.Assets[i].Active, out.Assets[i].ReleasedOn = false, *end
		}
	}
	out.recordedValuation(p.Appraisals, seq)
	return out
}

// recordPledges checks the prepared registrations ps in order (nil: refused already) and
// records the accepted ones: out[i].Err is a refusal, out[i].ID the new pledge. made[i] is
// ps[i]'s payload made ahead (PreparePledges), nil where none was (made itself may be nil): a
// registration whose checked payload is that one is appended with its canonical form as made;
// any other with the payload as checked.
func recordPledges(ctx context.Context, tx *ledger.Tx, pool *bun.DB, ps []*pledgePayload, made []*madePledge, out []pledgeOutcome) error {
	db, err := writeDB(ctx, tx, pool, len(ps))
	if err != nil {
		return err
	}
	v, err := loadPledgeView(ctx, db, ps)
	if err != nil {
		return err
	}
	// Registrations over distinct rights are projected together, set-based. A
	// pledge recorded with its history (default, release, realisation), or one sharing a right
	// with those pending, is projected entry by entry once what precedes it is (two finished
	// pledges of one right may share a batch).
	var entries []ledger.Entry
	var accepted []*pledgePayload
	pendingAsset := map[uuid.UUID]bool{}
	flush := func() error {
		err := applyPledgesRegistered(ctx, db, v, entries, accepted)
		entries, accepted, pendingAsset = nil, nil, map[uuid.UUID]bool{}
		return err
	}
	for i, p := range ps {
		if p == nil {
			continue
		}
		if de := v.checkRegistrationBy(viewerFrom(ctx), p); de != nil { // pledge_rules.go
			out[i].Err = de
			continue
		}
		shares := slices.ContainsFunc(p.AssetIDs, func(a uuid.UUID) bool { return pendingAsset[a] })
		if shares || p.followed() {
			if err := flush(); err != nil {
				return err
			}
		}
		draft := ledger.Draft{Kind: kindPledgeRegistered, Subject: pledgeSubject(p.ID), EffectiveOn: p.RegisteredOn.Time(), Payload: p}
		if made != nil && made[i] != nil && made[i].holds(p) {
			draft.Payload = made[i].canon
		}
		out[i].ID = p.ID
		if p.followed() {
			// The registration and what followed it: entries of this transaction, each on its own date.
			e, err := appendApply(ctx, tx, draft)
			if err != nil {
				return err
			}
			last := e.Seq
			for _, d := range historyDrafts(p) {
				fe, err := appendApply(ctx, tx, d)
				if err != nil {
					return err
				}
				last = fe.Seq
			}
			v.accept(p)
			for _, a := range p.AssetIDs {
				delete(v.spans, a) // its projection rewrote them
			}
			out[i].pledge = v.recorded(p, e.Seq, last)
			if err := v.matchDemand(ctx, tx, p); err != nil {
				return err
			}
			continue
		}
		e, err := tx.Append(draft)
		if err != nil {
			return err
		}
		v.accept(p)
		entries = append(entries, e)
		accepted = append(accepted, p)
		for _, a := range p.AssetIDs {
			pendingAsset[a] = true
		}
		out[i].pledge = v.recorded(p, e.Seq, 0)
		if err := v.matchDemand(ctx, tx, p); err != nil {
			return err
		}
	}
	return flush()
}

// historyDrafts are the entries that follow the registration of a pledge recorded after the
// fact, in order: its default, then its release or its realisation.
func historyDrafts(p *pledgePayload) []ledger.Draft {
	var ds []ledger.Draft
	add := func(kind string, on term.Date, ev pledgeEventPayload) {
		ev.PledgeID = p.ID
		ds = append(ds, ledger.Draft{Kind: kind, Subject: pledgeSubject(p.ID), EffectiveOn: on.Time(), Payload: ev})
	}
	if p.defaultedOn != nil {
		add(kindPledgeDefaulted, *p.defaultedOn, pledgeEventPayload{Type: PledgeDefault})
	}
	if p.ReleasedOn != nil {
		add(kindPledgeReleased, *p.ReleasedOn, pledgeEventPayload{Type: PledgeRelease})
	}
	if p.RealisedOn != nil {
		add(kindPledgeRealised, *p.RealisedOn, pledgeEventPayload{Type: PledgeRealise, Method: p.method, ProceedsFen: p.proceedsFen})
	}
	return ds
}
