package ledger_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"ipledger/ledger"
	"ipledger/migrations/dbtest"
)

// benchPayload is the size of a typical asset event.
func benchPayload(i int) map[string]any {
	return map[string]any{"id": fmt.Sprintf("0192f1c2-0000-7000-8000-%012d", i), "kind": "invention_patent",
		"number": "201310699744.2", "title": "一种用于测试的装置", "region_code": "150502", "filed_on": "2013-12-18"}
}

// BenchmarkAppend measures committed, hash-chained entries per second with concurrent
// writers each appending one entry per write, and with writes of 100 entries.
func BenchmarkAppend(b *testing.B) {
	for _, c := range []struct{ writers, perWrite int }{{1, 1}, {8, 1}, {32, 1}, {64, 1}, {1, 100}, {8, 100}} {
		b.Run(fmt.Sprintf("writers=%d/batch=%d", c.writers, c.perWrite), func(b *testing.B) {
			db := dbtest.New(b)
			l := ledger.New(db.App, ledger.Options{})
			defer l.Close()
			ctx := ledger.WithActor(context.Background(), "principal/bench")
			var next atomic.Int64
			var wg sync.WaitGroup
			b.ResetTimer()
			start := time.Now()
			for w := 0; w < c.writers; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					drafts := make([]ledger.Draft, c.perWrite)
					for {
						i := next.Add(1)
						if i > int64(b.N) {
							return
						}
						for k := range drafts {
							drafts[k] = ledger.Draft{Kind: "asset.registered", Subject: fmt.Sprintf("asset/%d", i), EffectiveOn: time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC), Payload: benchPayload(int(i))}
						}
						if _, err := l.Append(ctx, drafts...); err != nil {
							b.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			el := time.Since(start)
			b.ReportMetric(float64(b.N*c.perWrite)/el.Seconds(), "entries/s")
		})
	}
}

// BenchmarkVerify measures verification speed over a chain of 200,000 entries.
func BenchmarkVerify(b *testing.B) {
	db := dbtest.New(b)
	l := ledger.New(db.App, ledger.Options{})
	defer l.Close()
	ctx := ledger.WithActor(context.Background(), "principal/bench")
	const n = 200_000
	drafts := make([]ledger.Draft, 1000)
	for done := 0; done < n; done += len(drafts) {
		for k := range drafts {
			drafts[k] = ledger.Draft{Kind: "asset.registered", Subject: fmt.Sprintf("asset/%d", done+k), EffectiveOn: time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC), Payload: benchPayload(done + k)}
		}
		if _, err := l.Append(ctx, drafts...); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		rep, err := ledger.Verify(context.Background(), db.App)
		if err != nil || !rep.OK || rep.Checked != n {
			b.Fatalf("verify: %+v %v", rep, err)
		}
	}
	b.ReportMetric(float64(n*b.N)/time.Since(start).Seconds(), "entries/s")
}
