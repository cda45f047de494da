package ledger_test

import (
	"context"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"ipledger/ledger"
	"ipledger/migrations/dbtest"
)

// BenchmarkAppendLog measures committed entries per second at 32 concurrent writers (one
// entry a write) without the Merkle log (the reference) and with it, alternately, so that
// `-count N` interleaves the two in one sitting (docs/BENCHMARKS.md).
func BenchmarkAppendLog(b *testing.B) {
	for _, mode := range []string{"off", "on"} {
		b.Run("log="+mode+"/writers=32", func(b *testing.B) {
			db := dbtest.New(b)
			var obs batchObserver
			l := ledger.New(db.App, ledger.Options{WithoutLog: mode == "off", Observer: &obs})
			defer l.Close()
			ctx := ledger.WithActor(context.Background(), "principal/bench")
			var next atomic.Int64
			b.ResetTimer()
			start := time.Now()
			appendAt32(ctx, b, l, &next, int64(b.N))
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "entries/s")
			if n := obs.batches.Load(); n > 0 {
				b.ReportMetric(float64(obs.entries.Load())/float64(n), "entries/batch")
				b.ReportMetric(float64(obs.took.Load())/float64(n)/1e6, "ms/batch")
			}
		})
	}
}

// appendAt32 appends the entries numbered next+1 … end from 32 concurrent writers, one entry a
// write.
func appendAt32(ctx context.Context, b *testing.B, l *ledger.Ledger, next *atomic.Int64, end int64) {
	var wg sync.WaitGroup
	for w := 0; w < 32; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1)
				if i > end {
					return
				}
				d := ledger.Draft{Kind: "asset.registered", Subject: fmt.Sprintf("asset/%d", i), EffectiveOn: time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC), Payload: benchPayload(int(i))}
				if _, err := l.Append(ctx, d); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// BenchmarkAppendLogPaired measures the same as BenchmarkAppendLog, but in short rounds
// of b.N entries at 32 writers, log=off and log=on alternately on two databases of one
// cluster, IPLEDGER_BENCH_ROUNDS pairs (default 20; each pair's order swaps, off-on then
// on-off), so that both sides of a pair see the same moment of a shared machine's load. It
// reports the medians of each side's rates, the ratio of the two sides' total times
// (sum-ratio) and the median, lowest and highest ratio of a pair (on ÷ off).
func BenchmarkAppendLogPaired(b *testing.B) {
	if b.N == 1 {
		return // the runner's probe; run with -benchtime Nx (N entries a round)
	}
	rounds := 20
	if v := os.Getenv("IPLEDGER_BENCH_ROUNDS"); v != "" {
		var err error
		if rounds, err = strconv.Atoi(v); err != nil || rounds < 1 {
			b.Fatalf("IPLEDGER_BENCH_ROUNDS=%q", v)
		}
	}
	off := ledger.New(dbtest.New(b).App, ledger.Options{WithoutLog: true})
	defer off.Close()
	on := ledger.New(dbtest.New(b).App, ledger.Options{})
	defer on.Close()
	ctx := ledger.WithActor(context.Background(), "principal/bench")
	var next atomic.Int64
	round := func(l *ledger.Ledger, n int) time.Duration {
		end := next.Load() + int64(n)
		start := time.Now()
		appendAt32(ctx, b, l, &next, end)
		next.Store(end)
		return time.Since(start)
	}
	round(off, 500) // warm both: connections, caches
	round(on, 500)
	b.ResetTimer()
	var rateOff, rateOn, ratios []float64
	var sumOff, sumOn time.Duration
	for r := 0; r < rounds; r++ {
		var tOff, tOn time.Duration
		if r%2 == 0 {
			tOff = round(off, b.N)
			tOn = round(on, b.N)
		} else {
			tOn = round(on, b.N)
			tOff = round(off, b.N)
		}
		sumOff += tOff
		sumOn += tOn
		rateOff = append(rateOff, float64(b.N)/tOff.Seconds())
		rateOn = append(rateOn, float64(b.N)/tOn.Seconds())
		ratios = append(ratios, tOff.Seconds()/tOn.Seconds())
	}
	b.StopTimer()
	median := func(x []float64) float64 {
		slices.Sort(x)
		if len(x)%2 == 1 {
			return x[len(x)/2]
		}
		return (x[len(x)/2-1] + x[len(x)/2]) / 2
	}
	b.ReportMetric(median(rateOff), "off-entries/s")
	b.ReportMetric(median(rateOn), "on-entries/s")
	b.ReportMetric(sumOff.Seconds()/sumOn.Seconds(), "sum-ratio")
	slices.Sort(ratios)
	b.ReportMetric(median(ratios), "pair-ratio")
	b.ReportMetric(ratios[0], "min-pair")
	b.ReportMetric(ratios[len(ratios)-1], "max-pair")
}

// batchObserver counts the committer's batches, their entries and their time.
type batchObserver struct{ batches, entries, took atomic.Int64 }

