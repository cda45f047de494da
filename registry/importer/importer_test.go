package importer_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"ipledger/migrations/dbtest"
	"ipledger/registry"
	"ipledger/registry/importer"
	"ipledger/registry/registrytest"
	"ipledger/registry/term"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

var today = term.New(2026, 3, 1)

// exampleOwners are the parties docs/examples/assets.csv names.
var exampleOwners = []struct{ uscc, region string }{
	{"91150502MA0Q1XY3RT", "150502"},
	{"12150500460123456X", "150523"},
	{"91150581MA13ABCD2Q", "150581"},
}

func setup(t testing.TB) (*registry.Service, context.Context) {
	t.Helper()
	s, ctx := newService(t)
	for i, o := range exampleOwners {
		if _, _, err := s.RegisterParty(ctx, registry.PartyInput{Name: fmt.Sprintf("示例单位%d", i), Kind: registry.Enterprise, USCC: o.uscc, RegionCode: o.region}); err != nil {
			t.Fatal(err)
		}
	}
	return s, ctx
}

func TestImportExample(t *testing.T) {
	s, ctx := setup(t)
	im := importer.New(s)
	file, err := os.ReadFile("../../docs/examples/assets.csv")
	if err != nil {
		t.Fatal(err)
	}
	var calls []string
	rep, err := im.Import(ctx, bytes.NewReader(file), "csv", func(done, total int) { calls = append(calls, fmt.Sprintf("%d/%d", done, total)) })
	if err != nil {
		t.Fatal(err)
	}
	t.Run("AllAdded", func(t *testing.T) {
		if got, want := fmt.Sprintf("%d %d %d %d", rep.Rows, rep.Added, rep.Unchanged, rep.Failed), "11 11 0 0"; got != want {
			t.Fatalf("rows added unchanged failed = %s, want %s (errors %+v)", got, want, rep.Errors)
		}
		if got, want := calls[len(calls)-1], "11/11"; got != want {
			t.Fatalf("last progress = %s, want %s", got, want)
		}
	})
	t.Run("SecondImportAddsNothing", func(t *testing.T) {
		rep, err := im.Import(ctx, bytes.NewReader(file), "csv", nil)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := fmt.Sprintf("%d %d %d %d", rep.Rows, rep.Added, rep.Unchanged, rep.Failed), "11 0 11 0"; got != want {
			t.Fatalf("rows added unchanged failed = %s, want %s (errors %+v)", got, want, rep.Errors)
		}
		all, _, err := s.ListAssets(ctx, registry.AssetFilter{Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := len(all), 11; got != want {
			t.Fatalf("assets = %d, want %d", got, want)
		}
	})
	t.Run("RegionDefaultAndExplicit", func(t *testing.T) {
		pv, _, err := s.ListAssets(ctx, registry.AssetFilter{Q: "通辽杨"})
		if err != nil || len(pv) != 1 {
			t.Fatalf("plant variety: %v %d", err, len(pv))
		}
		if got, want := pv[0].RegionCode+" "+pv[0].DisplayNumber, "150523 CNA20191006012"; got != want {
			t.Fatalf("plant variety = %q, want %q", got, want)
		}
	})
}

func TestImportRowErrors(t *testing.T) {
	s, ctx := setup(t)
	im := importer.New(s)
	im.BatchSize = 3 // several writes
	const owner = "91150502MA0Q1XY3RT"
	csv := strings.Join([]string{
		"Kind,Number,Title,Owners,Filed_On,Granted_On,IPC",
		"invention_patent,ZL2013106997442,好的," + owner + ",2013-12-18,2016-05-04,H01M10/0525", // 2
		"invention_patent,ZL2013106997443,校验位错," + owner + ",2013-12-18,2016-05-04,",          // 3
		"invention_patent,201810123456.5,无主,91150502MA0Q1XY3R0,2018-03-02,,",                  // 4: uscc check wrong, unknown
		"trademark,7654321,日期坏," + owner + ",,2014-13-01,",                                    // 5
		"", // 6: blank
		"trademark,7654321,好商标," + owner + ",,2014-03-07,",                   // 7
		"trademark,7654321,不同数据," + owner + ",,2014-03-08,",                  // 8: same number, other data
		"trademark,7654321,好商标," + owner + ",,2014-03-07,",                   // 9: same row again
		"software_copyright,2026SR0000001,未来," + owner + ",,2026-03-02,",     // 10
		"invention_patent,201810123456.5,年份不符," + owner + ",2017-03-02,,",    // 11
		"patent,1,种类错," + owner + ",,,",                                      // 12
		"invention_patent,201810123456.5,IPC坏," + owner + ",2018-03-02,,Q99", // 13
	}, "\n")
	rep, err := im.Import(ctx, strings.NewReader(csv), "csv", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := fmt.Sprintf("%d %d %d %d", rep.Rows, rep.Added, rep.Unchanged, rep.Failed), "11 2 1 8"; got != want {
		t.Fatalf("rows added unchanged failed = %s, want %s (errors %+v)", got, want, rep.Errors)
	}
	want := []string{
		"3 number patent_check",
		"4 owners owner_unknown",
		"5 granted_on date_format",
		"8 number asset_exists",
		"10 granted_on date_in_future",
		"11 filed_on filing_year_mismatch",
		"12 kind kind_unknown",
		"13 ipc ipc_format",
	}
	for i, w := range want {
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			e := rep.Errors[i]
			if got := fmt.Sprintf("%d %s %s", e.Row, e.Column, e.Code); got != w {
				t.Fatalf("error = %q (%s), want %q", got, e.Message, w)
			}
		})
	}
	if rep.Errors[3].Ref == "" {
		t.Fatal("asset_exists without the existing asset's id")
	}
	t.Run("BadHeader", func(t *testing.T) {
		_, err := im.Import(ctx, strings.NewReader("kind,number,titel,owners\n"), "csv", nil)
		if err == nil || !strings.Contains(err.Error(), "titel") {
			t.Fatalf("err = %v, want unknown column titel", err)
		}
		_, err = im.Import(ctx, strings.NewReader("kind,number,owners\n"), "csv", nil)
		if err == nil || !strings.Contains(err.Error(), "title") {
			t.Fatalf("err = %v, want missing column title", err)
		}
		_, err = im.Import(ctx, strings.NewReader("x"), "ods", nil)
		if err == nil {
			t.Fatal("ods accepted")
		}
	})
}

func TestImportXLSX(t *testing.T) {
	s, ctx := setup(t)
	f := excelize.NewFile()
	sheet := f.GetSheetName(0)
	rows := [][]any{
		{"kind", "number", "title", "owners", "filed_on", "granted_on"},
		{"invention_patent", "ZL2013106997442", "专利", "91150502MA0Q1XY3RT", "2013-12-18", time.Date(2016, 5, 4, 0, 0, 0, 0, time.UTC)},
		{"trademark", 7654321, "商标", "91150581MA13ABCD2Q", nil, "2014/03/07"},
	}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow(sheet, cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	style, _ := f.NewStyle(&excelize.Style{NumFmt: 14})
	_ = f.SetCellStyle(sheet, "F2", "F2", style)
	buf, err := f.WriteToBuffer()
	if err != nil {
		t.Fatal(err)
	}
	rep, err := importer.New(s).Import(ctx, buf, "xlsx", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := fmt.Sprintf("%d %d %d", rep.Rows, rep.Added, rep.Failed), "2 2 0"; got != want {
		t.Fatalf("rows added failed = %s, want %s (errors %+v)", got, want, rep.Errors)
	}
	as, _, err := s.ListAssets(ctx, registry.AssetFilter{Q: "专利"})
	if err != nil || len(as) != 1 {
		t.Fatalf("%v %d", err, len(as))
	}
	if got, want := as[0].GrantedOn, term.New(2016, 5, 4); got != want {
		t.Fatalf("granted_on from a date cell = %v, want %v", got, want)
	}
}

// tenths times an import by its progress calls (one per batch): the rate of about its first
// and its last tenth of rows shows whether a write slows down as the register grows.
type tenths struct {
	start time.Time
	done  []int
	at    []time.Time
}

func (x *tenths) progress(done, total int) {
	x.done, x.at = append(x.done, done), append(x.at, time.Now())
}

// rates returns the rows per second from the start to the first call at or past a tenth of
// total, and from the last call before nine tenths to the end (0, 0 with fewer than 10 calls).
func (x *tenths) rates(total int) (first, last float64) {
	if len(x.done) < 10 {
		return 0, 0
	}
	i := 0
	for x.done[i]*10 < total {
		i++
	}
	j := len(x.done) - 1
	for x.done[j-1]*10 >= 9*total {
		j--
	}
	return float64(x.done[i]) / x.at[i].Sub(x.start).Seconds(),
		float64(total-x.done[j-1]) / x.at[len(x.at)-1].Sub(x.at[j-1]).Seconds()
}

// importNService generates n assets over the example owners and imports them, timing the
// import by tenths into x (if not nil).
func importNService(t testing.TB, n int, x *tenths) (importer.Report, time.Duration, *registry.Service, context.Context) {
	s, ctx := setup(t)
	var owners []string
	for _, o := range exampleOwners {
		owners = append(owners, o.uscc)
	}
	var buf bytes.Buffer
	if err := registrytest.AssetsCSV(&buf, n, owners, 1); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	var progress func(done, total int)
	if x != nil {
		x.start, progress = start, x.progress
	}
	im := importer.New(s)
	if v := os.Getenv("IPLEDGER_IMPORT_BATCH"); v != "" { // to compare batch sizes
		im.BatchSize, _ = strconv.Atoi(v)
	}
	rep, err := im.Import(ctx, &buf, "csv", progress)
	if err != nil {
		t.Fatal(err)
	}
	return rep, time.Since(start), s, ctx
}

func TestImportGenerated(t *testing.T) {
	n := 2000
	if v := os.Getenv("IPLEDGER_IMPORT_N"); v != "" {
		n, _ = strconv.Atoi(v)
	}
	var x tenths
	rep, took, s, ctx := importNService(t, n, &x)
	first, last := x.rates(n)
	t.Logf("imported %d assets in %v (%.0f rows/s; first tenth %.0f rows/s, last tenth %.0f rows/s)",
		rep.Added, took, float64(rep.Added)/took.Seconds(), first, last)
	if got, want := rep.Added, n; got != want {
		t.Fatalf("added = %d, want %d (first errors %+v)", got, want, rep.Errors[:min(5, len(rep.Errors))])
	}
	var analyzed bool // by the import itself: no one else runs ANALYZE here (autovacuum's is last_autoanalyze)
	if err := s.Ledger().DB().QueryRowContext(ctx, `SELECT last_analyze IS NOT NULL FROM pg_stat_user_tables
		WHERE schemaname = 'registry' AND relname = 'assets'`).Scan(&analyzed); err != nil || !analyzed {
		t.Fatalf("registry.assets not analyzed after importing %d rows (%v)", n, err)
	}
	start := time.Now()
	if err := s.Rebuild(ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("rebuilt the projections of %d assets in %v", n, time.Since(start))
	start = time.Now()
	valid := true
	page, _, err := s.ListAssets(ctx, registry.AssetFilter{Valid: &valid, Limit: 100})
	if err != nil || len(page) != 100 {
		t.Fatalf("list: %v %d", err, len(page))
	}
	t.Logf("listed a page of 100 valid assets in %v", time.Since(start))
}

// BenchmarkImport imports 100,000 generated assets per iteration into a fresh database
// (IPLEDGER_IMPORT_N overrides the size), and reports issue 13's target (10 s for 100,000) at
// the reference rate of the sitting (target-s, dbtest.TargetAt). Run it on a durable cluster
// (IPLEDGER_TEST_DURABLE=1): the target's own reference was measured on one.
func BenchmarkImport(b *testing.B) {
	n := 100_000
	if v := os.Getenv("IPLEDGER_IMPORT_N"); v != "" {
		n, _ = strconv.Atoi(v)
	}
	for i := 0; i < b.N; i++ {
		// The reference (dbtest.ReferenceRate) before and after, the faster of the two: the
		// machine's speed moves, and the load's own aftermath (the writeback of its dirty
		// pages) must not make the target easier.
		b.StopTimer()
		ref := dbtest.ReferenceRate(b, 10*time.Second)
		b.StartTimer()
		var x tenths
		rep, took, _, _ := importNService(b, n, &x)
		if rep.Added != n {
			b.Fatalf("added %d of %d", rep.Added, n)
		}
		b.StopTimer()
		ref = max(ref, dbtest.ReferenceRate(b, 10*time.Second))
		b.StartTimer()
		first, last := x.rates(n)
		b.ReportMetric(float64(n)/took.Seconds(), "rows/s")
		b.ReportMetric(took.Seconds(), "s/import")
		b.ReportMetric(ref, "ref-tx/s")
		// Issue 13: 100,000 assets in 10 s at its reference rate.
		b.ReportMetric(dbtest.TargetAt(10*float64(n)/100_000, ref), "target-s")
		b.ReportMetric(first, "first-tenth-rows/s")
		b.ReportMetric(last, "last-tenth-rows/s")
	}
}
