package registry

import (
	"sync"
	"testing"

	"github.com/google/uuid"

	"ipledger/ledger"
)

func (f *pledgeFixture) demand(in DemandInput) Demand {
	f.t.Helper()
	dm, err := f.s.PostDemand(f.ctx, in)
	if err != nil {
		f.t.Fatalf("post demand: %v", err)
	}
	return dm
}

func (f *pledgeFixture) devent(v Viewer, id uuid.UUID, in DemandEventInput) (Demand, error) {
	f.t.Helper()
	return f.s.DemandEvent(f.ctx, v, id, in)
}

func TestPostDemandRules(t *testing.T) {
	f := newPledgeFixture(t)
	ok := DemandInput{PartyID: f.o1.ID, Amount: "3000000.00", TermMonths: 12, AssetIDs: []uuid.UUID{f.inv.ID}, Note: "流动资金"}
	dm := f.demand(ok)
	if dm.Status != DemandOpen || dm.Amount.String() != "3000000.00" || dm.TermMonths != 12 || dm.Party.Name != f.o1.Name ||
		dm.RegionCode != f.o1.RegionCode || dm.PostedOn != testToday || len(dm.AssetIDs) != 1 || dm.Interests == nil {
		t.Fatalf("demand = %+v", dm)
	}
	// Term edges: 1 and 360 months are accepted.
	for _, m := range []int{1, MaxTermMonths} {
		in := ok
		in.TermMonths = m
		f.demand(in)
	}
	mod := func(fn func(*DemandInput)) DemandInput {
		in := ok
		in.AssetIDs = append([]uuid.UUID(nil), ok.AssetIDs...)
		fn(&in)
		return in
	}
	before := f.head()
	for _, c := range []struct {
		name string
		in   DemandInput
		code string
	}{
		{"amount zero", mod(func(in *DemandInput) { in.Amount = "0.00" }), "amount_invalid"},
		{"amount three decimals", mod(func(in *DemandInput) { in.Amount = "1.001" }), "amount_invalid"},
		{"term 0", mod(func(in *DemandInput) { in.TermMonths = 0 }), "term_months_invalid"},
		{"term 361", mod(func(in *DemandInput) { in.TermMonths = MaxTermMonths + 1 }), "term_months_invalid"},
		{"posted tomorrow", mod(func(in *DemandInput) { in.PostedOn = testToday.AddDays(1) }), "date_in_future"},
		{"party unknown", mod(func(in *DemandInput) { in.PartyID = uuid.New() }), "party_unknown"},
		{"party a bank", mod(func(in *DemandInput) { in.PartyID, in.AssetIDs = f.bank.ID, nil }), "party_not_borrower"},
		{"asset unknown", mod(func(in *DemandInput) { in.AssetIDs = []uuid.UUID{uuid.New()} }), "asset_unknown"},
		{"asset not owned", mod(func(in *DemandInput) { in.PartyID = f.o2.ID }), "asset_not_owned"},
		{"asset twice", mod(func(in *DemandInput) { in.AssetIDs = []uuid.UUID{f.inv.ID, f.inv.ID} }), "asset_duplicate"},
		{"note control character", mod(func(in *DemandInput) { in.Note = "a\x00b" }), "text_invalid"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := f.s.PostDemand(f.ctx, c.in)
			wantCode(t, err, Invalid, c.code)
		})
	}
	if f.head() != before {
		t.Fatal("a refused demand wrote to the ledger")
	}
}

