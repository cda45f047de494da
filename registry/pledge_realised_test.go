package registry

import (
	"reflect"
	"testing"

	"github.com/google/uuid"

	"ipledger/registry/term"
)

// TestRealisedPledgeInOneWrite: a pledge that ended by realisation is recorded in one write —
// its registration, its default and its realisation, each an entry on its own date — and its
// rights are held over [registered_on, realised_on) only. Realised the same day as the
// default is the edge that is allowed.
func TestRealisedPledgeInOneWrite(t *testing.T) {
	f := newPledgeFixture(t)
	o1 := []uuid.UUID{f.o1.ID}
	right := f.patent("2015-01-01", f.o1.ID)
	realised := func(reg, def, real, ends string) PledgeInput {
		in := f.input(o1, right.ID)
		in.RegisteredOn, in.DefaultedOn, in.RealisedOn, in.EndsOn = d(reg), d(def), d(real), d(ends)
		in.RealisationMethod, in.Proceeds, in.Amount = "auction", "3200000.50", "4000000.00"
		return in
	}
	before := f.head()
	p := f.pledge(realised("2021-03-01", "2022-01-10", "2022-01-10", "2023-02-28"))
	if p.Status != PledgeRealised || p.EndedOn != d("2022-01-10") || !p.Defaulted || p.DefaultedOn != d("2022-01-10") ||
		p.Realisation == nil || p.Realisation.Method != "auction" || p.Realisation.Proceeds.String() != "3200000.50" ||
		p.Assets[0].Active || p.Assets[0].ReleasedOn != d("2022-01-10") || p.Overdue {
		t.Fatalf("a realised pledge: %+v", p)
	}
	read, err := f.s.GetPledge(f.ctx, OfficeViewer(), p.ID)
	if err != nil || !reflect.DeepEqual(read, p) {
		t.Fatalf("the answer\n%+v\nis not what is read\n%+v (%v)", p, read, err)
	}
	es, err := f.s.PledgeChanges(f.ctx, OfficeViewer(), before, 10)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range es {
		got = append(got, e.Kind+"@"+e.EffectiveDate())
	}
	want := []string{"pledge.registered@2021-03-01", "pledge.defaulted@2022-01-10", "pledge.realised@2022-01-10"}
	if !reflect.DeepEqual(got, want) || es[2].Seq != read.UpdatedSeq || es[0].Seq != read.Seq {
		t.Fatalf("entries %v, want %v (seqs %d/%d)", got, want, read.Seq, read.UpdatedSeq)
	}
	// The realised pledge takes no events, as one realised through them.
	_, err = f.s.PledgeEvent(f.ctx, OfficeViewer(), p.ID, PledgeEventInput{Type: PledgeRelease})
	wantCode(t, err, Invalid, "already_realised")

	// Its right is free from the realisation day (half-open), pledged up to the day before.
	in := f.input(o1, right.ID)
	in.RegisteredOn = d("2022-01-09")
	_, err = f.s.RegisterPledge(f.ctx, in)
	if de := wantCode(t, err, Conflict, "asset_pledged"); de.Ref != p.ID.String() {
		t.Fatalf("refusal: %+v", de)
	}
	in.RegisteredOn = d("2022-01-10")
	f.pledge(in)
	// Recorded while the right is pledged again: an earlier realised pledge (2019–2020).
	f.pledge(realised("2019-01-01", "2020-05-01", "2020-11-30", "2020-12-31"))

	// Financing counts on registered_on, as any registration's; realisation never subtracts.
	rows, err := f.s.FinancingByYearRegion(f.ctx, d("2021-01-01"), d("2021-12-31"), 0)
	if err != nil || len(rows) != 1 || rows[0].Amount != 4_000_000_00 || rows[0].Registrations != 1 {
		t.Fatalf("2021 financing: %+v %v", rows, err)
	}
	f.rebuildMatches()
}

