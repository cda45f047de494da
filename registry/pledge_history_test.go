package registry

import (
	"testing"

	"github.com/google/uuid"
)

// TestFinishedPledgesByPeriod: a pledge that has already ended is recorded in one write (its
// registration and its release, each on its own date), and a right may be in two pledges only
// when their periods [registered_on, released_on) do not overlap, in whatever order they are
// recorded.
func TestFinishedPledgesByPeriod(t *testing.T) {
	f := newPledgeFixture(t)
	o1 := []uuid.UUID{f.o1.ID}
	right := f.patent("2015-01-01", f.o1.ID)
	finished := func(reg, rel, ends string) PledgeInput {
		in := f.input(o1, right.ID)
		in.RegisteredOn, in.ReleasedOn, in.EndsOn = d(reg), d(rel), d(ends)
		return in
	}
	before := f.head()
	later := f.pledge(finished("2022-04-01", "2023-04-01", "2024-03-31"))
	if later.Status != PledgeReleased || later.EndedOn != d("2023-04-01") || later.Assets[0].Active || later.Assets[0].ReleasedOn != d("2023-04-01") {
		t.Fatalf("a finished pledge: %+v", later)
	}
	es, err := f.s.PledgeChanges(f.ctx, OfficeViewer(), before, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 2 || es[0].Kind != kindPledgeRegistered || es[1].Kind != kindPledgeReleased ||
		es[0].EffectiveDate() != "2022-04-01" || es[1].EffectiveDate() != "2023-04-01" {
		t.Fatalf("entries: %+v", es)
	}
	// Recorded after it, an earlier pledge of the same right that ended before it began.
	earlier := f.pledge(finished("2021-03-01", "2022-03-01", "2022-03-01"))
	if read, err := f.s.GetPledge(f.ctx, OfficeViewer(), earlier.ID); err != nil || read.Status != PledgeReleased || read.EndedOn != d("2022-03-01") {
		t.Fatalf("read: %+v %v", read, err)
	}
	// One overlapping the later one is refused naming it; nothing is written.
	head := f.head()
	_, err = f.s.RegisterPledge(f.ctx, finished("2023-01-01", "2023-06-01", "2024-01-01"))
	if de := wantCode(t, err, Conflict, "asset_pledged"); de.Ref != later.ID.String() || de.Field != "asset_ids[0]" {
		t.Fatalf("refusal: %+v", de)
	}
	_, err = f.s.RegisterPledge(f.ctx, finished("2021-06-01", "2021-07-01", "2022-01-01"))
	if de := wantCode(t, err, Conflict, "asset_pledged"); de.Ref != earlier.ID.String() {
		t.Fatalf("refusal: %+v", de)
	}
	if f.head() != head {
		t.Fatal("a refused registration wrote")
	}
	// Periods are half-open: an open pledge from the day the later one was released fits, and
	// then a backdated open one (running to infinity) overlaps it and is refused naming it.
	in := f.input(o1, right.ID)
	in.RegisteredOn = d("2023-04-01")
	open := f.pledge(in)
	in = f.input(o1, right.ID)
	in.RegisteredOn = d("2020-01-01")
	_, err = f.s.RegisterPledge(f.ctx, in)
	if de := wantCode(t, err, Conflict, "asset_pledged"); de.Ref != open.ID.String() {
		t.Fatalf("refusal: %+v", de)
	}
	// Still recordable while the right is pledged: a finished pledge before all of them.
	f.pledge(finished("2019-01-01", "2020-01-01", "2020-06-01"))
	// A release is on or after the registration and not after today.
	in = finished("2018-01-01", "2017-12-31", "2018-06-01")
	_, err = f.s.RegisterPledge(f.ctx, in)
	if de := wantCode(t, err, Invalid, "before_last_change"); de.Field != "released_on" {
		t.Fatalf("refusal: %+v", de)
	}
	in = finished("2018-01-01", testToday.AddDays(1).String(), "2030-01-01")
	_, err = f.s.RegisterPledge(f.ctx, in)
	if de := wantCode(t, err, Invalid, "date_in_future"); de.Field != "released_on" {
		t.Fatalf("refusal: %+v", de)
	}
	// Two finished pledges of one right in one batch, and the financing of each counted once.
	other := f.patent("2015-02-02", f.o1.ID)
	a, b := f.input(o1, other.ID), f.input(o1, other.ID)
	a.RegisteredOn, a.ReleasedOn, a.EndsOn, a.Amount = d("2021-01-01"), d("2021-06-01"), d("2021-06-01"), "1000000.00"
	b.RegisteredOn, b.ReleasedOn, b.EndsOn, b.Amount = d("2021-06-01"), d("2021-12-01"), d("2021-12-01"), "2000000.00"
	res, err := f.s.RegisterPledges(f.ctx, []PledgeInput{a, b})
	if err != nil || res[0].Err != nil || res[1].Err != nil {
		t.Fatalf("batch: %+v %v", res, err)
	}
	rows, err := f.s.FinancingByYearRegion(f.ctx, d("2021-01-01"), d("2021-12-31"), 0)
	if err != nil || len(rows) != 1 || rows[0].Amount != 1_000_000_00+2_000_000_00+5_000_000_00 || rows[0].Registrations != 3 {
		t.Fatalf("2021 financing: %+v %v", rows, err)
	}
	f.rebuildMatches()
}