func TestDemandLifecycle(t *testing.T) {
	f := newPledgeFixture(t)
	office, bank, bank2 := OfficeViewer(), BankViewer(f.bank.ID), BankViewer(f.bank2.ID)
	dm := f.demand(DemandInput{PartyID: f.o1.ID, Amount: "3000000.00", TermMonths: 24, PostedOn: d("2026-01-10")})

	// Interest: a lender for itself; the office names the lender.
	_, err := f.devent(bank2, dm.ID, DemandEventInput{Type: DemandInterest, LenderID: f.bank.ID})
	wantCode(t, err, Forbidden, "lender_not_caller")
	_, err = f.devent(office, dm.ID, DemandEventInput{Type: DemandInterest})
	wantCode(t, err, Invalid, "lender_required")
	_, err = f.devent(office, dm.ID, DemandEventInput{Type: DemandInterest, LenderID: f.o2.ID})
	wantCode(t, err, Invalid, "lender_invalid")
	_, err = f.devent(bank, dm.ID, DemandEventInput{Type: DemandInterest, EffectiveOn: d("2026-01-09")})
	wantCode(t, err, Invalid, "before_last_change")
	got, err := f.devent(bank, dm.ID, DemandEventInput{Type: DemandInterest, EffectiveOn: d("2026-01-10")}) // the posting day itself
	if err != nil || len(got.Interests) != 1 || got.Interests[0].Lender.ID != f.bank.ID ||
		got.Interests[0].Lender.Name != f.bank.Name || got.Interests[0].On != d("2026-01-10") {
		t.Fatalf("interest: %+v, %v", got, err)
	}
	_, err = f.devent(office, dm.ID, DemandEventInput{Type: DemandInterest, LenderID: f.bank.ID})
	wantCode(t, err, Conflict, "interest_already_marked")
	if _, err := f.devent(office, dm.ID, DemandEventInput{Type: DemandInterest, LenderID: f.bank2.ID}); err != nil {
		t.Fatal(err)
	}
	// Each lender sees its own interest only; the office sees both.
	for _, c := range []struct {
		v    Viewer
		want int
	}{{office, 2}, {bank, 1}, {bank2, 1}} {
		got, err := f.s.GetDemand(f.ctx, c.v, dm.ID)
		if err != nil || len(got.Interests) != c.want {
			t.Fatalf("interests seen = %+v (%v), want %d", got.Interests, err, c.want)
		}
	}

	// Withdrawal is the office's; a lender's match needs its interest or its pledge.
	_, err = f.devent(bank, dm.ID, DemandEventInput{Type: DemandWithdrawn})
	wantCode(t, err, Forbidden, "withdraw_office_only")
	other := f.demand(DemandInput{PartyID: f.o1.ID, Amount: "1000000.00", TermMonths: 6})
	_, err = f.devent(bank, other.ID, DemandEventInput{Type: DemandMatched})
	wantCode(t, err, Conflict, "interest_required")
	_, err = f.devent(bank, dm.ID, DemandEventInput{Type: DemandMatched, EffectiveOn: testToday.AddDays(1)})
	wantCode(t, err, Invalid, "date_in_future")
	got, err = f.devent(bank, dm.ID, DemandEventInput{Type: DemandMatched})
	if err != nil || got.Status != DemandMatched || got.Lender == nil || got.Lender.ID != f.bank.ID || got.ClosedOn != testToday {
		t.Fatalf("matched: %+v, %v", got, err)
	}
	// Who matched is the office's and that lender's to see.
	if seen, _ := f.s.GetDemand(f.ctx, bank2, dm.ID); seen.Lender != nil || seen.Status != DemandMatched {
		t.Fatalf("another lender sees %+v", seen)
	}
	// Closed: every event is refused.
	for _, typ := range []string{DemandInterest, DemandMatched, DemandWithdrawn} {
		_, err = f.devent(office, dm.ID, DemandEventInput{Type: typ, LenderID: map[bool]uuid.UUID{true: f.bank.ID}[typ != DemandWithdrawn]})
		wantCode(t, err, Conflict, "demand_not_open")
	}
	if got, err := f.devent(office, other.ID, DemandEventInput{Type: DemandWithdrawn}); err != nil || got.Status != DemandWithdrawn {
		t.Fatalf("withdrawn: %+v, %v", got, err)
	}
	_, err = f.devent(office, uuid.New(), DemandEventInput{Type: DemandWithdrawn})
	wantCode(t, err, NotFound, "demand_not_found")
	_, err = f.devent(office, other.ID, DemandEventInput{Type: "accepted"})
	wantCode(t, err, Invalid, "event_type_unknown")
	_, err = f.devent(office, other.ID, DemandEventInput{Type: DemandWithdrawn, PledgeID: uuid.New()})
	wantCode(t, err, Invalid, "field_not_allowed")

	// Lists: by status, paged.
	open, _, err := f.s.ListDemands(f.ctx, bank, DemandFilter{Status: DemandOpen})
	if err != nil || len(open) != 0 {
		t.Fatalf("open = %+v, %v", open, err)
	}
	all, next, err := f.s.ListDemands(f.ctx, office, DemandFilter{Limit: 1})
	if err != nil || len(all) != 1 || next == "" || all[0].ID != dm.ID {
		t.Fatalf("page 1 = %+v %q %v", all, next, err)
	}
	rest, next, err := f.s.ListDemands(f.ctx, office, DemandFilter{Limit: 1, Cursor: next})
	if err != nil || len(rest) != 1 || next != "" || rest[0].ID != other.ID {
		t.Fatalf("page 2 = %+v %q %v", rest, next, err)
	}
	_, _, err = f.s.ListDemands(f.ctx, office, DemandFilter{Status: "closed"})
	wantCode(t, err, Invalid, "status_unknown")
	f.rebuildMatches()
}

