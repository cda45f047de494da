package registry

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"ipledger/ledger"
	"ipledger/registry/ident"
	"ipledger/registry/term"
)

// Asset events, one direction of flow for one event and for a batch (issue 13): load the read
// set of the whole batch in a few set-based queries (eventView), check every event in order
// against it, applying each accepted one to it so that later events of the batch — on the same
// asset too — see it (pure functions), append the entries, and project them set-based
// (applyAssetEvents, asset_event_projection.go).

// eventState is what the projection of a run of asset events reads: the assets with their
// events, registration facts and financing, the policy, and each asset's current spans.
type eventState struct {
	assets map[uuid.UUID]*loaded
	pol    policy
	spans  map[uuid.UUID][]span // as read: the rows with known_to NULL
}

// eventView is the state the event rules read, for every asset and party a batch touches:
// committed state plus the events the batch accepted so far (in assets[].evs, with their seqs).
type eventView struct {
	eventState
	parties map[uuid.UUID]string    // the region of every party a transfer or licence names; absent: no such party
	pledged map[uuid.UUID]uuid.UUID // an active pledge of each asset that has one
	units   map[string]bool         // the city's county-level units, read when a set_region is in the batch
}

// loadEventView reads the read set of the batch's items not refused already (out[i].Err).
func loadEventView(ctx context.Context, db bun.IDB, items []AssetEventItem, out []BatchResult) (*eventView, error) {
	var assetIDs, partyIDs []string
	var assets []uuid.UUID
	seen := map[uuid.UUID]bool{}
	setRegion := false // a set_region needs the city's units
	for i, it := range items {
		if out[i].Err != nil {
			continue
		}
		if !seen[it.AssetID] {
			seen[it.AssetID] = true
			assets, assetIDs = append(assets, it.AssetID), append(assetIDs, it.AssetID.String())
		}
		for _, o := range it.Event.OwnerIDs {
			partyIDs = append(partyIDs, o.String())
		}
		if it.Event.LicenseeID != uuid.Nil {
			partyIDs = append(partyIDs, it.Event.LicenseeID.String())
		}
		setRegion = setRegion || it.Event.Type == EventSetRegion
	}
	// The parties, the policy, the assets' pledge rows and current spans: the statement the
	// pledge registrations read with (pledgeReadSetSQL), without credit listings.
	pv := &pledgeView{parties: map[uuid.UUID]pledgeParty{}, holds: map[uuid.UUID][]pledgeHold{},
		credit: map[uuid.UUID][]CreditListing{}, spans: make(map[uuid.UUID][]span, len(assets))}
	pol, err := pv.readSet(ctx, db, partyIDs, assetIDs, nil)
	if err != nil {
		return nil, err
	}
	rememberPolicy(ctx, pol)
	v := &eventView{eventState: eventState{pol: pol, spans: pv.spans},
		parties: make(map[uuid.UUID]string, len(pv.parties)), pledged: map[uuid.UUID]uuid.UUID{}}
	for id, p := range pv.parties {
		v.parties[id] = p.region
	}
	for id, hs := range pv.holds {
		if i := slices.IndexFunc(hs, func(h pledgeHold) bool { return h.active }); i >= 0 {
			v.pledged[id] = hs[i].pledge
		}
	}
	if v.assets, _, err = loadPledgeAssets(ctx, db, assets); err != nil {
		return nil, err
	}
	if setRegion {
		if v.units, err = unitCodes(ctx, db); err != nil {
			return nil, fmt.Errorf("registry: units: %w", err)
		}
	}
	return v, nil
}

// check applies the rules of one event to the asset as the view holds it and returns the
// payload to record: the verdicts the rules gave checking against the database.
func (v *eventView) check(id uuid.UUID, in EventInput, eff term.Date) (eventData, *Error) {
	l := v.assets[id]
	if l == nil {
		return eventData{}, Errorf(NotFound, "asset_not_found", "", "no asset %s", id)
	}
	d, err := v.checkEvent(l, fold(l.f, l.evs, v.pol, l.fin), in, eff)
	if err != nil {
		return d, err
	}
	d.AssetID, d.Type = id, in.Type
	return d, nil
}

// accept applies an accepted event, entered at seq, to the view.
func (v *eventView) accept(d eventData, seq int64, eff term.Date) {
	l := v.assets[d.AssetID]
	l.evs = append(l.evs, event{Seq: seq, Type: d.Type, EffectiveOn: eff, Data: d})
	if d.Type == EventSetRegion {
		l.explicit = true // the registrar set the unit: transfers no longer move it
	}
}

