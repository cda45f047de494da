package console_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"ipledger/registry"
	"ipledger/registry/access"
	"ipledger/registry/indicator"
	"ipledger/registry/registrytest"
	"ipledger/registry/term"
)

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// BenchmarkIndicatorsPage measures the indicators page's server time — session check, the
// indicator computation, the table's rendering — on a generated city (registrytest.Generate,
// seed 1: IPLEDGER_BENCH_ASSETS assets, default 20,000; a tenth as many pledges, a fifth as
// many events), next to the bare computation (indicator.Service.Compute) in the same sitting.
//
//	IPLEDGER_BENCH_ASSETS=1000000 go test ./openapi/console -run '^$' -bench IndicatorsPage -benchtime 100x -timeout 60m
func BenchmarkIndicatorsPage(b *testing.B) {
	e := newEnv(b)
	n := envInt("IPLEDGER_BENCH_ASSETS", 20_000)
	start := time.Now()
	if err := registrytest.Generate(e.ctx, e.reg, registrytest.GenOptions{Assets: n, Pledges: envInt("IPLEDGER_BENCH_PLEDGES", n/10),
		Events: envInt("IPLEDGER_BENCH_EVENTS", n/5), Seed: 1}); err != nil {
		b.Fatal(err)
	}
	if _, err := e.ledger.DB().ExecContext(e.ctx, `ANALYZE`); err != nil {
		b.Logf("analyze: %v", err) // the app role may not analyze every table; the plans are still sane
	}
	b.Logf("loaded %d assets in %s", n, time.Since(start).Round(time.Second))
	br := e.login(access.Planner)
	cookies := br.c.Jar.Cookies(mustURL(e.srv.URL + "/console/"))
	h := e.srv.Config.Handler
	ind := indicator.New(e.reg)
	asOf := "2024-06-30"
	run := func(b *testing.B, fn func()) {
		durs := make([]time.Duration, 0, b.N)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			t0 := time.Now()
			fn()
			durs = append(durs, time.Since(t0))
		}
		b.StopTimer()
		sort.Slice(durs, func(i, j int) bool { return durs[i] < durs[j] })
		b.ReportMetric(float64(durs[len(durs)/2].Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(durs[(len(durs)*99)/100].Microseconds())/1000, "p99-ms")
	}
	page := func(b *testing.B, region string) func() {
		return func() {
			req := httptest.NewRequest(http.MethodGet, "/console/indicators?region="+region+"&as_of="+asOf, nil)
			for _, c := range cookies {
				req.AddCookie(c)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `id="indicator-table"`) {
				b.Fatalf("status %d", rec.Code)
			}
		}
	}
	b.Run("PageCity", func(b *testing.B) { run(b, page(b, registry.CityCode)) })
	b.Run("PageUnit", func(b *testing.B) { run(b, page(b, "150502")) })
	b.Run("ComputeCity", func(b *testing.B) {
		run(b, func() {
			if _, err := ind.Compute(e.ctx, registry.CityCode, term.MustParseDate(asOf), time.Time{}); err != nil {
				b.Fatal(err)
			}
		})
	})
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}