func (o *batchObserver) Batch(_, entries int, took time.Duration, _ error) {
	o.batches.Add(1)
	o.entries.Add(int64(entries))
	o.took.Add(int64(took))
}

// BenchmarkReceipt measures GET-receipt work (the entry, a checkpoint, the proof's stored
// nodes) at a large tree: IPLEDGER_BENCH_LOG_N entries (default
// 1,000,000), generated in SQL as the superuser with the triggers off (their content does not
// matter to a proof; hashing a real chain of that length would take most of the run), the
// tree built in SQL (backfill), then 1,000 entries appended through the ledger.
// It reports the latency percentiles of b.N receipts for random entries.
func BenchmarkReceipt(b *testing.B) {
	if b.N == 1 {
		// The runner's first probe: generating the log twice would double the run. Run
		// with -benchtime Nx (docs/BENCHMARKS.md) so the measured run is the second.
		return
	}
	ctx := context.Background()
	db, size := receiptLog(ctx, b)
	l := ledger.New(db.App, ledger.Options{})
	defer l.Close()
	// IPLEDGER_BENCH_SEED picks other entries: a run after another with the same seed finds
	// the entries it asks for already cached.
	seed := uint64(1)
	if v, err := strconv.ParseUint(os.Getenv("IPLEDGER_BENCH_SEED"), 10, 64); err == nil {
		seed = v
	}
	rng := rand.New(rand.NewPCG(seed, 2))
	// Alternately: as the API builds it (Ledger.Receipt: the entry and its proof's nodes in
	// one prepared statement, against the checkpoint this process signed) and from the
	// database alone (GetReceipt: the latest stored checkpoint, then the entry and the nodes).
	lat := make([]time.Duration, 0, b.N)
	latDB := make([]time.Duration, 0, b.N)
	var proofLen int
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		seq := 1 + rng.Int64N(size)
		t0 := time.Now()
		r, _, err := l.Receipt(ctx, seq)
		lat = append(lat, time.Since(t0))
		if err != nil {
			b.Fatal(err)
		}
		seq2 := 1 + rng.Int64N(size)
		t0 = time.Now()
		if _, err := ledger.GetReceipt(ctx, db.App, seq2); err != nil {
			b.Fatal(err)
		}
		latDB = append(latDB, time.Since(t0))
		proofLen = max(proofLen, len(r.Inclusion.Hashes))
		if i%1000 == 0 { // the proof holds (the generated entries' hashes are not their content's)
			cp, err := ledger.OpenCheckpoint([]byte(r.Checkpoint), l.Key().Verifier())
			if err != nil {
				b.Fatal(err)
			}
			h, _ := hex.DecodeString(r.Entry.Hash)
			p := make(tlog.RecordProof, len(r.Inclusion.Hashes))
			for j, x := range r.Inclusion.Hashes {
				copy(p[j][:], x)
			}
			if err := tlog.CheckRecord(p, cp.Size, tlog.Hash(cp.Root), seq-1, tlog.RecordHash(h)); err != nil {
				b.Fatalf("receipt %d: %v", seq, err)
			}
		}
	}
	b.StopTimer()
	slices.Sort(lat)
	slices.Sort(latDB)
	pct := func(l []time.Duration, p float64) float64 {
		return float64(l[int(p*float64(len(l)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(lat, 0.50), "p50-ms")
	b.ReportMetric(pct(lat, 0.99), "p99-ms")
	b.ReportMetric(pct(lat, 1), "max-ms")
	b.ReportMetric(pct(latDB, 0.50), "db-p50-ms")
	b.ReportMetric(pct(latDB, 0.99), "db-p99-ms")
	b.ReportMetric(float64(proofLen), "proof-hashes")
}

// receiptLog is the large log the receipt benchmarks read: IPLEDGER_BENCH_LOG_N entries
// (default 1,000,000) plus 1,000, generated unless IPLEDGER_BENCH_LOG_DB names a database of
// TEST_DATABASE_URL's server that already holds it (kept there for later runs).
func receiptLog(ctx context.Context, b *testing.B) (*dbtest.DB, int64) {
	n := int64(1_000_000)
	if v := os.Getenv("IPLEDGER_BENCH_LOG_N"); v != "" {
		var err error
		if n, err = strconv.ParseInt(v, 10, 64); err != nil || n < 1 {
			b.Fatalf("IPLEDGER_BENCH_LOG_N=%q", v)
		}
	}
	var db *dbtest.DB
	generate := true
	if name := os.Getenv("IPLEDGER_BENCH_LOG_DB"); name != "" {
		db, generate = dbtest.Named(b, name)
	} else {
		db = dbtest.New(b)
	}
	if generate {
		generateLog(ctx, b, db, n)
	}
	var size int64
	if err := db.App.QueryRowContext(ctx, `SELECT seq FROM ledger.head`).Scan(&size); err != nil {
		b.Fatal(err)
	}
	if size < n+1000 {
		b.Fatalf("database %s holds %d entries, not the %d asked for (a generation that did not finish? drop it)", db.Name, size, n+1000)
	}
	return db, size
}

// BenchmarkReceiptPaired compares, on the same random entries and at the same moments, the
// receipt as the API built it before (Get, then Ledger.ReceiptFor: two statements, each
// planned) with Ledger.Receipt (one prepared statement). Each entry is asked for twice by
// each way, the ways' order alternating: the first asks find the entry's pages as the
// random read left them ("first"), the second find them in the cache ("again").
func BenchmarkReceiptPaired(b *testing.B) {
	if b.N == 1 {
		return // the runner's probe; run with -benchtime Nx
	}
	ctx := context.Background()
	db, size := receiptLog(ctx, b)
	l := ledger.New(db.App, ledger.Options{})
	defer l.Close()
	two := func(seq int64) time.Duration {
		t0 := time.Now()
		e, err := ledger.Get(ctx, db.App, seq)
		if err == nil {
			_, err = l.ReceiptFor(ctx, e)
		}
		if err != nil {
			b.Fatal(err)
		}
		return time.Since(t0)
	}
	one := func(seq int64) time.Duration {
		t0 := time.Now()
		if _, _, err := l.Receipt(ctx, seq); err != nil {
			b.Fatal(err)
		}
		return time.Since(t0)
	}
	var twoFirst, oneFirst, twoAgain, oneAgain []time.Duration
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 3)) // new entries each run
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		seq := 1 + rng.Int64N(size)
		if i%2 == 0 {
			twoFirst, oneFirst = append(twoFirst, two(seq)), append(oneFirst, one(seq))
			twoAgain, oneAgain = append(twoAgain, two(seq)), append(oneAgain, one(seq))
		} else {
			oneFirst, twoFirst = append(oneFirst, one(seq)), append(twoFirst, two(seq))
			oneAgain, twoAgain = append(oneAgain, one(seq)), append(twoAgain, two(seq))
		}
	}
	b.StopTimer()
	pct := func(l []time.Duration, p float64) float64 {
		slices.Sort(l)
		return float64(l[int(p*float64(len(l)-1))].Microseconds()) / 1000
	}
	for _, c := range []struct {
		name string
		l    []time.Duration
	}{{"before-first", twoFirst}, {"one-first", oneFirst}, {"before-again", twoAgain}, {"one-again", oneAgain}} {
		b.ReportMetric(pct(c.l, 0.50), c.name+"-p50-ms")
		b.ReportMetric(pct(c.l, 0.99), c.name+"-p99-ms")
	}
}

