package registry

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"ipledger/ledger"
	"ipledger/registry/ident"
	"ipledger/registry/term"
)

// Batch writes: many registrations or events in ONE ledger write (one transaction, one commit),
// for loads and imports. Each item goes through exactly the path of its single-item method
// (recordEvent, recordPledges, recordPledgeEvent) and sees every item before it. An item refused
// by a rule gets its own *Error in the result and changes nothing — every rule is checked before
// an item appends or writes anything — and the other items are recorded. An error that is not a
// refusal (the database failed, or a projection refused after its entry was appended) fails the
// whole write: nothing of the batch is kept.

// AssetEventItem is one event of AssetEvents: the asset and the event, as for AssetEvent.
type AssetEventItem struct {
	AssetID uuid.UUID
	Event   EventInput
}

// AssetEvents records many asset events in one ledger write, in order. res[i].ID is the asset
// of items[i] when it was recorded; res[i].Err says why it was refused.
func (s *Service) AssetEvents(ctx context.Context, items []AssetEventItem) ([]BatchResult, error) {
	today := s.Today()
	preps, base := prepareEvents(items, func(it AssetEventItem) (string, term.Date, *Error) { return prepareEvent(it.Event, today) })
	return s.batch(ctx, base, func(ctx context.Context, tx *ledger.Tx, i int) (uuid.UUID, error) {
		it := items[i]
		return it.AssetID, recordEvent(ctx, tx, it.AssetID, it.Event, preps[i].kind, preps[i].eff)
	})
}

// Asset event types (EventInput.Type). Each is recorded as one ledger entry of the kind
// eventKinds names, with subject asset/<id>.
const (
	EventGrant         = "grant"
	EventRenew         = "renew"
	EventLapse         = "lapse"
	EventRestore       = "restore"
	EventInvalidate    = "invalidate"
	EventTransfer      = "transfer"
	EventLicense       = "license"
	EventFreeze        = "freeze"
	EventUnfreeze      = "unfreeze"
	EventDesignate     = "designate_strategic_industry"
	EventForeignFamily = "add_foreign_family"
	EventAward         = "award"
	EventWellKnown     = "recognise_well_known"
	EventSetRegion     = "set_region"
)

// eventKinds maps event types to ledger entry kinds.
var eventKinds = map[string]string{
	EventGrant:         "asset.granted",
	EventRenew:         "asset.renewed",
	EventLapse:         "asset.lapsed",
	EventRestore:       "asset.restored",
	EventInvalidate:    "asset.invalidated",
	EventTransfer:      "asset.transferred",
	EventLicense:       "asset.licensed",
	EventFreeze:        "asset.frozen",
	EventUnfreeze:      "asset.unfrozen",
	EventDesignate:     "asset.strategic_industry_designated",
	EventForeignFamily: "asset.foreign_family_added",
	EventAward:         "asset.awarded",
	EventWellKnown:     "asset.well_known_recognised",
	EventSetRegion:     "asset.region_set",
}

// EventTypes lists the asset event types.
func EventTypes() []string {
	out := make([]string, 0, len(eventKinds))
	for t := range eventKinds {
		out = append(out, t)
	}
	slices.Sort(out)
	return out
}

// Statuses of an overseas family member (add_foreign_family's family_status): only a granted
// foreign or regional patent makes an invention patent high-value, from its grant date.
const (
	FamilyGranted = "granted" // a granted foreign or regional patent (专利权); family_granted_on required
	FamilyPending = "pending" // a PCT (WO) or foreign application not (yet) granted
)

// Awards that make an invention patent high-value: the China Patent Award and a National
// Science and Technology Award. Awards lists every code accepted; the API's enum is this list.
const (
	AwardChinaPatent = "china_patent_award"
	AwardNationalST  = "national_sci_tech_award"
)

// Awards are the award codes, in the order the API documents them.
var Awards = []string{AwardChinaPatent, AwardNationalST}

