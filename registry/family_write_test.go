package registry

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"ipledger/registry/ident"
)

// familyRows lists registry.foreign_family_members as "office/number filed unit from-to", with
// seqs relative to base (to "-" when current).
func (f *fixture) familyRows(base int64) []string {
	f.t.Helper()
	rows, err := f.db.App.QueryContext(f.ctx, `SELECT country, family_number, filed_on::text, region_code, known_from, coalesce(known_to, 0)
		FROM registry.foreign_family_members ORDER BY country, family_number, known_from`)
	if err != nil {
		f.t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var c, n, filed, region string
		var from, to int64
		if err := rows.Scan(&c, &n, &filed, &region, &from, &to); err != nil {
			f.t.Fatal(err)
		}
		end := "-"
		if to != 0 {
			end = fmt.Sprint(to - base)
		}
		out = append(out, fmt.Sprintf("%s/%s %s %s %d-%s", c, n, filed, region, from-base, end))
	}
	if err := rows.Err(); err != nil {
		f.t.Fatal(err)
	}
	return out
}

// TestFamilyMembersAsKnown: each overseas family member counts at its earliest filing day in
// the unit its patent had that day, as known at each seq — a member recorded again with an
// earlier date, or a backdated set_region or transfer that moves the patent before a member's
// filing day, changes the member's row from its own seq on (in a batch too, entry by entry);
// a change after the filing day changes nothing. The migration's backfill writes the same rows
// as the projection, and so does a Rebuild.
func TestFamilyMembersAsKnown(t *testing.T) {
	f := newFixture(t)
	o1, o2 := f.party("150502"), f.party("150525")
	a := f.asset(AssetInput{Kind: ident.InventionPatent, Number: patentNo(2015, '1', 77), Title: "同族", OwnerIDs: []uuid.UUID{o1.ID},
		FiledOn: d("2015-03-01"), GrantedOn: d("2017-03-01")})
	other := f.asset(AssetInput{Kind: ident.InventionPatent, Number: patentNo(2016, '1', 78), Title: "无同族", OwnerIDs: []uuid.UUID{o1.ID},
		FiledOn: d("2016-03-01"), GrantedOn: d("2018-03-01")})
	var base int64
	if err := f.db.App.QueryRowContext(f.ctx, `SELECT seq FROM ledger.head`).Scan(&base); err != nil {
		t.Fatal(err)
	}
	steps := []EventInput{
		{Type: EventForeignFamily, EffectiveOn: d("2022-06-01"), Country: "US", FamilyNumber: "US1", FamilyDate: d("2022-03-01")}, // 1
		{Type: EventTransfer, EffectiveOn: d("2021-06-01"), OwnerIDs: []uuid.UUID{o2.ID}},                                         // 2: backdated, to 150525
		{Type: EventSetRegion, EffectiveOn: d("2022-05-01"), RegionCode: "150581"},                                                // 3: after the filing day
		{Type: EventSetRegion, EffectiveOn: d("2022-01-01"), RegionCode: "150571"},                                                // 4: backdated before it
		{Type: EventForeignFamily, EffectiveOn: d("2022-07-01"), Country: "US", FamilyNumber: "US1", FamilyDate: d("2021-12-15")}, // 5: again, earlier
		{Type: EventForeignFamily, EffectiveOn: d("2023-01-01"), Country: "EP", FamilyNumber: "EP1"},                              // 6: no family_date
		{Type: EventForeignFamily, EffectiveOn: d("2023-02-01"), Country: "US", FamilyNumber: "US1", FamilyDate: d("2022-08-01")}, // 7: again, later
	}
	for _, in := range steps {
		f.event(a.ID, in)
	}
	// A change of another patent's unit touches no member of this one.
	f.event(other.ID, EventInput{Type: EventSetRegion, EffectiveOn: d("2020-01-01"), RegionCode: "150523"})
	// One write of three entries (8, 9, 10): a member, then a change of unit before its filing
	// day, then one after it.
	res, err := f.s.AssetEvents(f.ctx, []AssetEventItem{
		{AssetID: a.ID, Event: EventInput{Type: EventForeignFamily, EffectiveOn: d("2023-03-01"), Country: "WO", FamilyNumber: "WO1", FamilyDate: d("2022-02-02")}},
		{AssetID: a.ID, Event: EventInput{Type: EventSetRegion, EffectiveOn: d("2022-02-01"), RegionCode: "150523"}},
		{AssetID: a.ID, Event: EventInput{Type: EventSetRegion, EffectiveOn: d("2022-02-03"), RegionCode: "150524"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.Err != nil {
			t.Fatal(r.Err)
		}
	}
	want := []string{
		"EP/EP1 2023-01-01 150581 6--",
		"US/US1 2022-03-01 150502 1-2",
		"US/US1 2022-03-01 150525 2-4",
		"US/US1 2022-03-01 150571 4-5",
		"US/US1 2021-12-15 150525 5--",
		"WO/WO1 2022-02-02 150571 9-10",
		"WO/WO1 2022-02-02 150523 10--",
	}
	got := f.familyRows(base)
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("rows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// The migration's backfill gives the same rows.
	before := f.familyRows(base)
	if err := f.db.Remigrate(f.ctx, 21); err != nil {
		t.Fatal(err)
	}
	if after := f.familyRows(base); !slices.Equal(after, before) {
		t.Fatalf("rows after the migration's backfill:\n%s\nwant:\n%s", strings.Join(after, "\n"), strings.Join(before, "\n"))
	}
	f.rebuildMatches()
}