func TestPledgeCitesDemand(t *testing.T) {
	f := newPledgeFixture(t)
	dm := f.demand(DemandInput{PartyID: f.o1.ID, Amount: "5000000.00", TermMonths: 24, PostedOn: d("2025-05-01")})

	// Refusals write nothing.
	before := f.head()
	in := f.input([]uuid.UUID{f.o1.ID}, f.inv.ID)
	in.DemandID = uuid.New()
	_, err := f.s.RegisterPledge(f.ctx, in)
	wantCode(t, err, Invalid, "demand_unknown")
	other := f.demand(DemandInput{PartyID: f.o2.ID, Amount: "1000000.00", TermMonths: 6})
	in.DemandID = other.ID
	_, err = f.s.RegisterPledge(f.ctx, in)
	wantCode(t, err, Invalid, "demand_party_mismatch")
	in.DemandID, in.RegisteredOn = dm.ID, d("2025-04-30") // the day before the demand was posted
	_, err = f.s.RegisterPledge(f.ctx, in)
	wantCode(t, err, Invalid, "before_last_change")
	if f.head() != before+1 { // the other demand only
		t.Fatalf("a refused registration wrote: head %d, want %d", f.head(), before+1)
	}

	// An open demand is matched in the registration's own write, on its date.
	in.RegisteredOn = d("2025-05-01")
	p := f.pledge(in)
	got, err := f.s.GetDemand(f.ctx, OfficeViewer(), dm.ID)
	if err != nil || got.Status != DemandMatched || got.PledgeID != p.ID || got.Lender == nil || got.Lender.ID != f.bank.ID || got.ClosedOn != d("2025-05-01") {
		t.Fatalf("demand after the pledge = %+v, %v", got, err)
	}
	es, err := ledger.List(f.ctx, f.db.App, ledger.Filter{After: p.Seq - 1, Limit: 10})
	if err != nil || len(es) != 2 || es[1].Kind != kindDemandMatched || es[1].Subject != demandSubject(dm.ID) || es[0].RecordedAt != es[1].RecordedAt {
		t.Fatalf("entries after the registration = %+v (%v), want the match in the same write", es, err)
	}

	// A matched demand may be cited again by the same lender (a second loan), not by another.
	f.pevent(p.ID, PledgeEventInput{Type: PledgeRelease, EffectiveOn: d("2025-06-01")})
	in2 := f.input([]uuid.UUID{f.o1.ID}, f.inv.ID)
	in2.DemandID, in2.PledgeeID, in2.RegisteredOn = dm.ID, f.bank2.ID, d("2025-06-02")
	_, err = f.s.RegisterPledge(f.ctx, in2)
	wantCode(t, err, Conflict, "demand_not_open")
	in2.PledgeeID = f.bank.ID
	p2 := f.pledge(in2)
	if got, _ := f.s.GetDemand(f.ctx, OfficeViewer(), dm.ID); got.PledgeID != p.ID {
		t.Fatalf("a second citation changed the match: %+v", got)
	}

	// A withdrawn demand is not cited.
	w := f.demand(DemandInput{PartyID: f.o1.ID, Amount: "1000000.00", TermMonths: 6, PostedOn: d("2025-05-01")})
	if _, err := f.devent(OfficeViewer(), w.ID, DemandEventInput{Type: DemandWithdrawn}); err != nil {
		t.Fatal(err)
	}
	f.pevent(p2.ID, PledgeEventInput{Type: PledgeRelease, EffectiveOn: d("2025-06-02")})
	in3 := f.input([]uuid.UUID{f.o1.ID}, f.inv.ID)
	in3.DemandID, in3.RegisteredOn = w.ID, d("2025-07-01")
	_, err = f.s.RegisterPledge(f.ctx, in3)
	wantCode(t, err, Conflict, "demand_not_open")

	// matched by event, citing a pledge: the demand's party must be its pledgor, the lender its pledgee.
	m := f.demand(DemandInput{PartyID: f.o2.ID, Amount: "1000000.00", TermMonths: 6})
	_, err = f.devent(OfficeViewer(), m.ID, DemandEventInput{Type: DemandMatched, PledgeID: p.ID})
	wantCode(t, err, Invalid, "pledge_party_mismatch")
	m1 := f.demand(DemandInput{PartyID: f.o1.ID, Amount: "1000000.00", TermMonths: 6})
	_, err = f.devent(OfficeViewer(), m1.ID, DemandEventInput{Type: DemandMatched, PledgeID: p.ID, LenderID: f.bank2.ID})
	wantCode(t, err, Invalid, "pledge_lender_mismatch")
	_, err = f.devent(BankViewer(f.bank2.ID), m1.ID, DemandEventInput{Type: DemandMatched, PledgeID: p.ID})
	wantCode(t, err, Invalid, "pledge_unknown") // another lender's pledge does not exist for it
	got, err = f.devent(BankViewer(f.bank.ID), m1.ID, DemandEventInput{Type: DemandMatched, PledgeID: p.ID})
	if err != nil || got.PledgeID != p.ID || got.Lender.ID != f.bank.ID {
		t.Fatalf("matched citing its pledge: %+v, %v", got, err)
	}
	f.rebuildMatches()
}