// eventPayload is the payload recording in on asset id, as far as it follows from the input
// alone: every field but a transfer's region, which follows the asset's unit and the new first
// owner's (checkEvent). PrepareAssetEvents makes it ahead of the write.
func eventPayload(id uuid.UUID, in EventInput) eventData {
	d := eventData{AssetID: id, Type: in.Type, Note: strings.TrimSpace(in.Note)}
	switch in.Type {
	case EventTransfer:
		d.OwnerIDs, d.PledgeeConsent = slices.Clone(in.OwnerIDs), in.PledgeeConsent
	case EventLicense:
		lid := in.LicenseeID
		d.LicenseeID, d.LicenseType, d.PledgeeConsent = &lid, in.LicenseType, in.PledgeeConsent
	case EventFreeze, EventUnfreeze:
		d.CaseNumber = strings.TrimSpace(in.CaseNumber)
	case EventDesignate:
		d.Industry = strings.TrimSpace(in.Industry)
	case EventForeignFamily:
		d.Country, d.FamilyNumber = strings.ToUpper(strings.TrimSpace(in.Country)), strings.TrimSpace(in.FamilyNumber)
		d.FamilyDate, d.FamilyStatus, d.FamilyGrantedOn = in.FamilyDate, in.FamilyStatus, in.FamilyGrantedOn
	case EventAward:
		d.Award, d.Level = in.Award, strings.TrimSpace(in.Level)
	case EventSetRegion:
		d.RegionCode = in.RegionCode
	}
	return d
}

// checkEvent applies the rules of one event type to the asset's timeline t as of the event's
// date.
func (v *eventView) checkEvent(l *loaded, t *timeline, in EventInput, eff term.Date) (eventData, *Error) {
	d := eventPayload(l.id, in)
	k := l.f.Kind
	earliest := minDate(l.f.FiledOn, t.granted)
	if earliest.IsZero() {
		earliest = t.start
	}
	if !earliest.IsZero() && eff.Before(earliest) {
		return d, Errorf(Invalid, "before_filing", "effective_on", "%s is before the asset was filed or registered (%s)", eff, earliest)
	}
	st := t.at(eff)
	invalid := func(code, format string, args ...any) (eventData, *Error) {
		return d, Errorf(Invalid, code, "effective_on", format, args...)
	}
	if !t.invalidatedOn.IsZero() && !eff.Before(t.invalidatedOn) && in.Type != EventFreeze && in.Type != EventUnfreeze {
		return invalid("already_invalidated", "the right was invalidated on %s", t.invalidatedOn)
	}
	granted := !st.Granted.IsZero()
	switch in.Type {
	case EventGrant:
		if !needsGrant(k) {
			return invalid("grant_not_applicable", "a %s is not granted: its registration date is recorded at registration", k)
		}
		if !t.granted.IsZero() {
			return invalid("already_granted", "granted on %s already", t.granted)
		}
	case EventRenew:
		if !k.IsTrademarkLike() {
			return invalid("not_trademark", "only marks are renewed; a %s has a fixed term", k)
		}
		if !granted {
			return invalid("not_granted", "the mark is not registered on %s", eff)
		}
		last := t.expiries[len(t.expiries)-1]
		if eff.After(term.TrademarkGraceEnd(last)) {
			return invalid("renewal_too_late", "the mark expired on %s and the 6-month grace ended on %s", last, term.TrademarkGraceEnd(last))
		}
		if eff.Before(last.AddMonths(-12)) {
			return invalid("renewal_too_early", "a renewal may be made from 12 months before expiry (%s), not on %s", last.AddMonths(-12), eff)
		}
	case EventLapse:
		if !k.IsPatent() {
			return invalid("not_patent", "only patents lapse for an unpaid annuity")
		}
		if !granted {
			return invalid("not_granted", "the patent is not granted on %s", eff)
		}
		if !t.lapsedOn.IsZero() {
			return invalid("already_lapsed", "the patent lapsed on %s already", t.lapsedOn)
		}
		if st.Status == StatusExpired {
			return invalid("already_expired", "the patent expired on %s", st.ExpiresOn)
		}
	case EventRestore:
		if t.lapsedOn.IsZero() {
			return invalid("not_lapsed", "the right has no lapse to restore")
		}
		if eff.Before(t.lapsedOn) {
			return invalid("before_lapse", "the lapse took effect on %s, after %s", t.lapsedOn, eff)
		}
	case EventInvalidate:
		if needsGrant(k) && !granted {
			return invalid("not_granted", "the right is not granted on %s", eff)
		}
	case EventTransfer, EventLicense:
		if needsGrant(k) && !granted {
			return invalid("not_granted", "the right is not granted on %s", eff)
		}
		if in.Type == EventTransfer {
			if st.Frozen {
				// Court preservation: the right may not change hands until unfrozen.
				return invalid("asset_frozen", "the right is frozen by a court on %s: it cannot be transferred", eff)
			}
			if len(in.OwnerIDs) == 0 {
				return d, Errorf(Invalid, "owners_required", "owner_ids", "a transfer names the new owners")
			}
			for i, o := range in.OwnerIDs {
				if slices.Contains(in.OwnerIDs[:i], o) {
					return d, Errorf(Invalid, "owner_duplicate", fmt.Sprintf("owner_ids[%d]", i), "owner %s is listed twice", o)
				}
			}
			for i, o := range in.OwnerIDs {
				if _, ok := v.parties[o]; !ok {
					return d, Errorf(Invalid, "owner_unknown", fmt.Sprintf("owner_ids[%d]", i), "no party %s", o)
				}
			}
			// CNIPA attributes a right to its first owner's address: unless the registrar set
			// the unit explicitly, it follows the new first owner.
			if !l.explicit {
				if r := v.parties[in.OwnerIDs[0]]; r != st.Region {
					d.RegionCode = r
				}
			}
		} else {
			if _, ok := v.parties[in.LicenseeID]; !ok {
				return d, Errorf(Invalid, "licensee_unknown", "licensee_id", "no party %s", in.LicenseeID)
			}
		}
		if pledge, ok := v.pledged[l.id]; ok && !in.PledgeeConsent {
			e := Errorf(Conflict, "asset_pledged", "pledgee_consent",
				"the right is in active pledge %s: a %s needs the pledgee's consent", pledge, in.Type)
			e.Ref = pledge.String()
			return d, e
		}
	case EventFreeze, EventUnfreeze:
		if in.Type == EventFreeze && st.Frozen {
			return invalid("already_frozen", "the right is frozen on %s already", eff)
		}
		if in.Type == EventUnfreeze && !st.Frozen {
			return invalid("not_frozen", "the right is not frozen on %s", eff)
		}
	case EventDesignate:
		if k != ident.InventionPatent {
			return invalid("not_invention_patent", "strategic-industry designation counts for invention patents only")
		}
		if d.Industry == "" {
			return d, Errorf(Invalid, "industry_required", "industry", "name the strategic emerging industry")
		}
	case EventForeignFamily:
		if !k.IsPatent() {
			return invalid("not_patent", "overseas family members are recorded on patents")
		}
		if !countryRE.MatchString(d.Country) || d.Country == "CN" {
			return d, Errorf(Invalid, "country_invalid", "country", "want an overseas office code such as US, EP, JP or WO")
		}
		if d.FamilyNumber == "" {
			return d, Errorf(Invalid, "family_number_required", "family_number", "the family member's number is required")
		}
		if in.FamilyDate.After(eff) {
			return d, Errorf(Invalid, "date_in_future", "family_date", "the family member's date %s is after the event's date %s", in.FamilyDate, eff)
		}
		if err := checkFamilyStatus(in, d.Country, l.f.FiledOn, eff); err != nil {
			return d, err
		}
	case EventAward:
		if !k.IsPatent() {
			return invalid("not_patent", "awards are recorded on patents")
		}
	case EventWellKnown:
		if !k.IsTrademarkLike() {
			return invalid("not_trademark", "only marks are recognised as well-known")
		}
		if !granted {
			return invalid("not_granted", "the mark is not registered on %s", eff)
		}
		if !t.wellKnownFrom.IsZero() {
			return invalid("already_well_known", "recognised as well-known on %s already", t.wellKnownFrom)
		}
	case EventSetRegion:
		if !v.units[in.RegionCode] {
			return d, Errorf(Invalid, "region_unknown", "region_code",
				"%q is not one of the city's county-level units (the city code %s itself is not a unit)", in.RegionCode, CityCode)
		}
	}
	return d, nil
}

