package registry

import (
	"reflect"
	"slices"
	"testing"

	"github.com/google/uuid"
	"pgregory.net/rapid"

	"ipledger/registry/ident"
	"ipledger/registry/term"
)

// TestTimelineAgreesWithSpans checks, over random histories, that the spans the indicators
// count and the as-of view the API shows are the same fold: on every day, an asset is inside
// a span exactly when it counts, in the span's region, high-value exactly from the span's
// high_value_from; spans are ordered and disjoint.
func TestTimelineAgreesWithSpans(t *testing.T) {
	kinds := []ident.Kind{ident.InventionPatent, ident.UtilityModel, ident.DesignPatent, ident.Trademark, ident.PlantVariety, ident.SoftwareCopyright}
	types := []string{EventGrant, EventRenew, EventLapse, EventRestore, EventInvalidate, EventSetRegion, EventTransfer, EventForeignFamily, EventAward, EventDesignate, EventWellKnown}
	units := []string{"150502", "150521", "150571"}
	base := term.New(2000, 1, 1)
	rapid.Check(t, func(rt *rapid.T) {
		kind := rapid.SampledFrom(kinds).Draw(rt, "kind")
		filed := base.AddDays(rapid.IntRange(0, 9000).Draw(rt, "filed"))
		f := facts{Kind: kind, FiledOn: filed, Region: units[0], Owners: []uuid.UUID{uuid.Nil}}
		if rapid.Bool().Draw(rt, "granted") {
			f.GrantedOn = filed.AddDays(rapid.IntRange(0, 2000).Draw(rt, "grant"))
		}
		if kind == ident.PlantVariety && rapid.Bool().Draw(rt, "tree") {
			f.Attrs.Category = CategoryTreeVine
		}
		n := rapid.IntRange(0, 8).Draw(rt, "n")
		var evs []event
		for i := 0; i < n; i++ {
			e := event{Seq: int64(i + 1), Type: rapid.SampledFrom(types).Draw(rt, "type"),
				EffectiveOn: filed.AddDays(rapid.IntRange(0, 12000).Draw(rt, "on"))}
			if e.Type == EventSetRegion || e.Type == EventTransfer {
				e.Data.RegionCode = rapid.SampledFrom(units).Draw(rt, "region")
				e.Data.OwnerIDs = []uuid.UUID{uuid.Nil}
			}
			evs = append(evs, e)
		}
		sortEvents(evs)
		var fin []financing
		if rapid.Bool().Draw(rt, "pledged") {
			fin = append(fin, financing{On: filed.AddDays(rapid.IntRange(0, 9000).Draw(rt, "fin")), AmountFen: 2_000_000_000})
		}
		pol := policy{terms: term.DefaultParams(), thresholdFen: 1_000_000_000,
			concordance: []ConcordanceRow{{IPCPrefix: "H01M", Industry: "x"}}}
		if rapid.Bool().Draw(rt, "ipc") {
			f.Attrs.IPC = []string{"H01M10/0525"}
		}
		tl := fold(f, evs, pol, fin)
		spans := tl.spans()
		for i, s := range spans {
			if !s.ValidTo.IsZero() && !s.ValidFrom.Before(s.ValidTo) {
				rt.Fatalf("span %d empty: %+v", i, s)
			}
			if i > 0 && (spans[i-1].ValidTo.IsZero() || s.ValidFrom.Before(spans[i-1].ValidTo)) {
				rt.Fatalf("spans %d and %d overlap: %+v", i-1, i, spans)
			}
			if i > 0 && spans[i-1].ValidTo == s.ValidFrom && spans[i-1].Region == s.Region {
				rt.Fatalf("spans %d and %d not maximal: %+v", i-1, i, spans)
			}
		}
		for k := 0; k < 40; k++ {
			day := filed.AddDays(rapid.IntRange(-10, 16000).Draw(rt, "day"))
			st := tl.at(day)
			var in *span
			for i := range spans {
				s := &spans[i]
				if !day.Before(s.ValidFrom) && (s.ValidTo.IsZero() || day.Before(s.ValidTo)) {
					in = s
				}
			}
			if got, want := in != nil, st.Counts; got != want {
				rt.Fatalf("day %s: in a span = %v, counts = %v (spans %+v)", day, got, want, spans)
			}
			if kind != ident.PlantVariety && kind != ident.SoftwareCopyright && st.Counts != st.Valid {
				rt.Fatalf("day %s: counts = %v but valid = %v (%s)", day, st.Counts, st.Valid, st.Status)
			}
			if st.Valid && !st.Counts {
				rt.Fatalf("day %s: valid but not counted", day)
			}
			if in == nil {
				continue
			}
			if got, want := in.Region, st.Region; got != want {
				rt.Fatalf("day %s: span region %s, as-of region %s", day, got, want)
			}
			hv := !in.HighValueFrom.IsZero() && !day.Before(in.HighValueFrom)
			if hv != st.HighValue {
				rt.Fatalf("day %s: span high-value %v, as-of %v (criteria %v, span %+v)", day, hv, st.HighValue, st.Criteria, *in)
			}
		}
	})
}

