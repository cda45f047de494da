package registry

import (
	"reflect"
	"testing"

	"github.com/google/uuid"

	"ipledger/registry/ident"
)

// What an asset's registration said of what its events change — owners, unit, grant date —
// is kept beside the current values (migration 0027): reads fold from it, and the same
// registration imported again after the events is recognised as unchanged. Migrating down
// (the payload restored from the ledger) and up again gives the same columns.
func TestRegisteredColumns(t *testing.T) {
	f := newFixture(t)
	o1, o2, o3 := f.party("150502"), f.party("150521"), f.party("150523")
	in := AssetInput{Kind: ident.InventionPatent, Number: patentNo(2013, '1', 4242), Title: "登记时的样子",
		OwnerIDs: []uuid.UUID{o1.ID, o2.ID}, FiledOn: d("2013-12-18")}
	a := f.asset(in)
	f.event(a.ID, EventInput{Type: EventGrant, EffectiveOn: d("2016-05-04")})
	f.event(a.ID, EventInput{Type: EventTransfer, EffectiveOn: d("2020-01-01"), OwnerIDs: []uuid.UUID{o3.ID}})
	row := func() string {
		t.Helper()
		var s string
		if err := f.db.App.QueryRowContext(f.ctx, `SELECT concat_ws(' ', registered_owners::text, registered_region,
			coalesce(registered_granted_on::text, '-'), region_code, coalesce(granted_on::text, '-'))
			FROM registry.assets WHERE id = ?`, a.ID.String()).Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	want := "{" + o1.ID.String() + "," + o2.ID.String() + "} 150502 - 150523 2016-05-04"
	if got := row(); got != want {
		t.Fatalf("registered and current = %q, want %q", got, want)
	}
	before, after := f.get(a.ID, "2019-06-01"), f.get(a.ID, "2021-06-01")
	if len(before.Owners) != 2 || before.Owners[0].ID != o1.ID || before.RegionCode != "150502" || len(after.Owners) != 1 || after.Owners[0].ID != o3.ID {
		t.Fatalf("owners before the transfer %+v (%s), after %+v", before.Owners, before.RegionCode, after.Owners)
	}
	again, err := f.s.RegisterAssets(f.ctx, []AssetInput{in})
	if err != nil || again[0].Err != nil || !again[0].Unchanged || again[0].ID != a.ID {
		t.Fatalf("the registration again after its events: %+v, %v; want unchanged %s", again, err, a.ID)
	}
	if err := f.db.Remigrate(f.ctx, 26); err != nil {
		t.Fatal(err)
	}
	if got := row(); got != want {
		t.Fatalf("after migrating down and up: %q, want %q", got, want)
	}
	if b := f.get(a.ID, "2019-06-01"); !reflect.DeepEqual(b, before) {
		t.Fatalf("after migrating down and up the asset reads\n%+v\nwant\n%+v", b, before)
	}
	f.rebuildMatches()
}
