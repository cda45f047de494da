package registry

import (
	"math/rand/v2"
	"strings"
	"testing"

	"ipledger/ledger/pgcopy"
	"ipledger/registry/ident"
	"ipledger/registry/term"
)

// TestSpanSummary: what span changes do to the indicator summaries, as the statement
// triggers of migrations 0005/0006 computed it (an inserted current span adds its day deltas at
// its known_from seq and to the counts; a closed one takes them back at its known_to seq),
// with the counts by year and month only since migration 0020.
func TestSpanSummary(t *testing.T) {
	d := term.MustParseDate
	s := span{Kind: ident.InventionPatent, Region: "150502", ValidFrom: d("2016-05-04"), ValidTo: d("2033-12-18"),
		HighValueFrom: d("2018-01-01")}
	const kind = "invention_patent"
	const hv = kind + "/high_value"

	t.Run("insert", func(t *testing.T) {
		m := newSpanSummary()
		m.add(s, 5, 1)
		want := map[logKey]int64{
			{5, "150502", kind, d("2016-05-04")}: 1, {5, "150502", kind, d("2033-12-18")}: -1,
			{5, "150502", hv, d("2018-01-01")}: 1, {5, "150502", hv, d("2033-12-18")}: -1,
		}
		if len(m.log) != len(want) {
			t.Fatalf("log = %v, want %v", m.log, want)
		}
		for k, v := range want {
			if m.log[k] != v {
				t.Errorf("log %v = %d, want %d", k, m.log[k], v)
			}
		}
		for _, c := range []struct {
			k countKey
			v int64
		}{
			{countKey{"150502", 'y', d("2016-01-01"), kind}, 1},
			{countKey{"150502", 'm', d("2016-05-01"), kind}, 1},
			{countKey{"150502", 'y', d("2033-01-01"), kind}, -1},
			{countKey{"150502", 'm', d("2033-12-01"), hv}, -1},
			{countKey{"150502", 'm', d("2018-01-01"), hv}, 1},
		} {
			if got := m.counts[c.k]; got != c.v {
				t.Errorf("count %v = %d, want %d", c.k, got, c.v)
			}
		}
		if len(m.counts) != 8 {
			t.Errorf("counts = %v, want 8 keys (4 days × year and month; the days are the log's)", m.counts)
		}
	})

	t.Run("well_known and foreign_family end with the span", func(t *testing.T) {
		m := newSpanSummary()
		mark := span{Kind: ident.Trademark, Region: "150502", ValidFrom: d("2014-03-07"), WellKnownFrom: d("2020-01-01")}
		m.add(mark, 3, 1)
		if got := len(m.log); got != 2 { // valid_from and well_known_from; no valid_to
			t.Fatalf("log = %v, want 2 rows", m.log)
		}
		if m.log[logKey{3, "150502", "trademark/well_known", d("2020-01-01")}] != 1 {
			t.Errorf("log = %v", m.log)
		}
	})

	t.Run("a span closed and added again at one seq nets to nothing", func(t *testing.T) {
		m := newSpanSummary()
		m.add(s, 7, -1)
		m.add(s, 7, 1)
		for _, copied := range []bool{false, true} {
			var q strings.Builder
			var args []any
			var log *pgcopy.Rows
			if copied {
				log = &pgcopy.Rows{}
			}
			m.statements(log, &q, &args)
			if q.Len() != 0 || len(args) != 0 || copied && log.Len() != 0 {
				t.Fatalf("statements for no net change (copied %v): %q %v", copied, q.String(), args)
			}
		}
	})

	t.Run("rows go in the tables' key order", func(t *testing.T) {
		m := newSpanSummary()
		r := rand.New(rand.NewPCG(13, 1))
		regions := []string{"150502", "150525", "150102"}
		for range 200 {
			x := s
			x.Region = regions[r.IntN(len(regions))]
			x.ValidFrom = d("2010-01-01").AddDays(r.IntN(4000))
			x.ValidTo = x.ValidFrom.AddDays(1 + r.IntN(6000))
			x.HighValueFrom = term.Date{}
			if r.IntN(2) == 0 {
				x.HighValueFrom = x.ValidFrom.AddDays(r.IntN(300))
			}
			m.add(x, int64(1+r.IntN(50)), int64(1-2*r.IntN(2)))
		}
		lk, ck := m.logKeys(), m.countKeys()
		nl, nc := 0, 0
		for _, v := range m.log {
			if v != 0 {
				nl++
			}
		}
		for _, v := range m.counts {
			if v != 0 {
				nc++
			}
		}
		if len(lk) != nl || len(ck) != nc {
			t.Fatalf("keys: %d log, %d counts; want the %d and %d non-zero ones", len(lk), len(ck), nl, nc)
		}
		for i := 1; i < len(lk); i++ {
			a, b := lk[i-1], lk[i]
			if !(a.seq < b.seq || a.seq == b.seq && (a.region < b.region || a.region == b.region &&
				(a.metric < b.metric || a.metric == b.metric && a.day.Before(b.day)))) {
				t.Fatalf("log rows %v then %v: not in (seq, region_code, metric, day) order", a, b)
			}
		}
		for i := 1; i < len(ck); i++ {
			a, b := ck[i-1], ck[i]
			if !(a.region < b.region || a.region == b.region && (a.grain < b.grain || a.grain == b.grain &&
				(a.period.Before(b.period) || a.period == b.period && a.metric < b.metric))) {
				t.Fatalf("counts %v then %v: not in (region_code, grain, period, metric) order", a, b)
			}
		}
	})

	t.Run("a move between units at one seq", func(t *testing.T) {
		m := newSpanSummary()
		moved := s
		moved.Region = "150525"
		m.add(s, 9, -1)
		m.add(moved, 9, 1)
		if got := m.log[logKey{9, "150502", kind, d("2016-05-04")}]; got != -1 {
			t.Errorf("old unit's log = %d, want -1", got)
		}
		if got := m.log[logKey{9, "150525", kind, d("2016-05-04")}]; got != 1 {
			t.Errorf("new unit's log = %d, want 1", got)
		}
		if got := m.counts[countKey{"150502", 'y', d("2016-01-01"), kind}]; got != -1 {
			t.Errorf("old unit's count = %d, want -1", got)
		}
		if m.hi != 9 {
			t.Errorf("hi = %d, want 9", m.hi)
		}
	})
}

func TestDateArray(t *testing.T) {
	var a dateArray
	if got := a.String(); got != "{}" {
		t.Errorf("empty = %q", got)
	}
	a.add(term.MustParseDate("2016-05-04"))
	a.add(term.Date{})
	if got, want := a.String(), "{2016-05-04,NULL}"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
