package registry

import (
	"slices"
	"testing"

	"github.com/google/uuid"

	"ipledger/migrations"
	"ipledger/registry/ident"
)

// TestFinancingKindsStored: each counted amount is stored with its line and its equal shares
// by kind of right among the rights in the pledge when it was counted; migration 0019's
// backfill gives the same rows from registry.pledge_financing, and so does Rebuild.
func TestFinancingKindsStored(t *testing.T) {
	f := newPledgeFixture(t)
	sw1 := f.asset(AssetInput{Kind: ident.SoftwareCopyright, Number: "2020SR1234567", Title: "软件一", OwnerIDs: []uuid.UUID{f.o1.ID}, GrantedOn: d("2020-05-05")})
	sw2 := f.asset(AssetInput{Kind: ident.SoftwareCopyright, Number: "2020SR7654321", Title: "软件二", OwnerIDs: []uuid.UUID{f.o1.ID}, GrantedOn: d("2020-05-05")})
	w := f.asset(AssetInput{Kind: ident.WorkCopyright, Number: "国作登字-2021-F-00000001", Title: "作品", OwnerIDs: []uuid.UUID{f.o1.ID}, GrantedOn: d("2021-05-05")})

	// A patent and two copyrights: 10,000,000.00 on the plan's line, the odd fen to the patent.
	in := f.input([]uuid.UUID{f.o1.ID}, f.inv.ID, sw1.ID, sw2.ID)
	in.Amount = "10000000.00"
	a := f.pledge(in)
	// The patent released, then 12,000,000.00: the 2,000,000.00 counted is the copyrights' alone.
	f.pevent(a.ID, PledgeEventInput{Type: PledgeReleaseAssets, EffectiveOn: d("2025-07-01"), AssetIDs: []uuid.UUID{f.inv.ID}})
	f.pevent(a.ID, PledgeEventInput{Type: PledgeAmend, EffectiveOn: d("2025-08-01"), Amount: "12000000.00"})
	// An amendment below the highest amount counts nothing and stores nothing.
	f.pevent(a.ID, PledgeEventInput{Type: PledgeAmend, EffectiveOn: d("2025-08-02"), Amount: "11000000.00"})
	// A work copyright alone: 1,000,000.01 on the other line.
	in = f.input([]uuid.UUID{f.o1.ID}, w.ID)
	in.Amount = "1000000.01"
	b := f.pledge(in)

	rows := func() []string {
		t.Helper()
		r, err := f.db.App.QueryContext(f.ctx, `SELECT pledge_id::text || ' ' || effective_on || ' ' || region_code || ' ' ||
			  plan_line || ' ' || kind || ' ' || share_fen
			FROM registry.pledge_financing_kinds ORDER BY seq, kind`)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		var out []string
		for r.Next() {
			var s string
			if err := r.Scan(&s); err != nil {
				t.Fatal(err)
			}
			out = append(out, s)
		}
		return out
	}
	ai, bi := a.ID.String(), b.ID.String()
	want := []string{
		ai + " 2025-06-01 150502 true invention_patent 333333334",
		ai + " 2025-06-01 150502 true software_copyright 666666666",
		ai + " 2025-08-01 150502 false software_copyright 200000000",
		bi + " 2025-06-01 150502 false work_copyright 100000001",
	}
	got := rows()
	if !slices.Equal(got, want) {
		t.Fatalf("stored parts\n got %q\nwant %q", got, want)
	}

	// An upgraded database: the table dropped and migration 0019 run over the existing rows.
	super := f.db.Super(t)
	for _, name := range []string{"sql/0019_financing_kinds.down.sql", "sql/0019_financing_kinds.up.sql"} {
		sqlText, err := migrations.FS().ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := super.ExecContext(f.ctx, string(sqlText)); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	if got := rows(); !slices.Equal(got, want) {
		t.Fatalf("after migration 0019's backfill\n got %q\nwant %q", got, want)
	}
	f.rebuildMatches()
	if got := rows(); !slices.Equal(got, want) {
		t.Errorf("after Rebuild\n got %q\nwant %q", got, want)
	}
}
