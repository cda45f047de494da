package indicator

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
	"time"

	"ipledger/ledger"
	"ipledger/migrations/dbtest"
	"ipledger/migrations/pgdb"
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
	// The reference before and after the load, the faster of the two: the machine's speed
	// moves, and the load's own aftermath (the writeback of its dirty pages) must not make
	// the target easier.
	before := dbtest.ReferenceRate(b, 10*time.Second)
	start := time.Now()
	err := registrytest.Generate(f.ctx, f.reg, registrytest.GenOptions{Assets: n, Pledges: envInt("IPLEDGER_BENCH_PLEDGES", n/10),
		Events: envInt("IPLEDGER_BENCH_EVENTS", n/5), Seed: 1,
		Progress: func(format string, args ...any) {
			b.Logf("%s "+format, append([]any{time.Since(start).Round(time.Second)}, args...)...)
		}})
	if err != nil {
		b.Fatal(err)
	}
	loaded := time.Since(start)
	after := dbtest.ReferenceRate(b, 10*time.Second)
	// Issue 13: the 1M-asset set in 3 minutes at its reference rate.
	b.Logf("loaded %d assets in %s; reference %.0f tx/s before, %.0f after, at the faster of which the target for this size is %.0f s",
		n, loaded.Round(time.Second), before, after, dbtest.TargetAt(180*float64(n)/1_000_000, max(before, after)))
	if _, err := f.db.Super(b).ExecContext(f.ctx, `VACUUM ANALYZE`); err != nil {
		b.Fatal(err)
	}
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

// BenchmarkCityPhases times BenchmarkIndicators' load after its assets — the asset events
// (AssetEvents) and the pledges (RegisterPledges, then PledgeEvents for the amendments) — at
// IPLEDGER_BENCH_ASSETS assets, without loading the assets each run. It needs a server of its
// own (TEST_DATABASE_URL, a superuser URL): the parties and assets are registered once into a
// kept database (IPLEDGER_BENCH_KEEP, default ipledger_city_<assets>; what the later phases
// draw from is kept beside it in the temporary directory, <name>.city.json), and every run
// copies that database (CREATE DATABASE … TEMPLATE) and times the phases on the copy, which is
// then dropped. Delete the kept database and its file to start over.
//
//	TEST_DATABASE_URL=… IPLEDGER_BENCH_ASSETS=1000000 go test ./registry/indicator -run '^$' -bench CityPhases -benchtime 1x
func BenchmarkCityPhases(b *testing.B) {
	n := envInt("IPLEDGER_BENCH_ASSETS", 100_000)
	start := time.Now()
	o := registrytest.GenOptions{Assets: n, Pledges: envInt("IPLEDGER_BENCH_PLEDGES", n/10),
		Events: envInt("IPLEDGER_BENCH_EVENTS", n/5), Seed: 1,
		Progress: func(format string, args ...any) {
			b.Logf("%s "+format, append([]any{time.Since(start).Round(100 * time.Millisecond)}, args...)...)
		}}
	keep := os.Getenv("IPLEDGER_BENCH_KEEP")
	if keep == "" {
		keep = fmt.Sprintf("ipledger_city_%d", n)
	}
	state := filepath.Join(os.TempDir(), keep+".city.json")
	ctx := ledger.WithActor(context.Background(), "principal/test")
	kept, created := dbtest.Named(b, keep)
	if created {
		l, reg := cityService(kept)
		err := reg.Seed(ctx)
		if err == nil {
			err = New(reg).Seed(ctx)
		}
		c := registrytest.NewCity(reg, o)
		if err == nil {
			err = c.RegisterParties(ctx)
		}
		if err == nil {
			err = c.RegisterAssets(ctx)
		}
		if err == nil {
			err = saveCity(c, state)
		}
		l.Close()
		if err != nil {
			b.Fatalf("load %s (drop it before running again): %v", keep, err)
		}
	}
	kept.App.Close() // a template takes no connections
	super, err := pgdb.Open(os.Getenv("TEST_DATABASE_URL"), pgdb.Config{MaxConns: 1})
	if err != nil {
		b.Fatal(err)
	}
	defer super.Close()
	run := keep + "_run"
	var events, pledges time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		if _, err := super.ExecContext(ctx, `DROP DATABASE IF EXISTS `+run+` WITH (FORCE)`); err != nil {
			b.Fatal(err)
		}
		if _, err := super.ExecContext(ctx, `CREATE DATABASE `+run+` TEMPLATE `+keep+` STRATEGY file_copy`); err != nil {
			b.Fatal(err)
		}
		d, _ := dbtest.Named(b, run)
		l, reg := cityService(d)
		c := registrytest.NewCity(reg, o)
		f, err := os.Open(state)
		if err != nil {
			b.Fatalf("%v (the kept database %s has no city file: drop it to load it again)", err, keep)
		}
		err = c.Load(f)
		f.Close()
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		t0 := time.Now()
		if err := c.RecordEvents(ctx); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if err := c.RegisterPledges(ctx); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		events, pledges = events+t1.Sub(t0), pledges+time.Since(t1)
		l.Close()
		d.App.Close()
		if _, err := super.ExecContext(ctx, `DROP DATABASE `+run+` WITH (FORCE)`); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(events.Seconds()/float64(b.N), "events-s")
	b.ReportMetric(pledges.Seconds()/float64(b.N), "pledges-s")
}

// cityService is the registry over d as the benchmarks' fixture has it (the same pinned day).
func cityService(d *dbtest.DB) (*ledger.Ledger, *registry.Service) {
	l := ledger.New(d.App, ledger.Options{})
	return l, registry.New(l, registry.WithClock(func() time.Time { return testToday.Time().Add(3 * time.Hour) }))
}

func saveCity(c *registrytest.City, path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := c.Save(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
