package indicator

import (
	"math/big"
	"testing"
	"time"

	"github.com/google/uuid"

	"ipledger/registry"
	"ipledger/registry/ident"
)

func TestRounding(t *testing.T) {
	for _, c := range []struct {
		n, d  int64
		scale int
		want  string
	}{
		{1, 3, 4, "0.3333"}, {2, 3, 4, "0.6667"}, {5, 100000, 4, "0.0001"}, {4, 100000, 4, "0.0000"},
		{-5, 100000, 4, "-0.0001"}, {-4, 100000, 4, "0.0000"}, {12345, 100, 1, "123.5"}, {-12345, 100, 1, "-123.5"},
		{7, 1, 2, "7.00"}, {0, 1, 0, "0"},
	} {
		if got := roundHalfAway(big.NewRat(c.n, c.d), c.scale); got != c.want {
			t.Errorf("roundHalfAway(%d/%d, %d) = %s, want %s", c.n, c.d, c.scale, got, c.want)
		}
	}
	if got := roundUp(big.NewRat(18120, 1), 0); got != "18120" {
		t.Errorf("roundUp = %s", got)
	}
	if got := roundUp(big.NewRat(14808, 10), 0); got != "1481" {
		t.Errorf("roundUp = %s", got)
	}
	if got := fenString(big.NewInt(15_000_000_000)); got != "150000000.00" {
		t.Errorf("fenString = %s", got)
	}
	if got := fenString(big.NewInt(5)); got != "0.05" {
		t.Errorf("fenString = %s", got)
	}
}

