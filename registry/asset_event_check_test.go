package registry

import (
	"testing"

	"github.com/google/uuid"

	"ipledger/registry/ident"
	"ipledger/registry/term"
)

// The event rules over a view, with no database: each case builds the view, checks a batch
// in order (accepting what passes, each at the next seq) and names every verdict, so that a
// later event sees the earlier ones of its batch.
func TestEventViewChecks(t *testing.T) {
	owner, buyer, licensee := uuid.New(), uuid.New(), uuid.New()
	pledge := uuid.New()
	type ev struct {
		asset string // a key of the assets below; "" is an unknown asset
		in    EventInput
	}
	on := func(s string) term.Date { return d(s) }
	transfer := func(date string, consent bool, owners ...uuid.UUID) EventInput {
		return EventInput{Type: EventTransfer, EffectiveOn: on(date), OwnerIDs: owners, PledgeeConsent: consent}
	}
	simple := func(typ, date string) EventInput { return EventInput{Type: typ, EffectiveOn: on(date)} }
	cases := []struct {
		name   string
		batch  []ev
		want   []string // "" accepted, else the code
		field  string   // of the last refusal
		ref    string   // of the last refusal
		region string   // the region of "inv" after the batch, as of 9999-12-31 ("": not checked)
	}{
		{"grant", []ev{{"pending", simple(EventGrant, "2024-05-05")}}, []string{""}, "", "", ""},
		{"grant twice in one batch", []ev{{"pending", simple(EventGrant, "2024-05-05")}, {"pending", simple(EventGrant, "2024-06-06")}},
			[]string{"", "already_granted"}, "effective_on", "", ""},
		{"unknown asset", []ev{{"", simple(EventLapse, "2024-01-01")}}, []string{"asset_not_found"}, "", "", ""},
		{"before filing", []ev{{"inv", simple(EventLapse, "2010-01-01")}}, []string{"before_filing"}, "effective_on", "", ""},
		{"lapse then lapse", []ev{{"inv", simple(EventLapse, "2024-01-01")}, {"inv", simple(EventLapse, "2024-02-01")}},
			[]string{"", "already_lapsed"}, "effective_on", "", ""},
		{"restore before its lapse", []ev{{"inv", simple(EventLapse, "2024-01-01")}, {"inv", simple(EventRestore, "2023-12-01")}, {"inv", simple(EventRestore, "2024-03-01")}},
			[]string{"", "before_lapse", ""}, "effective_on", "", ""},
		{"restore without a lapse", []ev{{"inv", simple(EventRestore, "2024-03-01")}}, []string{"not_lapsed"}, "effective_on", "", ""},
		{"invalidated in the batch", []ev{{"inv", simple(EventInvalidate, "2024-01-01")}, {"inv", simple(EventLapse, "2024-06-01")}, {"inv", EventInput{Type: EventFreeze, EffectiveOn: on("2024-06-01"), CaseNumber: "案1"}}},
			[]string{"", "already_invalidated", ""}, "effective_on", "", ""},
		{"grant of a registered mark", []ev{{"mark", simple(EventGrant, "2024-01-01")}}, []string{"already_granted"}, "effective_on", "", ""},
		{"renew too early", []ev{{"mark", simple(EventRenew, "2020-01-01")}}, []string{"renewal_too_early"}, "effective_on", "", ""},
		{"renew in time", []ev{{"mark", simple(EventRenew, "2025-06-01")}}, []string{""}, "", "", ""},
		{"renew a patent", []ev{{"inv", simple(EventRenew, "2024-01-01")}}, []string{"not_trademark"}, "effective_on", "", ""},
		{"lapse of a pending patent", []ev{{"pending", simple(EventLapse, "2024-01-01")}}, []string{"not_granted"}, "effective_on", "", ""},
		{"freeze stops a transfer", []ev{{"inv", EventInput{Type: EventFreeze, EffectiveOn: on("2024-01-01"), CaseNumber: "案1"}}, {"inv", transfer("2024-02-01", false, buyer)},
			{"inv", EventInput{Type: EventUnfreeze, EffectiveOn: on("2024-03-01"), CaseNumber: "案1"}}, {"inv", transfer("2024-04-01", false, buyer)}},
			[]string{"", "asset_frozen", "", ""}, "effective_on", "", "150524"},
		{"freeze twice", []ev{{"inv", EventInput{Type: EventFreeze, EffectiveOn: on("2024-01-01")}}, {"inv", EventInput{Type: EventFreeze, EffectiveOn: on("2024-02-01")}}},
			[]string{"", "already_frozen"}, "effective_on", "", ""},
		{"unfreeze unfrozen", []ev{{"inv", EventInput{Type: EventUnfreeze, EffectiveOn: on("2024-01-01")}}}, []string{"not_frozen"}, "effective_on", "", ""},
		{"owners required", []ev{{"inv", transfer("2024-01-01", false)}}, []string{"owners_required"}, "owner_ids", "", ""},
		{"owner twice", []ev{{"inv", transfer("2024-01-01", false, buyer, buyer)}}, []string{"owner_duplicate"}, "owner_ids[1]", "", ""},
		{"owner unknown", []ev{{"inv", transfer("2024-01-01", false, buyer, uuid.New())}}, []string{"owner_unknown"}, "owner_ids[1]", "", ""},
		{"region follows the first owner", []ev{{"inv", transfer("2024-01-01", false, buyer, owner)}}, []string{""}, "", "", "150524"},
		{"a unit set stays", []ev{{"inv", EventInput{Type: EventSetRegion, EffectiveOn: on("2023-01-01"), RegionCode: "150523"}}, {"inv", transfer("2024-01-01", false, buyer)}},
			[]string{"", ""}, "", "", "150523"},
		{"region unknown", []ev{{"inv", EventInput{Type: EventSetRegion, EffectiveOn: on("2023-01-01"), RegionCode: "150500"}}}, []string{"region_unknown"}, "region_code", "", ""},
		{"pledged without consent", []ev{{"held", transfer("2024-01-01", false, buyer)}}, []string{"asset_pledged"}, "pledgee_consent", pledge.String(), ""},
		{"pledged with consent", []ev{{"held", EventInput{Type: EventLicense, EffectiveOn: on("2024-01-01"), LicenseeID: licensee, LicenseType: LicenseSole, PledgeeConsent: true}}},
			[]string{""}, "", "", ""},
		{"licensee unknown", []ev{{"inv", EventInput{Type: EventLicense, EffectiveOn: on("2024-01-01"), LicenseeID: uuid.New(), LicenseType: LicenseSole}}},
			[]string{"licensee_unknown"}, "licensee_id", "", ""},
		{"well-known twice", []ev{{"mark", simple(EventWellKnown, "2024-01-01")}, {"mark", simple(EventWellKnown, "2024-02-01")}},
			[]string{"", "already_well_known"}, "effective_on", "", ""},
		{"family granted before filing", []ev{{"inv", EventInput{Type: EventForeignFamily, EffectiveOn: on("2024-01-01"), Country: "us", FamilyNumber: "US1",
			FamilyStatus: FamilyGranted, FamilyGrantedOn: on("2012-01-01")}}}, []string{"before_filing"}, "family_granted_on", "", ""},
		{"designate a mark", []ev{{"mark", EventInput{Type: EventDesignate, EffectiveOn: on("2024-01-01"), Industry: "新能源"}}}, []string{"not_invention_patent"}, "effective_on", "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			assets := map[string]*loaded{
				"inv": {id: uuid.New(), f: facts{Kind: ident.InventionPatent, FiledOn: on("2015-01-10"), GrantedOn: on("2017-01-10"),
					Owners: []uuid.UUID{owner}, Region: "150502"}},
				"pending": {id: uuid.New(), f: facts{Kind: ident.InventionPatent, FiledOn: on("2022-02-02"), Owners: []uuid.UUID{owner}, Region: "150502"}},
				"mark":    {id: uuid.New(), f: facts{Kind: ident.Trademark, GrantedOn: on("2016-06-01"), Owners: []uuid.UUID{owner}, Region: "150502"}},
				"held": {id: uuid.New(), f: facts{Kind: ident.UtilityModel, FiledOn: on("2019-04-04"), GrantedOn: on("2019-11-11"),
					Owners: []uuid.UUID{owner}, Region: "150502"}},
			}
			v := &eventView{eventState: eventState{assets: map[uuid.UUID]*loaded{}, pol: defaultPolicy()},
				parties: map[uuid.UUID]string{owner: "150502", buyer: "150524", licensee: "150525"},
				pledged: map[uuid.UUID]uuid.UUID{assets["held"].id: pledge},
				units:   map[string]bool{"150502": true, "150523": true, "150524": true}}
			for _, l := range assets {
				v.assets[l.id] = l
			}
			var last *Error
			for i, e := range c.batch {
				id := uuid.New()
				if l := assets[e.asset]; l != nil {
					id = l.id
				}
				kind, eff, perr := prepareEvent(e.in, testToday)
				if perr != nil {
					t.Fatalf("item %d: prepare: %v", i, perr)
				}
				data, de := v.check(id, e.in, eff)
				got := ""
				if de != nil {
					got, last = de.Code, de
				} else {
					if data.AssetID != id || data.Type != e.in.Type || eventKinds[data.Type] != kind {
						t.Fatalf("item %d: payload names %s %s", i, data.AssetID, data.Type)
					}
					v.accept(data, int64(100+i), eff)
				}
				if got != c.want[i] {
					t.Fatalf("item %d (%s): %q (%v), want %q", i, e.in.Type, got, de, c.want[i])
				}
			}
			if last != nil && (last.Field != c.field || last.Ref != c.ref) {
				t.Fatalf("last refusal: field %q ref %q, want %q %q", last.Field, last.Ref, c.field, c.ref)
			}
			if c.region != "" {
				l := assets["inv"]
				if got := fold(l.f, l.evs, v.pol, l.fin).at(term.New(9999, 12, 31)).Region; got != c.region {
					t.Fatalf("region %q, want %q", got, c.region)
				}
			}
		})
	}
}