// Licence types (许可类型): exclusive (独占许可: only the licensee exploits, not even the
// owner), sole (排他许可: the licensee and the owner) and ordinary (普通许可: the owner may
// license others too).
const (
	LicenseExclusive = "exclusive"
	LicenseSole      = "sole"
	LicenseOrdinary  = "ordinary"
)

// LicenseTypes are the licence types, in the order the API documents them.
var LicenseTypes = []string{LicenseExclusive, LicenseSole, LicenseOrdinary}

// eventFields says which event types take each optional field of EventInput; a field given
// to another type is refused (field_not_allowed) rather than silently dropped.
var eventFields = []struct {
	name  string
	given func(EventInput) bool
	types []string
}{
	{"owner_ids", func(in EventInput) bool { return len(in.OwnerIDs) > 0 }, []string{EventTransfer}},
	{"pledgee_consent", func(in EventInput) bool { return in.PledgeeConsent }, []string{EventTransfer, EventLicense}},
	{"licensee_id", func(in EventInput) bool { return in.LicenseeID != uuid.Nil }, []string{EventLicense}},
	{"license_type", func(in EventInput) bool { return in.LicenseType != "" }, []string{EventLicense}},
	{"case_number", func(in EventInput) bool { return in.CaseNumber != "" }, []string{EventFreeze, EventUnfreeze}},
	{"industry", func(in EventInput) bool { return in.Industry != "" }, []string{EventDesignate}},
	{"country", func(in EventInput) bool { return in.Country != "" }, []string{EventForeignFamily}},
	{"family_number", func(in EventInput) bool { return in.FamilyNumber != "" }, []string{EventForeignFamily}},
	{"family_date", func(in EventInput) bool { return !in.FamilyDate.IsZero() }, []string{EventForeignFamily}},
	{"family_status", func(in EventInput) bool { return in.FamilyStatus != "" }, []string{EventForeignFamily}},
	{"family_granted_on", func(in EventInput) bool { return !in.FamilyGrantedOn.IsZero() }, []string{EventForeignFamily}},
	{"award", func(in EventInput) bool { return in.Award != "" }, []string{EventAward}},
	{"level", func(in EventInput) bool { return in.Level != "" }, []string{EventAward}},
	{"region_code", func(in EventInput) bool { return in.RegionCode != "" }, []string{EventSetRegion}},
}

// EventInput is one lifecycle event. EffectiveOn defaults to today; the other fields are
// per type:
//
//	transfer              OwnerIDs (the new owners, in order); PledgeeConsent if pledged
//	license               LicenseeID, LicenseType (exclusive | sole | ordinary); PledgeeConsent if pledged
//	freeze, unfreeze      CaseNumber (the court's)
//	designate_strategic_industry  Industry
//	add_foreign_family    Country (ISO 3166 alpha-2 or WO/EP), FamilyNumber, FamilyDate (its filing
//	                      date), FamilyStatus (granted | pending), FamilyGrantedOn (iff granted)
//	award                 Award (china_patent_award | national_sci_tech_award), Level
//
// A field that its type does not take is refused (field_not_allowed).
//
//	set_region            RegionCode
type EventInput struct {
	Type            string
	EffectiveOn     term.Date
	OwnerIDs        []uuid.UUID
	PledgeeConsent  bool
	LicenseeID      uuid.UUID
	LicenseType     string
	CaseNumber      string
	Industry        string
	Country         string
	FamilyNumber    string
	FamilyDate      term.Date
	FamilyStatus    string
	FamilyGrantedOn term.Date
	Award           string
	Level           string
	RegionCode      string
	Note            string
}