// TestPledgeHistoryDatesAtTheirEdges: registered_on ≤ defaulted_on ≤ realised_on (or
// released_on) ≤ today, each refusal naming its field, writing nothing; a realisation needs
// a default, a method and proceeds, and a pledge does not end twice.
func TestPledgeHistoryDatesAtTheirEdges(t *testing.T) {
	f := newPledgeFixture(t)
	o1 := []uuid.UUID{f.o1.ID}
	right := f.patent("2015-01-01", f.o1.ID)
	base := func() PledgeInput {
		in := f.input(o1, right.ID)
		in.RegisteredOn, in.DefaultedOn, in.RealisedOn, in.EndsOn = d("2022-01-01"), d("2022-06-01"), d("2022-09-01"), d("2023-01-01")
		in.RealisationMethod, in.Proceeds = "sale", "100.00"
		return in
	}
	tomorrow := testToday.AddDays(1)
	head := f.head()
	for _, c := range []struct {
		name        string
		change      func(*PledgeInput)
		code, field string
	}{
		{"default before registration", func(in *PledgeInput) { in.DefaultedOn = d("2021-12-31") }, "before_last_change", "defaulted_on"},
		{"default after today", func(in *PledgeInput) { in.DefaultedOn, in.RealisedOn = tomorrow, tomorrow }, "date_in_future", "defaulted_on"},
		{"realised before default", func(in *PledgeInput) { in.RealisedOn = d("2022-05-31") }, "before_last_change", "realised_on"},
		{"realised after today", func(in *PledgeInput) { in.RealisedOn = tomorrow }, "date_in_future", "realised_on"},
		{"realised without default", func(in *PledgeInput) { in.DefaultedOn = term.Date{} }, "not_defaulted", "defaulted_on"},
		{"released and realised", func(in *PledgeInput) { in.ReleasedOn = d("2022-09-01") }, "already_released", "realised_on"},
		{"no method", func(in *PledgeInput) { in.RealisationMethod = "" }, "method_invalid", "realisation_method"},
		{"debt to equity in one write", func(in *PledgeInput) { in.RealisationMethod = RealiseDebtToEquity }, "method_invalid", "realisation_method"},
		{"reverse licence in one write", func(in *PledgeInput) { in.RealisationMethod = RealiseReverseLicence }, "method_invalid", "realisation_method"},
		{"unknown method", func(in *PledgeInput) { in.RealisationMethod = "foreclosure" }, "method_invalid", "realisation_method"},
		{"no proceeds", func(in *PledgeInput) { in.Proceeds = "" }, "amount_invalid", "proceeds"},
		{"method without realisation", func(in *PledgeInput) { in.RealisedOn = term.Date{} }, "field_not_allowed", "realisation_method"},
		{"proceeds without realisation", func(in *PledgeInput) { in.RealisedOn, in.RealisationMethod = term.Date{}, "" }, "field_not_allowed", "proceeds"},
		{"released before default", func(in *PledgeInput) {
			in.RealisedOn, in.RealisationMethod, in.Proceeds, in.ReleasedOn = term.Date{}, "", "", d("2022-05-31")
		}, "before_last_change", "released_on"},
	} {
		in := base()
		c.change(&in)
		_, err := f.s.RegisterPledge(f.ctx, in)
		if de := wantCode(t, err, Invalid, c.code); de.Field != c.field {
			t.Errorf("%s: %s at %s, want at %s", c.name, de.Code, de.Field, c.field)
		}
	}
	if f.head() != head {
		t.Fatal("a refused registration wrote")
	}
	// The edges themselves are accepted: all on the registration day, and on today.
	in := base()
	in.DefaultedOn, in.RealisedOn = in.RegisteredOn, in.RegisteredOn
	if p := f.pledge(in); p.Status != PledgeRealised || p.EndedOn != in.RegisteredOn {
		t.Fatalf("realised the day it was registered: %+v", p)
	}
	other := f.patent("2015-02-02", f.o1.ID)
	in = f.input(o1, other.ID)
	in.RegisteredOn, in.DefaultedOn, in.RealisedOn, in.EndsOn = d("2025-01-01"), testToday, testToday, d("2027-01-01")
	in.RealisationMethod, in.Proceeds = "transfer", "1.00"
	if p := f.pledge(in); p.Status != PledgeRealised || p.EndedOn != testToday {
		t.Fatalf("realised today: %+v", p)
	}
}