// Two lenders matching one demand at once, and two pledges of different lenders citing it at
// once (written in one batch or in two): exactly one wins, the other is demand_not_open.
func TestDemandRaces(t *testing.T) {
	f := newPledgeFixture(t)
	office := OfficeViewer()
	for round := 0; round < 3; round++ {
		dm := f.demand(DemandInput{PartyID: f.o1.ID, Amount: "1000000.00", TermMonths: 12})
		for _, b := range []Party{f.bank, f.bank2} {
			if _, err := f.devent(office, dm.ID, DemandEventInput{Type: DemandInterest, LenderID: b.ID}); err != nil {
				t.Fatal(err)
			}
		}
		errs := make([]error, 2)
		var wg sync.WaitGroup
		for i, b := range []Party{f.bank, f.bank2} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = f.s.DemandEvent(f.ctx, BankViewer(b.ID), dm.ID, DemandEventInput{Type: DemandMatched})
			}()
		}
		wg.Wait()
		if (errs[0] == nil) == (errs[1] == nil) {
			t.Fatalf("round %d: errors %v, want exactly one match", round, errs)
		}
		for _, err := range errs {
			if err != nil {
				wantCode(t, err, Conflict, "demand_not_open")
			}
		}
	}

	dm := f.demand(DemandInput{PartyID: f.o1.ID, Amount: "1000000.00", TermMonths: 12, PostedOn: d("2025-05-01")})
	second := f.patent("2014-01-01", f.o1.ID)
	ins := []PledgeInput{f.input([]uuid.UUID{f.o1.ID}, f.inv.ID), f.input([]uuid.UUID{f.o1.ID}, second.ID)}
	ins[1].PledgeeID = f.bank2.ID
	for i := range ins {
		ins[i].DemandID = dm.ID
	}
	res := make([]error, 2)
	var wg sync.WaitGroup
	for i := range ins {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, res[i] = f.s.RegisterPledge(f.ctx, ins[i])
		}()
	}
	wg.Wait()
	if (res[0] == nil) == (res[1] == nil) {
		t.Fatalf("pledges citing one demand: %v, want exactly one accepted", res)
	}
	winner := f.bank.ID
	for i, err := range res {
		if err != nil {
			wantCode(t, err, Conflict, "demand_not_open")
		} else {
			winner = ins[i].PledgeeID
		}
	}
	if got, _ := f.s.GetDemand(f.ctx, office, dm.ID); got.Status != DemandMatched || got.Lender.ID != winner {
		t.Fatalf("demand = %+v, want matched by %s", got, winner)
	}
	f.rebuildMatches()
}