// eventData is an event's ledger payload (self-contained: every value the fold needs).
type eventData struct {
	AssetID        uuid.UUID   `json:"asset_id"`
	Type           string      `json:"type"`
	OwnerIDs       []uuid.UUID `json:"owner_ids,omitempty"`
	RegionCode     string      `json:"region_code,omitempty"` // set_region; transfer: the new first owner's unit
	PledgeeConsent bool        `json:"pledgee_consent,omitempty"`
	LicenseeID     *uuid.UUID  `json:"licensee_id,omitempty"`
	LicenseType    string      `json:"license_type,omitempty"`
	CaseNumber     string      `json:"case_number,omitempty"`
	Industry       string      `json:"industry,omitempty"`
	Country        string      `json:"country,omitempty"`
	FamilyNumber   string      `json:"family_number,omitempty"`
	FamilyDate     term.Date   `json:"family_date"`
	// Absent in entries recorded before it existed: the fold reads those as it did then.
	FamilyStatus    string    `json:"family_status,omitempty"`
	FamilyGrantedOn term.Date `json:"family_granted_on,omitzero"`
	Award           string    `json:"award,omitempty"`
	Level           string    `json:"level,omitempty"`
	Note            string    `json:"note,omitempty"`
}

var countryRE = regexp.MustCompile(`^[A-Z]{2}$`)

// AssetEvent records one lifecycle event and returns the asset as of the event's date, where
// the event shows. Impossible transitions are Invalid with a code naming the rule.
func (s *Service) AssetEvent(ctx context.Context, id uuid.UUID, in EventInput) (Asset, error) {
	return s.AssetEventAt(ctx, id, in, term.Date{})
}

// AssetEventAt is AssetEvent answering with the asset as of asOf (zero: the event's date).
func (s *Service) AssetEventAt(ctx context.Context, id uuid.UUID, in EventInput, asOf term.Date) (Asset, error) {
	kind, eff, perr := prepareEvent(in, s.Today())
	if perr != nil {
		return Asset{}, perr
	}
	_, err := s.write(ctx, func(ctx context.Context, tx *ledger.Tx) error {
		return recordEvent(ctx, tx, id, in, kind, eff)
	})
	if err != nil {
		return Asset{}, err
	}
	if asOf.IsZero() {
		asOf = eff
	}
	return s.getAsset(ctx, s.l.DB(), id, asOf)
}