// generateLog writes n entries in SQL with the triggers off, builds their tree in SQL
// (backfill), then appends 1,000 entries through the ledger.
func generateLog(ctx context.Context, b *testing.B, db *dbtest.DB, n int64) {
	super := db.Super(b)
	conn, err := super.Conn(ctx)
	if err != nil {
		b.Fatal(err)
	}
	exec := func(q string, args ...any) {
		if _, err := conn.ExecContext(ctx, q, args...); err != nil {
			b.Fatalf("%.60s: %v", q, err)
		}
	}
	genStart := time.Now()
	exec(`SET session_replication_role = replica`)
	exec(`SET statement_timeout = 0`)
	const chunk = 500_000
	for from := int64(1); from <= n; from += chunk {
		to := min(from+chunk-1, n)
		exec(`INSERT INTO ledger.entries (seq, kind, subject, actor, effective_on, recorded_at, payload, prev_hash, hash)
			SELECT g, 'bench.noted', 'thing/' || g, 'principal/bench', '2024-01-02', '2024-01-02T00:00:00Z'::timestamptz + g * interval '1 ms',
				jsonb_build_object('i', g), sha256(int8send(g - 1)), sha256(int8send(g))
			FROM generate_series(?::bigint, ?::bigint) g`, from, to)
	}
	exec(`UPDATE ledger.head SET seq = ?, hash = sha256(int8send(?::bigint)), recorded_at = '2024-01-03T00:00:00Z'`, n, n)
	exec(backfill)
	exec(`ANALYZE ledger.entries`)
	exec(`ANALYZE ledger.tree_batches`)
	conn.Close()
	b.Logf("generated %d entries and their tree in %v", n, time.Since(genStart).Round(time.Second))

	l := ledger.New(db.App, ledger.Options{})
	defer l.Close()
	for i := 0; i < 10; i++ {
		drafts := make([]ledger.Draft, 100)
		for k := range drafts {
			drafts[k] = ledger.Draft{Kind: "asset.registered", Subject: fmt.Sprintf("asset/%d", k), EffectiveOn: time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC), Payload: benchPayload(k)}
		}
		if _, err := l.Append(ledger.WithActor(ctx, "principal/bench"), drafts...); err != nil {
			b.Fatal(err)
		}
	}
}
