package registry

import (
	"context"
	"regexp"
	"slices"
	"strings"

	"github.com/google/uuid"

	"ipledger/ledger"
	"ipledger/registry/term"
)

// Batch writes: many registrations or events in ONE ledger write (one transaction, one commit),
// for loads and imports. Each item goes through exactly the path of its single-item method
// (recordEvents, recordPledges, recordPledgeEvent) and sees every item before it. An item refused
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
	b, err := s.PrepareAssetEvents(ctx, items)
	if err != nil {
		return nil, err
	}
	return s.RecordPreparedEvents(ctx, b)
}

// prepareAssetEvents checks items without the database (prepareEvent), on one day: an event
// without a date takes it, and AssetEventAt answers as of it.
func (s *Service) prepareAssetEvents(items []AssetEventItem) ([]preparedEvent, []BatchResult) {
	today := s.Today()
	return prepareEvents(items, func(it AssetEventItem) (string, term.Date, *Error) { return prepareEvent(it.Event, today) })
}

// recordAssetEvents records prepared items in one ledger write, with the payloads made ahead
// (nil: none; PrepareAssetEvents).
func (s *Service) recordAssetEvents(ctx context.Context, items []AssetEventItem, preps []preparedEvent, made []*madeEvent, base []BatchResult) ([]BatchResult, error) {
	return writeResults(ctx, s, base, func(ctx context.Context, tx *ledger.Tx, out []BatchResult) error {
		return recordEvents(ctx, tx, s.l.DB(), items, preps, made, out) // asset_event_check.go
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
	items := []AssetEventItem{{AssetID: id, Event: in}} // a batch of one
	preps, base := s.prepareAssetEvents(items)
	if base[0].Err != nil {
		return Asset{}, base[0].Err
	}
	res, err := s.recordAssetEvents(ctx, items, preps, nil, base)
	if err != nil {
		return Asset{}, err
	}
	if res[0].Err != nil {
		return Asset{}, res[0].Err
	}
	if asOf.IsZero() {
		asOf = preps[0].eff
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

// checkFamilyStatus: a granted member names its grant date, which is neither before the
// patent's filing nor the member's own filing, nor after the event's date; a pending one (or
// one without a status) names none; a PCT (WO) filing is never granted.
func checkFamilyStatus(in EventInput, country string, filedOn, eff term.Date) *Error {
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