// recordEvents checks the prepared events (items[i] with preps[i]; out[i].Err: refused
// already) in order against the batch's view and records the accepted ones: out[i].Err is a
// refusal, out[i].ID the asset. Every rule is checked before an event is appended, so a refused
// event changes nothing; the accepted ones are projected together at the end. made[i] is
// items[i]'s payload made ahead (PrepareAssetEvents), nil where none was (made itself may be
// nil): an event whose checked payload is that one is appended with its canonical form as made;
// any other with the payload as checked.
func recordEvents(ctx context.Context, tx *ledger.Tx, pool *bun.DB, items []AssetEventItem, preps []preparedEvent, made []*madeEvent, out []BatchResult) error {
	db, err := writeDB(ctx, tx, pool, len(items))
	if err != nil {
		return err
	}
	v, err := loadEventView(ctx, db, items, out)
	if err != nil {
		return err
	}
	var es []ledger.Entry
	for i, it := range items {
		if out[i].Err != nil {
			continue
		}
		d, de := v.check(it.AssetID, it.Event, preps[i].eff)
		if de != nil {
			out[i].Err = de
			continue
		}
		var payload any = d
		if made != nil && made[i] != nil && made[i].holds(d) {
			payload = made[i].canon
		}
		e, err := tx.Append(ledger.Draft{Kind: preps[i].kind, Subject: "asset/" + it.AssetID.String(),
			EffectiveOn: preps[i].eff.Time(), Payload: payload})
		if err != nil {
			return err
		}
		v.accept(d, e.Seq, preps[i].eff)
		es = append(es, e)
		out[i].ID = it.AssetID
	}
	return applyAssetEvents(ctx, db, &v.eventState, es)
}

// recordEvent records one prepared event in tx as a batch of one, for a write that records
// other entries too (a realisation's reverse licences): a refusal is its *Error.
func recordEvent(ctx context.Context, tx *ledger.Tx, id uuid.UUID, in EventInput, kind string, eff term.Date) error {
	out := make([]BatchResult, 1)
	if err := recordEvents(ctx, tx, nil, []AssetEventItem{{AssetID: id, Event: in}}, []preparedEvent{{kind, eff}}, nil, out); err != nil {
		return err
	}
	if out[0].Err != nil {
		return out[0].Err
	}
	return nil
}