// prepareEvent checks what needs no database: the event type, the fields it takes and its
// date (default today, never after it). It returns the entry kind and the effective date.
func prepareEvent(in EventInput, today term.Date) (string, term.Date, *Error) {
	kind, ok := eventKinds[in.Type]
	if !ok {
		return "", term.Date{}, Errorf(Invalid, "event_type_unknown", "type", "no asset event %q (known: %s)", in.Type, strings.Join(EventTypes(), ", "))
	}
	for _, f := range eventFields {
		if f.given(in) && !slices.Contains(f.types, in.Type) {
			return "", term.Date{}, Errorf(Invalid, "field_not_allowed", f.name,
				"%s does not belong to a %s event (only to %s)", f.name, in.Type, strings.Join(f.types, ", "))
		}
	}
	switch in.Type {
	case EventLicense:
		if in.LicenseeID == uuid.Nil {
			return "", term.Date{}, Errorf(Invalid, "licensee_required", "licensee_id", "a licence names its licensee (a party id)")
		}
		if !slices.Contains(LicenseTypes, in.LicenseType) {
			return "", term.Date{}, Errorf(Invalid, "license_type_invalid", "license_type",
				"license_type is exclusive (独占许可), sole (排他许可) or ordinary (普通许可)")
		}
	case EventAward:
		if !slices.Contains(Awards, in.Award) {
			return "", term.Date{}, Errorf(Invalid, "award_unknown", "award", "award is %s", strings.Join(Awards, " or "))
		}
	}
	for _, t := range []struct{ field, s string }{{"case_number", in.CaseNumber}, {"industry", in.Industry}, {"country", in.Country},
		{"family_number", in.FamilyNumber}, {"level", in.Level}, {"region_code", in.RegionCode}} {
		if err := CheckText(t.field, t.s, false); err != nil {
			return "", term.Date{}, err
		}
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

// recordEvent checks one prepared event against the asset as it stands in tx and records it:
// the one path of AssetEvent and AssetEvents. Every rule is checked before anything is
// written, so a refusal (*Error) leaves tx as it was.
func recordEvent(ctx context.Context, tx *ledger.Tx, id uuid.UUID, in EventInput, kind string, eff term.Date) error {
	db := tx.DB()
	pol, err := loadPolicy(ctx, db)
	if err != nil {
		return err
	}
	ls, err := loadAssets(ctx, db, 1<<62, `a.id = ?`, id.String())
	if err != nil {
		return err
	}
	if len(ls) == 0 {
		return Errorf(NotFound, "asset_not_found", "", "no asset %s", id)
	}
	l := ls[0]
	t := fold(l.f, l.evs, pol, l.fin)
	data, err := checkEvent(ctx, db, l, t, in, eff)
	if err != nil {
		return err
	}
	data.AssetID, data.Type = id, in.Type
	_, err = appendApply(ctx, tx, ledger.Draft{Kind: kind, Subject: "asset/" + id.String(), EffectiveOn: eff.Time(), Payload: data})
	return err
}

// checkEvent applies the rules of one event type to the asset's timeline as of the event's
// date, and returns the payload to record.
func checkEvent(ctx context.Context, db bun.IDB, l *loaded, t *timeline, in EventInput, eff term.Date) (eventData, error) {
	d := eventData{Note: strings.TrimSpace(in.Note)}
	k := l.f.Kind
	earliest := minDate(l.f.FiledOn, t.granted)
	if earliest.IsZero() {
		earliest = t.start
	}
	if !earliest.IsZero() && eff.Before(earliest) {
		return d, Errorf(Invalid, "before_filing", "effective_on", "%s is before the asset was filed or registered (%s)", eff, earliest)
	}
	st := t.at(eff)
	invalid := func(code, format string, args ...any) (eventData, error) {
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
			var ids []string
			for i, o := range in.OwnerIDs {
				if slices.Contains(in.OwnerIDs[:i], o) {
					return d, Errorf(Invalid, "owner_duplicate", fmt.Sprintf("owner_ids[%d]", i), "owner %s is listed twice", o)
				}
				ids = append(ids, o.String())
			}
			regions, err := partyRegions(ctx, db, ids)
			if err != nil {
				return d, err
			}
			for i, o := range in.OwnerIDs {
				if _, ok := regions[o]; !ok {
					return d, Errorf(Invalid, "owner_unknown", fmt.Sprintf("owner_ids[%d]", i), "no party %s", o)
				}
			}
			d.OwnerIDs = slices.Clone(in.OwnerIDs)
			// CNIPA attributes a right to its first owner's address: unless the registrar set
			// the unit explicitly, it follows the new first owner.
			if !l.explicit {
				if r := regions[in.OwnerIDs[0]]; r != st.Region {
					d.RegionCode = r
				}
			}
		} else {
			if _, err := getParty(ctx, db, in.LicenseeID); err != nil {
				if de, ok := AsError(err); ok && de.Class == NotFound {
					return d, Errorf(Invalid, "licensee_unknown", "licensee_id", "no party %s", in.LicenseeID)
				}
				return d, err
			}
			lid := in.LicenseeID
			d.LicenseeID = &lid
			d.LicenseType = in.LicenseType
		}
		d.PledgeeConsent = in.PledgeeConsent
		if !in.PledgeeConsent {
			var pledge uuid.UUID
			err := db.QueryRowContext(ctx, `SELECT pledge_id FROM registry.pledge_assets WHERE asset_id = ? AND active LIMIT 1`, l.id.String()).Scan(&pledge)
			if err == nil {
				e := Errorf(Conflict, "asset_pledged", "pledgee_consent",
					"the right is in active pledge %s: a %s needs the pledgee's consent", pledge, in.Type)
				e.Ref = pledge.String()
				return d, e
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return d, err
			}
		}
	case EventFreeze, EventUnfreeze:
		if in.Type == EventFreeze && st.Frozen {
			return invalid("already_frozen", "the right is frozen on %s already", eff)
		}
		if in.Type == EventUnfreeze && !st.Frozen {
			return invalid("not_frozen", "the right is not frozen on %s", eff)
		}
		d.CaseNumber = strings.TrimSpace(in.CaseNumber)
	case EventDesignate:
		if k != ident.InventionPatent {
			return invalid("not_invention_patent", "strategic-industry designation counts for invention patents only")
		}
		d.Industry = strings.TrimSpace(in.Industry)
		if d.Industry == "" {
			return d, Errorf(Invalid, "industry_required", "industry", "name the strategic emerging industry")
		}
	case EventForeignFamily:
		if !k.IsPatent() {
			return invalid("not_patent", "overseas family members are recorded on patents")
		}
		d.Country = strings.ToUpper(strings.TrimSpace(in.Country))
		if !countryRE.MatchString(d.Country) || d.Country == "CN" {
			return d, Errorf(Invalid, "country_invalid", "country", "want an overseas office code such as US, EP, JP or WO")
		}
		d.FamilyNumber = strings.TrimSpace(in.FamilyNumber)
		if d.FamilyNumber == "" {
			return d, Errorf(Invalid, "family_number_required", "family_number", "the family member's number is required")
		}
		if in.FamilyDate.After(eff) {
			return d, Errorf(Invalid, "date_in_future", "family_date", "the family member's date %s is after the event's date %s", in.FamilyDate, eff)
		}
		d.FamilyDate = in.FamilyDate
		if err := checkFamilyStatus(in, d.Country, l.f.FiledOn, eff); err != nil {
			return d, err
		}
		d.FamilyStatus, d.FamilyGrantedOn = in.FamilyStatus, in.FamilyGrantedOn
	case EventAward:
		if !k.IsPatent() {
			return invalid("not_patent", "awards are recorded on patents")
		}
		d.Award, d.Level = in.Award, strings.TrimSpace(in.Level)
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
		units, err := unitCodes(ctx, db)
		if err != nil {
			return d, err
		}
		if !units[in.RegionCode] {
			return d, Errorf(Invalid, "region_unknown", "region_code",
				"%q is not one of the city's county-level units (the city code %s itself is not a unit)", in.RegionCode, CityCode)
		}
		d.RegionCode = in.RegionCode
	}
	return d, nil
}

// checkFamilyStatus: a granted member names its grant date, which is neither before the
// patent's filing nor the member's own filing, nor after the event's date; a pending one (or
// one without a status) names none; a PCT (WO) filing is never granted.
func checkFamilyStatus(in EventInput, country string, filedOn, eff term.Date) error {
	switch in.FamilyStatus {
	case "", FamilyPending:
		if !in.FamilyGrantedOn.IsZero() {
			return Errorf(Invalid, "family_granted_on_not_allowed", "family_granted_on",
				"family_granted_on belongs to a granted family member (family_status granted)")
		}
	case FamilyGranted:
		if country == "WO" {
			return Errorf(Invalid, "family_status_invalid", "family_status",
				"a PCT (WO) application is never granted: record the national or regional patent granted from it")
		}
		g := in.FamilyGrantedOn
		switch {
		case g.IsZero():
			return Errorf(Invalid, "family_granted_on_required", "family_granted_on", "a granted family member names its grant date")
		case !filedOn.IsZero() && g.Before(filedOn):
			return Errorf(Invalid, "before_filing", "family_granted_on", "the family patent's grant %s is before the patent was filed (%s)", g, filedOn)
		case !in.FamilyDate.IsZero() && g.Before(in.FamilyDate):
			return Errorf(Invalid, "before_filing", "family_granted_on", "the family patent's grant %s is before its filing (%s)", g, in.FamilyDate)
		case g.After(eff):
			return Errorf(Invalid, "date_in_future", "family_granted_on", "the family patent's grant %s is after the event's date %s", g, eff)
		}
	default:
		return Errorf(Invalid, "family_status_invalid", "family_status", "family_status is %s or %s", FamilyGranted, FamilyPending)
	}
	return nil
}