// TestDefaultedPledgeRecordedOpen: defaulted_on alone records a pledge still active but in
// default (registration and default in one write); it is realised later by the event, not
// before its default.
func TestDefaultedPledgeRecordedOpen(t *testing.T) {
	f := newPledgeFixture(t)
	in := f.input([]uuid.UUID{f.o1.ID}, f.inv.ID)
	in.RegisteredOn, in.DefaultedOn = d("2024-01-01"), d("2025-02-01")
	p := f.pledge(in)
	if p.Status != PledgeActive || !p.Defaulted || p.DefaultedOn != d("2025-02-01") || !p.Assets[0].Active || p.UpdatedSeq != p.Seq+1 {
		t.Fatalf("a defaulted open pledge: %+v", p)
	}
	_, err := f.s.PledgeEvent(f.ctx, OfficeViewer(), p.ID, PledgeEventInput{Type: PledgeRealise, EffectiveOn: d("2025-01-31"), Method: "auction", Proceeds: "5.00"})
	if de := wantCode(t, err, Invalid, "before_last_change"); de.Field != "effective_on" {
		t.Fatalf("refusal: %+v", de)
	}
	_, err = f.s.PledgeEvent(f.ctx, OfficeViewer(), p.ID, PledgeEventInput{Type: PledgeDefault})
	wantCode(t, err, Invalid, "already_defaulted")
	if r := f.pevent(p.ID, PledgeEventInput{Type: PledgeRealise, EffectiveOn: d("2025-02-01"), Method: "auction", Proceeds: "5.00"}); r.Status != PledgeRealised {
		t.Fatalf("realised: %+v", r)
	}
	f.rebuildMatches()
}

// TestPledgeeKinds: a guarantor (担保机构) or another financial institution may be the pledgee;
// an enterprise may not (pledgee_not_bank, the code's old name kept).
func TestPledgeeKinds(t *testing.T) {
	f := newPledgeFixture(t)
	for i, k := range []PartyKind{Guarantor, FinancialInstitution} {
		lender, _, err := f.s.RegisterParty(f.ctx, PartyInput{Name: "通辽市某" + string(k), Kind: k, RegionCode: "150502"})
		if err != nil {
			t.Fatal(err)
		}
		in := f.input([]uuid.UUID{f.o1.ID}, f.patent("2015-03-0"+string(rune('1'+i)), f.o1.ID).ID)
		in.PledgeeID = lender.ID
		p := f.pledge(in)
		if p.Pledgee.ID != lender.ID {
			t.Fatalf("pledgee: %+v", p.Pledgee)
		}
		// It acts on its own pledge, and another lender's viewer does not see it.
		if _, err := f.s.GetPledge(f.ctx, BankViewer(lender.ID), p.ID); err != nil {
			t.Fatalf("%s reads its own pledge: %v", k, err)
		}
		_, err = f.s.PledgeEvent(f.ctx, BankViewer(f.bank.ID), p.ID, PledgeEventInput{Type: PledgeRelease})
		wantCode(t, err, NotFound, "pledge_not_found")
	}
	in := f.input([]uuid.UUID{f.o1.ID}, f.inv.ID)
	in.PledgeeID = f.o2.ID
	_, err := f.s.RegisterPledge(f.ctx, in)
	if de := wantCode(t, err, Invalid, "pledgee_not_bank"); de.Field != "pledgee_id" {
		t.Fatalf("refusal: %+v", de)
	}
}