func TestCompute(t *testing.T) {
	f := newFixture(t)
	a := f.party("150502", registry.Enterprise)
	b := f.party("150571", registry.Enterprise)
	bank := f.party("150502", registry.Bank)
	inv := func(serial int, owner uuid.UUID, filed, granted string) registry.Asset {
		return f.asset(registry.AssetInput{Kind: ident.InventionPatent, Number: patentNo(2019, '1', serial), Title: "发明",
			OwnerIDs: []uuid.UUID{owner}, FiledOn: d(filed), GrantedOn: d(granted)})
	}
	p1 := inv(1, a.ID, "2019-03-01", "2021-05-10")
	inv(2, b.ID, "2019-04-01", "2022-01-10")
	tm := f.asset(registry.AssetInput{Kind: ident.Trademark, Number: "30000001", Title: "科尔沁", OwnerIDs: []uuid.UUID{a.ID}, GrantedOn: d("2015-06-01")})
	f.asset(registry.AssetInput{Kind: ident.GICertificationMark, Number: "30000002", Title: "通辽黄玉米", OwnerIDs: []uuid.UUID{b.ID}, GrantedOn: d("2016-01-01")})
	mid := time.Now()
	time.Sleep(5 * time.Millisecond)
	// A backdated lapse recorded after "mid".
	if _, err := f.reg.AssetEvent(f.ctx, p1.ID, registry.EventInput{Type: registry.EventLapse, EffectiveOn: d("2022-06-01")}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.reg.AssetEvent(f.ctx, tm.ID, registry.EventInput{Type: registry.EventWellKnown, EffectiveOn: d("2020-01-01")}); err != nil {
		t.Fatal(err)
	}
	pl, err := f.reg.RegisterPledge(f.ctx, registry.PledgeInput{PledgorIDs: []uuid.UUID{a.ID}, AssetIDs: []uuid.UUID{tm.ID}, Amount: "3000000.00",
		ContractNo: "C-1", RegisteredOn: d("2023-03-01"), EndsOn: d("2024-03-01"), PledgeeID: bank.ID})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.reg.PledgeEvent(f.ctx, registry.OfficeViewer(), pl.ID, registry.PledgeEventInput{Type: registry.PledgeAmend, EffectiveOn: d("2023-04-01"), Amount: "4000000.50"}); err != nil {
		t.Fatal(err)
	}

	t.Run("Counts", func(t *testing.T) {
		r := f.compute("150500", "2022-03-01", time.Time{})
		for code, want := range map[string]string{
			ValidInventionPatents: "2", ValidTrademarks: "2", GIMarks: "1", WellKnownMarks: "1",
			HighValueInventionPatents: "0", PledgeAmountPeriod: "0.00",
		} {
			if got := r.get(code).str(); got != want {
				t.Errorf("%s = %s, want %s", code, got, want)
			}
		}
		if r.Population == nil || r.Population.Year != 2022 || r.Population.Residents != 2_834_600 {
			t.Errorf("population = %+v", r.Population)
		}
		// 2 / 283.46 = 0.0070556...
		if got := r.get(ValidInventionPatentsPer10k).str(); got != "0.0071" {
			t.Errorf("per 10k = %s", got)
		}
		if got := f.compute("150500", "2022-07-01", time.Time{}).get(ValidInventionPatents).str(); got != "1" {
			t.Errorf("after the lapse: %s, want 1", got)
		}
	})
	t.Run("KnownAt", func(t *testing.T) {
		r := f.compute("150500", "2022-07-01", mid)
		if got := r.get(ValidInventionPatents).str(); got != "2" {
			t.Errorf("as known before the lapse was recorded: %s, want 2", got)
		}
		if got := r.get(WellKnownMarks).str(); got != "0" {
			t.Errorf("well-known as known before: %s, want 0", got)
		}
		if r.KnownAt == nil || r.KnownSeq <= 0 {
			t.Errorf("known_at %v seq %d", r.KnownAt, r.KnownSeq)
		}
		r0 := f.compute("150500", "2022-07-01", time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC))
		if r0.KnownSeq != 0 || r0.Population != nil || r0.get(ValidInventionPatentsPer10k).Value != nil {
			t.Errorf("before anything was recorded: seq %d population %v", r0.KnownSeq, r0.Population)
		}
	})
	t.Run("Units", func(t *testing.T) {
		r := f.compute("150571", "2022-03-01", time.Time{})
		if got := r.get(ValidInventionPatents).str(); got != "1" {
			t.Errorf("150571 = %s", got)
		}
		if r.Population == nil || r.Population.Year != 2020 || r.Population.Residents != 203_100 {
			t.Errorf("unit population = %+v", r.Population)
		}
		if _, err := f.ind.Compute(f.ctx, "150000", d("2022-01-01"), time.Time{}); err == nil {
			t.Error("unknown region accepted")
		} else if de, ok := registry.AsError(err); !ok || de.Code != "region_unknown" || de.Field != "query.region" {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("Pledges", func(t *testing.T) {
		r := f.compute("150500", "2023-12-31", time.Time{})
		for code, want := range map[string]string{
			PledgeAmountPeriod: "4000000.50", PledgeAmountYear: "4000000.50", PledgeCountYear: "1", PledgedEnterprisesYear: "1",
		} {
			if got := r.get(code).str(); got != want {
				t.Errorf("%s = %s, want %s", code, got, want)
			}
		}
		g := r.get(PledgeGrowthYoY)
		if g.Value != nil || g.Note == "" {
			t.Errorf("growth over zero = %+v", g)
		}
		y := r.get(PledgeAmountYear)
		if y.Target == nil || y.Target.Value != "20000000.00" || y.Status != StatusBehind || *y.Progress != "0.2000" {
			t.Errorf("year target = %+v %v %v", y.Target, y.Status, y.Progress)
		}
		if got := f.compute("150500", "2024-03-01", time.Time{}).get(PledgeAmountYear).Target; got != nil {
			t.Errorf("a 2023 target shown for 2024: %+v", got)
		}
		r24 := f.compute("150502", "2024-04-01", time.Time{})
		if got := r24.get(PledgeGrowthYoY).str(); got != "-100.00" {
			t.Errorf("growth 2024 = %s", got)
		}
	})
	t.Run("Targets", func(t *testing.T) {
		r := f.compute("150500", "2023-06-30", time.Time{})
		vt := r.get(ValidTrademarks)
		if vt.Baseline == nil || vt.Baseline.Value != "15100" || vt.Target == nil || vt.Target.Value != "20000" || vt.Status != StatusBehind {
			t.Errorf("valid_trademarks = %+v %+v %s", vt.Baseline, vt.Target, vt.Status)
		}
		vip := r.get(ValidInventionPatents)
		if vip.Target != nil || vip.Note == "" {
			t.Errorf("relative target without baseline = %+v note %q", vip.Target, vip.Note)
		}
		if _, err := f.ind.SetBaseline(f.ctx, BaselineInput{Code: ValidInventionPatents, RegionCode: "150500", Value: "1"}); err != nil {
			t.Fatal(err)
		}
		vip = f.compute("150500", "2023-06-30", time.Time{}).get(ValidInventionPatents)
		// ceil(1 × 1.2) = 2; value 1 (p1 lapsed) → behind; projection from 1 at end-2020 stays 1.
		if vip.Target == nil || vip.Target.Value != "2" || vip.Target.Stated != "+20.00%" || vip.Status != StatusBehind {
			t.Errorf("relative target = %+v %s", vip.Target, vip.Status)
		}
		hv := r.get(HighValueInventionPatentsPer10k)
		if hv.Target == nil || hv.Target.Value != "0.5500" || hv.Target.Due != d("2023-12-31") {
			t.Errorf("hv per 10k target = %+v", hv.Target)
		}
		if got := f.compute("150500", "2024-06-30", time.Time{}).get(HighValueInventionPatentsPer10k).Target; got == nil || got.Value != "0.6000" {
			t.Errorf("hv per 10k 2024 target = %+v", got)
		}
		// The plan's GI targets count new registrations; the 16 certification marks stay a baseline.
		if gm := r.get(GIMarks); gm.Target != nil || gm.Baseline == nil || gm.Baseline.Value != "16" {
			t.Errorf("gi marks target %+v baseline %+v, want no target, baseline 16", gm.Target, gm.Baseline)
		}
		if gm := r.get(GIMarksNewPeriod); gm.Target == nil || gm.Target.Value != "10" || gm.Target.Due != d("2025-12-31") {
			t.Errorf("new gi marks target = %+v (note %q)", gm.Target, gm.Note)
		}
		if gm := r.get(GIMarksNewYear); gm.Target == nil || gm.Target.Value != "7" || gm.Target.Due != d("2023-12-31") {
			t.Errorf("new gi marks 2023 target = %+v (note %q)", gm.Target, gm.Note)
		}
	})
	t.Run("Population", func(t *testing.T) {
		before := time.Now()
		time.Sleep(5 * time.Millisecond)
		if _, err := f.ind.RecordPopulation(f.ctx, PopulationInput{RegionCode: "150500", Year: 2022, Residents: 2_800_000}); err != nil {
			t.Fatal(err)
		}
		if got := f.compute("150500", "2023-01-01", time.Time{}).Population; got.Residents != 2_800_000 {
			t.Errorf("corrected population = %+v", got)
		}
		if got := f.compute("150500", "2023-01-01", before).Population; got.Residents != 2_834_600 {
			t.Errorf("population as known before = %+v", got)
		}
	})
	t.Run("SeedIdempotent", func(t *testing.T) {
		var n1, n2 int
		f.db.App.QueryRowContext(f.ctx, `SELECT count(*) FROM ledger.entries`).Scan(&n1)
		if err := f.ind.Seed(f.ctx); err != nil {
			t.Fatal(err)
		}
		f.db.App.QueryRowContext(f.ctx, `SELECT count(*) FROM ledger.entries`).Scan(&n2)
		if n1 != n2 {
			t.Errorf("seed wrote %d entries again", n2-n1)
		}
	})
	t.Run("Series", func(t *testing.T) {
		s, err := f.ind.Series(f.ctx, ValidInventionPatents, "150500", 2021, 2026, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, p := range s.Items {
			got = append(got, *p.Value)
		}
		if want := []string{"1", "1", "1", "1", "1", "1"}; len(got) != 6 || got[0] != "1" || !s.Items[5].Partial {
			t.Errorf("series = %v, want %v", got, want)
		}
	})
	t.Run("SummaryMatchesSpans", func(t *testing.T) { checkSummary(t, f) })
	t.Run("KnownAtFarFromBothEnds", func(t *testing.T) {
		want := f.compute("150500", "2022-07-01", mid)
		defer func(n int64) { naiveAbove = n }(naiveAbove)
		naiveAbove = 0
		got := f.compute("150500", "2022-07-01", mid)
		for i, v := range got.Indicators {
			if v.str() != want.Indicators[i].str() {
				t.Errorf("%s = %s through the spans, %s through the log", v.Code, v.str(), want.Indicators[i].str())
			}
		}
	})
	t.Run("Rebuild", func(t *testing.T) {
		before := snapshotTables(t, f)
		if err := f.ind.Rebuild(f.ctx); err != nil {
			t.Fatal(err)
		}
		if err := f.reg.Rebuild(f.ctx); err != nil {
			t.Fatal(err)
		}
		after := snapshotTables(t, f)
		for k := range before {
			if before[k] != after[k] {
				t.Errorf("%s differs after rebuild", k)
			}
		}
		checkSummary(t, f)
	})
}

func snapshotTables(t *testing.T, f *fixture) map[string]string {
	out := map[string]string{}
	for _, tb := range []string{"registry.population", "registry.targets", "registry.baselines"} {
		var s string
		if err := f.db.App.QueryRowContext(f.ctx, `SELECT coalesce(string_agg(r, E'\n' ORDER BY r), '') FROM (SELECT row_to_json(t)::text r FROM `+tb+` t) x`).Scan(&s); err != nil {
			t.Fatal(err)
		}
		out[tb] = s
	}
	return out
}

// checkSummary compares the summary written with the spans with counting registry.asset_spans
// directly, on a few dates and seqs.
func checkSummary(t *testing.T, f *fixture) {
	t.Helper()
	var head int64
	f.db.App.QueryRowContext(f.ctx, `SELECT seq FROM ledger.head`).Scan(&head)
	units := []string{"150502", "150521", "150522", "150523", "150524", "150525", "150526", "150571", "150581"}
	for _, day := range []string{"2012-01-01", "2019-12-31", "2021-05-10", "2022-06-01", "2023-04-01", "2026-03-01"} {
		for _, k := range []int64{head / 3, head / 2, head - 1, head} {
			tx, _ := f.db.App.BeginTx(f.ctx, nil)
			sc := scope{region: "150500", units: units, k: k, head: head}
			got, err := spanCounts(f.ctx, tx, sc, d(day))
			if err != nil {
				t.Fatal(err)
			}
			want, err := naiveCounts(f.ctx, tx, sc, d(day))
			tx.Rollback()
			if err != nil {
				t.Fatal(err)
			}
			for m, n := range want {
				if got[m] != n {
					t.Errorf("%s at seq %d: %s = %d, want %d", day, k, m, got[m], n)
				}
			}
			for m, n := range got {
				if want[m] != n {
					t.Errorf("%s at seq %d: %s = %d, want %d (naive)", day, k, m, n, want[m])
				}
			}
		}
	}
}