// TestFoldSortsItsInput checks that fold takes events and financing in any order: a shuffled
// history folds to the same timeline as the one in (effective_on, seq) order, and the
// caller's slices are left as passed. Events of one day keep their seq order, financing of
// one day its input order.
func TestFoldSortsItsInput(t *testing.T) {
	types := []string{EventGrant, EventRenew, EventLapse, EventRestore, EventInvalidate, EventSetRegion, EventTransfer, EventForeignFamily, EventAward, EventDesignate, EventWellKnown}
	units := []string{"150502", "150521", "150571"}
	rapid.Check(t, func(rt *rapid.T) {
		filed := term.New(2000, 1, 1).AddDays(rapid.IntRange(0, 9000).Draw(rt, "filed"))
		f := facts{Kind: rapid.SampledFrom([]ident.Kind{ident.InventionPatent, ident.Trademark, ident.PlantVariety}).Draw(rt, "kind"),
			FiledOn: filed, Region: units[0], Owners: []uuid.UUID{uuid.Nil}}
		var evs []event
		for i := range rapid.IntRange(0, 10).Draw(rt, "n") {
			// Few distinct days, so that one day often holds several events.
			e := event{Seq: int64(i + 1), Type: rapid.SampledFrom(types).Draw(rt, "type"),
				EffectiveOn: filed.AddDays(400 * rapid.IntRange(0, 6).Draw(rt, "on"))}
			if e.Type == EventSetRegion || e.Type == EventTransfer {
				e.Data.RegionCode = rapid.SampledFrom(units).Draw(rt, "region")
				e.Data.OwnerIDs = []uuid.UUID{uuid.New()}
			}
			evs = append(evs, e)
		}
		var fin []financing
		for range rapid.IntRange(0, 4).Draw(rt, "fins") {
			fin = append(fin, financing{On: filed.AddDays(500 * rapid.IntRange(0, 5).Draw(rt, "fin")), AmountFen: 400_000_000, ShareFen: 200_000_000})
		}
		sorted, sortedFin := slices.Clone(evs), slices.Clone(fin)
		sortEvents(sorted)
		slices.SortStableFunc(sortedFin, func(a, b financing) int { return a.On.Compare(b.On) })
		shuffled := rapid.Permutation(evs).Draw(rt, "shuffled")
		shuffledFin := rapid.Permutation(fin).Draw(rt, "shuffledFin")
		passed, passedFin := slices.Clone(shuffled), slices.Clone(shuffledFin)
		pol := policy{terms: term.DefaultParams(), thresholdFen: 1_000_000_000, allocation: AllocationEqualShare}

		want, got := fold(f, sorted, pol, sortedFin), fold(f, shuffled, pol, shuffledFin)
		if !reflect.DeepEqual(got, want) {
			rt.Fatalf("shuffled input folds to\n%+v\nsorted input to\n%+v", got, want)
		}
		if !reflect.DeepEqual(got.spans(), want.spans()) {
			rt.Fatalf("spans differ: %+v, %+v", got.spans(), want.spans())
		}
		if !slices.EqualFunc(shuffled, passed, func(a, b event) bool { return reflect.DeepEqual(a, b) }) || !slices.Equal(shuffledFin, passedFin) {
			rt.Fatalf("fold reordered its caller's slices")
		}
	})
}

func sortEvents(evs []event) { slices.SortStableFunc(evs, eventOrder) }
