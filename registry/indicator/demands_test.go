package indicator

import (
	"testing"

	"ipledger/registry"
)

// Demands count in the year of their posting and of their matching, in the party's unit, at
// the edges of the year.
func TestDemandFigures(t *testing.T) {
	f := newFixture(t)
	o1, o2 := f.party("150502", registry.Enterprise), f.party("150525", registry.Enterprise)
	bank := f.party("150502", registry.Bank)
	post := func(p registry.Party, amount, on string) registry.Demand {
		t.Helper()
		dm, err := f.reg.PostDemand(f.ctx, registry.DemandInput{PartyID: p.ID, Amount: amount, TermMonths: 12, PostedOn: d(on)})
		if err != nil {
			t.Fatal(err)
		}
		return dm
	}
	event := func(dm registry.Demand, typ, on string) {
		t.Helper()
		in := registry.DemandEventInput{Type: typ, EffectiveOn: d(on)}
		if typ == registry.DemandMatched {
			in.LenderID = bank.ID
		}
		if _, err := f.reg.DemandEvent(f.ctx, registry.OfficeViewer(), dm.ID, in); err != nil {
			t.Fatal(err)
		}
	}
	a := post(o1, "1000000.00", "2024-12-31")
	event(a, registry.DemandMatched, "2025-01-01")
	b := post(o2, "200000.00", "2025-01-01")
	event(b, registry.DemandWithdrawn, "2025-03-01")
	post(o1, "30000.00", "2025-12-31")
	post(o1, "4.00", "2026-01-01")

	for _, c := range []struct {
		region   string
		from, to int
		want     []DemandYear
	}{
		{"150500", 2024, 2025, []DemandYear{
			{Year: 2024, Posted: 1, PostedAmount: "1000000.00", Matched: 0, MatchedAmount: "0.00"},
			{Year: 2025, Posted: 2, PostedAmount: "230000.00", Matched: 1, MatchedAmount: "1000000.00"}}},
		{"150502", 2025, 2026, []DemandYear{
			{Year: 2025, Posted: 1, PostedAmount: "30000.00", Matched: 1, MatchedAmount: "1000000.00"},
			{Year: 2026, Posted: 1, PostedAmount: "4.00", Matched: 0, MatchedAmount: "0.00"}}},
		{"150525", 2025, 2025, []DemandYear{{Year: 2025, Posted: 1, PostedAmount: "200000.00", MatchedAmount: "0.00"}}},
	} {
		got, err := f.ind.Demands(f.ctx, c.region, c.from, c.to)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(c.want) {
			t.Fatalf("%s %d–%d: %+v", c.region, c.from, c.to, got)
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Fatalf("%s %d: got %+v, want %+v", c.region, got[i].Year, got[i], c.want[i])
			}
		}
	}
	if ys, err := f.ind.Demands(f.ctx, "150500", 2000, 2000+MaxDemandYears-1); err != nil || len(ys) != MaxDemandYears {
		t.Fatalf("%d years: %d, %v", MaxDemandYears, len(ys), err)
	}
	for _, c := range []struct {
		region   string
		from, to int
		code     string
	}{{"150500", 2025, 2024, "year_range_invalid"}, {"150500", 2000, 2000 + MaxDemandYears, "year_range_invalid"}, {"999999", 2025, 2025, "region_unknown"}} {
		_, err := f.ind.Demands(f.ctx, c.region, c.from, c.to)
		if de, ok := registry.AsError(err); !ok || de.Code != c.code {
			t.Fatalf("%+v: err = %v, want %s", c, err, c.code)
		}
	}
}
