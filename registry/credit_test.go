package registry

import (
	"strings"
	"testing"

	"github.com/google/uuid"
)

const blacklist = "严重违法失信名单"

func (f *fixture) credit(id uuid.UUID, typ, list, on string) error {
	f.t.Helper()
	_, err := f.s.PartyEvent(f.ctx, id, PartyEventInput{Type: typ, List: list, SourceRef: "通市监信〔2025〕1号", EffectiveOn: d(on)})
	return err
}

func (f *fixture) mustCredit(id uuid.UUID, typ, list, on string) {
	f.t.Helper()
	if err := f.credit(id, typ, list, on); err != nil {
		f.t.Fatalf("%s %s on %s: %v", typ, list, on, err)
	}
}

func (f *fixture) listings(id uuid.UUID) []CreditListing {
	f.t.Helper()
	ls, err := f.s.CreditListings(f.ctx, []uuid.UUID{id}, true)
	if err != nil {
		f.t.Fatal(err)
	}
	return ls[id]
}

func TestCreditRecords(t *testing.T) {
	f := newFixture(t)
	p := f.party("150502")

	// Listing twice on the same list is refused; another list is another listing.
	f.mustCredit(p.ID, CreditListed, blacklist, "2025-03-10")
	wantCode(t, f.credit(p.ID, CreditListed, blacklist, "2025-04-01"), Conflict, "credit_already_listed")
	f.mustCredit(p.ID, CreditListed, "经营异常名录", "2025-04-01")

	// Removing what is not on is refused: a list never named, and one already removed.
	wantCode(t, f.credit(p.ID, CreditRemoved, "失信被执行人名单", "2025-05-01"), Conflict, "credit_not_listed")

	// A removal may fall on the listing's own day, not before it.
	wantCode(t, f.credit(p.ID, CreditRemoved, blacklist, "2025-03-09"), Invalid, "before_last_change")
	f.mustCredit(p.ID, CreditRemoved, blacklist, "2025-03-10")
	wantCode(t, f.credit(p.ID, CreditRemoved, blacklist, "2025-06-01"), Conflict, "credit_not_listed")

	// A new listing on that list starts on or after the last removal.
	wantCode(t, f.credit(p.ID, CreditListed, blacklist, "2025-03-09"), Invalid, "before_last_change")
	f.mustCredit(p.ID, CreditListed, blacklist, "2025-03-10")

	// Dates: today is the last day allowed.
	wantCode(t, f.credit(p.ID, CreditRemoved, blacklist, testToday.AddDays(1).String()), Invalid, "date_in_future")
	f.mustCredit(p.ID, CreditRemoved, blacklist, testToday.String())

	ls := f.listings(p.ID)
	if len(ls) != 3 || ls[0].List != blacklist || ls[0].RemovedOn != d("2025-03-10") || ls[1].List != "经营异常名录" || !ls[1].RemovedOn.IsZero() ||
		ls[2].ListedOn != d("2025-03-10") || ls[2].RemovedOn != testToday || ls[2].RemovedRef == "" {
		t.Fatalf("listings = %+v", ls)
	}
	if ls[0].On(d("2025-03-10")) || !ls[1].On(d("2025-04-01")) || ls[1].On(d("2025-03-31")) {
		t.Fatal("On: a listing holds from its date until the day of its removal, exclusive")
	}

	// Inputs.
	for _, c := range []struct {
		in   PartyEventInput
		code string
	}{
		{PartyEventInput{Type: CreditListed, SourceRef: "x"}, "list_required"},
		{PartyEventInput{Type: CreditListed, List: "  ", SourceRef: "x"}, "list_required"},
		{PartyEventInput{Type: CreditListed, List: blacklist}, "source_ref_required"},
		{PartyEventInput{Type: CreditListed, List: "a\x01b", SourceRef: "x"}, "text_invalid"},
		{PartyEventInput{Type: CreditListed, List: blacklist, SourceRef: "x", Name: "新名"}, "field_not_allowed"},
		{PartyEventInput{Type: "credit_suspended", List: blacklist, SourceRef: "x"}, "event_type_unknown"},
		{PartyEventInput{Type: "rename", Name: "新名", List: blacklist}, "field_not_allowed"},
		{PartyEventInput{Type: "move", RegionCode: "150525", SourceRef: "x"}, "field_not_allowed"},
	} {
		_, err := f.s.PartyEvent(f.ctx, p.ID, c.in)
		wantCode(t, err, Invalid, c.code)
	}
	_, err := f.s.PartyEvent(f.ctx, uuid.New(), PartyEventInput{Type: CreditListed, List: blacklist, SourceRef: "x"})
	wantCode(t, err, NotFound, "party_not_found")
	if n := len(f.listings(p.ID)); n != 3 {
		t.Fatalf("a refusal wrote a listing: %d", n)
	}

	// The list filter: parties on a list now, or on none.
	q := f.party("150502")
	for _, listed := range []bool{true, false} {
		ps, _, err := f.s.ListParties(f.ctx, PartyFilter{CreditListed: &listed})
		if err != nil {
			t.Fatal(err)
		}
		var got []uuid.UUID
		for _, x := range ps {
			if x.ID == p.ID || x.ID == q.ID {
				got = append(got, x.ID)
			}
		}
		want := q.ID
		if listed {
			want = p.ID
		}
		if len(got) != 1 || got[0] != want {
			t.Fatalf("credit_listed=%v: got %v, want %v", listed, got, want)
		}
	}
	f.rebuildMatches()
}

