package indicator

import (
	"os"
	"sort"
	"strconv"
	"testing"
	"time"

	"ipledger/registry"
	"ipledger/registry/registrytest"
)

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// BenchmarkIndicators loads a generated city (IPLEDGER_BENCH_ASSETS, default 100,000 assets;
// IPLEDGER_BENCH_PLEDGES, default a tenth of that; IPLEDGER_BENCH_EVENTS, default a fifth) and
// measures every indicator for one region and date, for all 10 regions, and the naive
// span-counting query the summary replaces. p50/p99 are reported per operation.
//
//	IPLEDGER_TEST_DURABLE=1 go test ./registry/indicator -run '^$' -bench Indicators -benchtime 200x
func BenchmarkIndicators(b *testing.B) {
	f := newFixture(b)
	n := envInt("IPLEDGER_BENCH_ASSETS", 100_000)
	start := time.Now()
	err := registrytest.Generate(f.ctx, f.reg, registrytest.GenOptions{Assets: n, Pledges: envInt("IPLEDGER_BENCH_PLEDGES", n/10),
		Events: envInt("IPLEDGER_BENCH_EVENTS", n/5), Seed: 1,
		Progress: func(format string, args ...any) {
			b.Logf("%s "+format, append([]any{time.Since(start).Round(time.Second)}, args...)...)
		}})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := f.db.Super(b).ExecContext(f.ctx, `VACUUM ANALYZE`); err != nil {
		b.Fatal(err)
	}
	b.Logf("loaded %d assets in %s", n, time.Since(start).Round(time.Second))
	asOf := d("2024-06-30")
	regions := append([]string{registry.CityCode}, unitCodes...)
	run := func(b *testing.B, fn func() error) {
		durs := make([]time.Duration, 0, b.N)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			t0 := time.Now()
			if err := fn(); err != nil {
				b.Fatal(err)
			}
			durs = append(durs, time.Since(t0))
		}
		b.StopTimer()
		sort.Slice(durs, func(i, j int) bool { return durs[i] < durs[j] })
		b.ReportMetric(float64(durs[len(durs)/2].Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(durs[(len(durs)*99)/100].Microseconds())/1000, "p99-ms")
	}
	b.Run("City", func(b *testing.B) {
		run(b, func() error { _, err := f.ind.Compute(f.ctx, registry.CityCode, asOf, time.Time{}); return err })
	})
	b.Run("Unit", func(b *testing.B) {
		run(b, func() error { _, err := f.ind.Compute(f.ctx, "150502", asOf, time.Time{}); return err })
	})
	b.Run("CityKnownAtMidway", func(b *testing.B) {
		var mid time.Time
		f.db.App.QueryRowContext(f.ctx, `SELECT recorded_at FROM ledger.entries WHERE seq = (SELECT seq / 2 FROM ledger.head)`).Scan(&mid)
		run(b, func() error { _, err := f.ind.Compute(f.ctx, registry.CityCode, asOf, mid); return err })
	})
	b.Run("AllRegions", func(b *testing.B) {
		run(b, func() error {
			for _, r := range regions {
				if _, err := f.ind.Compute(f.ctx, r, asOf, time.Time{}); err != nil {
					return err
				}
			}
			return nil
		})
	})
	b.Run("NaiveCityCounts", func(b *testing.B) {
		run(b, func() error {
			tx, err := f.db.App.BeginTx(f.ctx, nil)
			if err != nil {
				return err
			}
			defer tx.Rollback()
			sc, err := f.ind.newScope(f.ctx, tx, registry.CityCode, time.Time{})
			if err != nil {
				return err
			}
			_, err = naiveCounts(f.ctx, tx, sc, asOf)
			return err
		})
	})
}