func TestPledgeWarnsOfListedPledgor(t *testing.T) {
	f := newPledgeFixture(t)
	in := f.input([]uuid.UUID{f.o1.ID}, f.inv.ID) // registered 2025-06-01

	// Listed the day after the registration date: no warning.
	f.mustCredit(f.o1.ID, CreditListed, blacklist, "2025-06-02")
	p := f.pledge(in)
	if len(p.Warnings) != 0 {
		t.Fatalf("warnings = %+v, want none (listed after the registration date)", p.Warnings)
	}
	f.pevent(p.ID, PledgeEventInput{Type: PledgeRelease, EffectiveOn: d("2025-06-01")})

	// Listed on the registration date: a warning naming the party and the list, and the pledge is recorded.
	f.mustCredit(f.o1.ID, CreditRemoved, blacklist, "2025-06-03")
	f.mustCredit(f.o1.ID, CreditListed, blacklist, "2025-06-03")
	in = f.input([]uuid.UUID{f.o1.ID}, f.inv.ID)
	in.RegisteredOn = d("2025-06-03")
	p = f.pledge(in)
	if len(p.Warnings) != 1 {
		t.Fatalf("warnings = %+v, want one", p.Warnings)
	}
	w := p.Warnings[0]
	if w.Code != "pledgor_credit_listed" || w.Ref != f.o1.ID.String() || w.Field != "pledgor_ids[0]" ||
		!strings.Contains(w.Message, blacklist) || !strings.Contains(w.Message, f.o1.Name) {
		t.Fatalf("warning = %+v", w)
	}
	if _, err := f.s.GetPledge(f.ctx, OfficeViewer(), p.ID); err != nil {
		t.Fatalf("the warned pledge is not recorded: %v", err)
	}
	f.pevent(p.ID, PledgeEventInput{Type: PledgeRelease, EffectiveOn: d("2025-06-03")})

	// Removed on the registration date: the removal holds that day, no warning.
	f.mustCredit(f.o1.ID, CreditRemoved, blacklist, "2025-06-10")
	in = f.input([]uuid.UUID{f.o1.ID}, f.inv.ID)
	in.RegisteredOn = d("2025-06-10")
	if p := f.pledge(in); len(p.Warnings) != 0 {
		t.Fatalf("warnings = %+v, want none (removed on the registration date)", p.Warnings)
	}
	f.rebuildMatches()
}
