package ledger_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"ipledger/ledger"
	"ipledger/ledger/pgcopy"
	"ipledger/migrations/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

var day = time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)

func actorCtx() context.Context { return ledger.WithActor(context.Background(), "principal/test") }

func mustAppend(t *testing.T, l *ledger.Ledger, n int) []ledger.Entry {
	t.Helper()
	var out []ledger.Entry
	for i := 0; i < n; i++ {
		es, err := l.Append(actorCtx(), ledger.Draft{Kind: "test.noted", Subject: fmt.Sprintf("thing/%d", i), EffectiveOn: day, Payload: map[string]any{"i": i}})
		if err != nil {
			t.Fatalf("append %d: %v", i, err)
		}
		out = append(out, es...)
	}
	return out
}

func TestAppendOnlyForServiceRole(t *testing.T) {
	db := dbtest.New(t)
	l := ledger.New(db.App, ledger.Options{})
	defer l.Close()
	mustAppend(t, l, 3)
	ctx := context.Background()
	for _, stmt := range []string{
		`UPDATE ledger.entries SET kind = 'x' WHERE seq = 2`,
		`DELETE FROM ledger.entries WHERE seq = 3`,
		`TRUNCATE ledger.entries`,
		`INSERT INTO ledger.entries SELECT seq + 10, kind, subject, actor, effective_on, recorded_at, payload, idempotency_key, prev_hash, hash FROM ledger.entries WHERE seq = 1`,
		`ALTER TABLE ledger.entries DISABLE TRIGGER USER`,
	} {
		t.Run(strings.Fields(stmt)[0], func(t *testing.T) {
			if _, err := db.App.ExecContext(ctx, stmt); err == nil {
				t.Fatalf("%s succeeded through the service role", stmt)
			}
		})
	}
	t.Run("SuperuserStillRefusedByTriggers", func(t *testing.T) {
		super := db.Super(t)
		for _, stmt := range []string{`UPDATE ledger.entries SET kind = 'x'`, `DELETE FROM ledger.entries`, `TRUNCATE ledger.entries`} {
			if _, err := super.ExecContext(ctx, stmt); err == nil || !strings.Contains(err.Error(), "append-only") {
				t.Fatalf("%s: err = %v, want append-only refusal", stmt, err)
			}
		}
	})
	rep, err := ledger.Verify(ctx, db.App)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK || rep.Checked != 3 {
		t.Fatalf("after refused rewrites: %+v", rep)
	}
}

func TestVerifyFindsTampering(t *testing.T) {
	db := dbtest.New(t)
	l := ledger.New(db.App, ledger.Options{})
	defer l.Close()
	mustAppend(t, l, 6)
	ctx := context.Background()
	rep, err := ledger.Verify(ctx, db.App)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK || rep.Checked != 6 || rep.HeadSeq != 6 || rep.FirstBadSeq != nil {
		t.Fatalf("clean chain: %+v", rep)
	}
	super := db.Super(t)
	for _, stmt := range []string{
		`ALTER TABLE ledger.entries DISABLE TRIGGER USER`,
		`UPDATE ledger.entries SET payload = '{"i": 99}' WHERE seq = 4`,
		`ALTER TABLE ledger.entries ENABLE TRIGGER USER`,
	} {
		if _, err := super.ExecContext(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	rep, err = ledger.Verify(ctx, db.App)
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK || rep.FirstBadSeq == nil || *rep.FirstBadSeq != 4 || rep.Checked != 6 {
		t.Fatalf("tampered chain: %+v, want first bad seq 4", rep)
	}
	t.Run("DeletedEntry", func(t *testing.T) {
		for _, stmt := range []string{
			`ALTER TABLE ledger.entries DISABLE TRIGGER USER`,
			`DELETE FROM ledger.entries WHERE seq = 2`,
			`ALTER TABLE ledger.entries ENABLE TRIGGER USER`,
		} {
			if _, err := super.ExecContext(ctx, stmt); err != nil {
				t.Fatalf("%s: %v", stmt, err)
			}
		}
		rep, err := ledger.Verify(ctx, db.App)
		if err != nil {
			t.Fatal(err)
		}
		if rep.OK || *rep.FirstBadSeq != 2 {
			t.Fatalf("chain with a hole: %+v, want first bad seq 2", rep)
		}
	})
}

func TestConcurrentWritersKeepOneLinearChain(t *testing.T) {
	db := dbtest.New(t)
	l := ledger.New(db.App, ledger.Options{})
	defer l.Close()
	const writers, each = 64, 25
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	seen := make(chan int64, writers*each*2)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				es, err := l.Append(actorCtx(),
					ledger.Draft{Kind: "test.a", Subject: fmt.Sprintf("w/%d", w), EffectiveOn: day, Payload: map[string]any{"w": w, "i": i}},
					ledger.Draft{Kind: "test.b", Subject: fmt.Sprintf("w/%d", w), EffectiveOn: day, Payload: map[string]any{"w": w, "i": i}})
				if err != nil {
					errs <- err
					return
				}
				if len(es) != 2 || es[1].Seq != es[0].Seq+1 || es[1].PrevHash != es[0].Hash {
					errs <- fmt.Errorf("one write's entries are not adjacent: %+v", es)
				}
				for _, e := range es {
					seen <- e.Seq
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	close(seen)
	for err := range errs {
		t.Fatal(err)
	}
	got := map[int64]bool{}
	for s := range seen {
		if got[s] {
			t.Fatalf("seq %d acknowledged twice", s)
		}
		got[s] = true
	}
	const total = writers * each * 2
	for s := int64(1); s <= total; s++ {
		if !got[s] {
			t.Fatalf("seq %d never acknowledged", s)
		}
	}
	rep, err := ledger.Verify(context.Background(), db.App)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK || rep.Checked != total || rep.HeadSeq != total {
		t.Fatalf("after %d concurrent entries: %+v", total, rep)
	}
}

func TestFailedWriteLeavesBatchIntact(t *testing.T) {
	db := dbtest.New(t)
	l := ledger.New(db.App, ledger.Options{})
	defer l.Close()
	boom := errors.New("refused by rule")
	var wg sync.WaitGroup
	results := make([]error, 40)
	for i := range results {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, results[i] = l.Write(actorCtx(), func(ctx context.Context, tx *ledger.Tx) error {
				if _, err := tx.Append(ledger.Draft{Kind: "test.w", Subject: fmt.Sprintf("w/%d", i), EffectiveOn: day, Payload: map[string]any{"i": i}}); err != nil {
					return err
				}
				switch i % 4 {
				case 1:
					return boom
				case 2:
					// A failing statement aborts only this write's savepoint.
					_, err := tx.DB().ExecContext(ctx, `SELECT 1/0`)
					return err
				case 3:
					panic("bug in a write")
				}
				return nil
			})
		}(i)
	}
	wg.Wait()
	for i, err := range results {
		if (i%4 == 0) != (err == nil) {
			t.Fatalf("write %d: err = %v", i, err)
		}
	}
	if !errors.Is(results[1], boom) {
		t.Fatalf("write 1: err = %v, want its own error", results[1])
	}
	rep, err := ledger.Verify(context.Background(), db.App)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK || rep.Checked != 10 {
		t.Fatalf("want exactly the 10 good writes: %+v", rep)
	}
}

func TestNoActorNoWrite(t *testing.T) {
	db := dbtest.New(t)
	l := ledger.New(db.App, ledger.Options{})
	defer l.Close()
	if _, err := l.Append(context.Background(), ledger.Draft{Kind: "k", Subject: "s", EffectiveOn: day, Payload: map[string]any{}}); !errors.Is(err, ledger.ErrNoActor) {
		t.Fatalf("err = %v, want ErrNoActor", err)
	}
}

func TestIdempotencyKeyWritesOnce(t *testing.T) {
	db := dbtest.New(t)
	l := ledger.New(db.App, ledger.Options{})
	defer l.Close()
	ctx, idem := ledger.WithIdempotency(actorCtx(), "key-1", []byte("h1"))
	d := ledger.Draft{Kind: "k", Subject: "s", EffectiveOn: day, Payload: map[string]any{"a": 1}}
	first, err := l.Append(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	if !idem.Committed() {
		t.Fatal("the key's write is not marked committed")
	}
	if first[0].IdempotencyKey != "key-1" {
		t.Fatalf("entry key = %q", first[0].IdempotencyKey)
	}
	if _, err := l.Append(ctx, d); !errors.Is(err, ledger.ErrIdempotentReplay) {
		t.Fatalf("second write: err = %v, want ErrIdempotentReplay", err)
	}
	// The same key under another actor is another request.
	other, _ := ledger.WithIdempotency(ledger.WithActor(context.Background(), "principal/other"), "key-1", []byte("h1"))
	if _, err := l.Append(other, d); err != nil {
		t.Fatalf("other actor: %v", err)
	}
	s, ok, err := ledger.LookupIdempotency(context.Background(), db.App, "principal/test", "key-1")
	if err != nil || !ok || s.FirstSeq != first[0].Seq || string(s.RequestHash) != "h1" {
		t.Fatalf("lookup: %+v %v %v", s, ok, err)
	}
	rep, _ := ledger.Verify(context.Background(), db.App)
	if rep.Checked != 2 {
		t.Fatalf("checked = %d, want 2", rep.Checked)
	}
}

// The hash covers the payload as Postgres prints it, so every payload must survive the
// round trip through jsonb byte for byte.
func TestPayloadRoundTripsThroughJSONB(t *testing.T) {
	db := dbtest.New(t)
	l := ledger.New(db.App, ledger.Options{})
	defer l.Close()
	payloads := []map[string]any{
		{"name": "科尔沁区 \"quoted\" back\\slash", "tab": "a\tb\nc\rd\be\ff", "ctl": "\x01\x1f\x7f", "emoji": "🐎 \u2028\u2029"},
		{"bb": 1, "a": 2, "ccc": []any{}, "d": map[string]any{}, "": "empty key"},
		{"n": -12, "big": int64(1) << 62, "amount": "150000000.00", "t": true, "f": false, "z": nil},
		{"nested": map[string]any{"zz": []any{1, "x", map[string]any{"b": 1, "aa": 2}}, "a": nil}},
		{"html": "<script>&amp;</script>", "é": "ü", "日本": "x"},
	}
	for i, p := range payloads {
		es, err := l.Append(actorCtx(), ledger.Draft{Kind: "k", Subject: fmt.Sprintf("p/%d", i), EffectiveOn: day, Payload: p})
		if err != nil {
			t.Fatalf("payload %d: %v", i, err)
		}
		got, err := ledger.Get(context.Background(), db.App, es[0].Seq)
		if err != nil {
			t.Fatal(err)
		}
		if string(got.Payload) != string(es[0].Payload) {
			t.Fatalf("payload %d:\n hashed %s\n stored %s", i, es[0].Payload, got.Payload)
		}
	}
	rep, err := ledger.Verify(context.Background(), db.App)
	if err != nil || !rep.OK {
		t.Fatalf("verify: %+v %v", rep, err)
	}
	t.Run("Refused", func(t *testing.T) {
		for _, p := range []any{map[string]any{"nul": "a\x00b"}, map[string]any{"f": 1.5e300}, []int{1}} {
			if _, err := l.Append(actorCtx(), ledger.Draft{Kind: "k", Subject: "s", EffectiveOn: day, Payload: p}); err == nil {
				t.Fatalf("payload %v accepted", p)
			}
		}
	})
}

// A bulk write's entries are copied (insertEntries): every column, the payloads'
// bytes included, must come back as hashed, and the chain must verify.
func TestBulkWriteRoundTrips(t *testing.T) {
	db := dbtest.New(t)
	l := ledger.New(db.App, ledger.Options{})
	defer l.Close()
	mustAppend(t, l, 2) // the bulk write follows a chain, not the start
	payloads := []map[string]any{
		{"name": "科尔沁区 \"quoted\" back\\slash {braces}, 'single'", "tab": "a\tb\nc\rd\be\ff", "ctl": "\x01\x1f\x7f"},
		{"bb": 1, "a": 2, "ccc": []any{}, "d": map[string]any{}, "": "empty key", "null": "NULL"},
		{"n": -12, "big": int64(1) << 62, "amount": "150000000.00", "t": true, "z": nil, "emoji": "🐎 \u2028"},
	}
	n := pgcopy.MinRows + 344 // past the size from which entries are copied
	// One write under a key, one without (NULL), by an actor whose name needs quoting.
	for _, w := range []struct{ actor, key string }{{"principal/test", "bulk-1"}, {`principal/"q" b\s 科`, ""}} {
		ctx, _ := ledger.WithIdempotency(ledger.WithActor(context.Background(), w.actor), w.key, []byte("h"))
		es, err := l.Write(ctx, func(_ context.Context, tx *ledger.Tx) error {
			for i := 0; i < n; i++ {
				eff := day.AddDate(0, 0, i)
				if _, err := tx.Append(ledger.Draft{Kind: "test.bulk", Subject: fmt.Sprintf("bulk/%d \"x\" 同族", i), EffectiveOn: eff,
					Payload: payloads[i%len(payloads)]}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil || len(es) != n {
			t.Fatalf("bulk write: %d entries, %v", len(es), err)
		}
		for _, e := range es {
			got, err := ledger.Get(context.Background(), db.App, e.Seq)
			if err != nil {
				t.Fatal(err)
			}
			if got.Kind != e.Kind || got.Subject != e.Subject || got.Actor != w.actor || !got.EffectiveOn.Equal(e.EffectiveOn) ||
				!got.RecordedAt.Equal(e.RecordedAt) || string(got.Payload) != string(e.Payload) || got.IdempotencyKey != w.key ||
				got.PrevHash != e.PrevHash || got.Hash != e.Hash {
				t.Fatalf("entry %d:\n stored %+v\n hashed %+v", e.Seq, got, e)
			}
		}
	}
	var nulls int
	if err := db.App.QueryRowContext(context.Background(), `SELECT count(*) FROM ledger.entries WHERE idempotency_key IS NULL`).Scan(&nulls); err != nil || nulls != n+2 {
		t.Fatalf("entries without a key: %d, want %d (%v)", nulls, n+2, err)
	}
	rep, err := ledger.Verify(context.Background(), db.App)
	if err != nil || !rep.OK || rep.Checked != int64(2*n+2) {
		t.Fatalf("verify: %+v %v", rep, err)
	}
}

func TestListPaginatesBySubject(t *testing.T) {
	db := dbtest.New(t)
	l := ledger.New(db.App, ledger.Options{})
	defer l.Close()
	for i := 0; i < 10; i++ {
		if _, err := l.Append(actorCtx(), ledger.Draft{Kind: "k", Subject: fmt.Sprintf("s/%d", i%2), EffectiveOn: day, Payload: map[string]any{"i": i}}); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	var seqs []int64
	after := int64(0)
	for {
		page, err := ledger.List(ctx, db.App, ledger.Filter{After: after, Subject: "s/1", Limit: 2})
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		for _, e := range page {
			seqs = append(seqs, e.Seq)
			after = e.Seq
		}
	}
	if got, want := fmt.Sprint(seqs), "[2 4 6 8 10]"; got != want {
		t.Fatalf("seqs = %s, want %s", got, want)
	}
	if _, err := ledger.Get(ctx, db.App, 999); !errors.Is(err, ledger.ErrNotFound) {
		t.Fatalf("Get(999) err = %v", err)
	}
}

// Long chains are verified in ranges on several connections; a fault at a range boundary
// must still be named exactly.
func TestVerifyRangesFindBoundaryFaults(t *testing.T) {
	db := dbtest.New(t)
	l := ledger.New(db.App, ledger.Options{})
	defer l.Close()
	const n = 12_000 // 4 ranges of 3,000
	drafts := make([]ledger.Draft, 1000)
	for done := 0; done < n; done += len(drafts) {
		for k := range drafts {
			drafts[k] = ledger.Draft{Kind: "k", Subject: fmt.Sprintf("s/%d", done+k), EffectiveOn: day, Payload: map[string]any{"i": done + k}}
		}
		if _, err := l.Append(actorCtx(), drafts...); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	rep, err := ledger.Verify(ctx, db.App)
	if err != nil || !rep.OK || rep.Checked != n || rep.HeadSeq != n {
		t.Fatalf("clean: %+v %v", rep, err)
	}
	super := db.Super(t)
	tamper := func(stmt string) {
		t.Helper()
		for _, s := range []string{`ALTER TABLE ledger.entries DISABLE TRIGGER USER`, stmt, `ALTER TABLE ledger.entries ENABLE TRIGGER USER`} {
			if _, err := super.ExecContext(ctx, s); err != nil {
				t.Fatalf("%s: %v", s, err)
			}
		}
	}
	tamper(`DELETE FROM ledger.entries WHERE seq = 6000`) // last of the second range
	rep, _ = ledger.Verify(ctx, db.App)
	if rep.OK || *rep.FirstBadSeq != 6000 {
		t.Fatalf("deleted 6000: %+v", rep)
	}
	tamper(`UPDATE ledger.entries SET actor = 'principal/mallory' WHERE seq = 3001`) // first of the second
	rep, _ = ledger.Verify(ctx, db.App)
	if rep.OK || *rep.FirstBadSeq != 3001 {
		t.Fatalf("changed 3001: %+v", rep)
	}
}

func tamperAs(t *testing.T, db *dbtest.DB, stmt string) {
	t.Helper()
	super := db.Super(t)
	for _, s := range []string{`ALTER TABLE ledger.entries DISABLE TRIGGER USER`, stmt, `ALTER TABLE ledger.entries ENABLE TRIGGER USER`} {
		if _, err := super.ExecContext(context.Background(), s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// Entries deleted from the end leave a chain that links perfectly; the head row gives it away.
func TestVerifyFindsTailTruncation(t *testing.T) {
	db := dbtest.New(t)
	l := ledger.New(db.App, ledger.Options{})
	defer l.Close()
	mustAppend(t, l, 5)
	tamperAs(t, db, `DELETE FROM ledger.entries WHERE seq >= 4`)
	rep, err := ledger.Verify(context.Background(), db.App)
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK || rep.FirstBadSeq == nil || *rep.FirstBadSeq != 4 {
		t.Fatalf("truncated chain: %+v, want first bad seq 4", rep)
	}
}

// One write whose entries Postgres refuses at insert time must not fail the others in its
// batch: the batch is retried write by write.
func TestPoisonedBatchFailsOnlyTheCulprit(t *testing.T) {
	db := dbtest.New(t)
	l := ledger.New(db.App, ledger.Options{})
	defer l.Close()
	// An index entry cannot exceed ~2.7 kB: a long incompressible subject breaks the insert.
	var sb strings.Builder
	for i := 0; sb.Len() < 6000; i++ {
		fmt.Fprintf(&sb, "%x", i*2654435761)
	}
	poison := sb.String()
	var wg sync.WaitGroup
	errs := make([]error, 30)
	for i := range errs {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			subject := fmt.Sprintf("s/%d", i)
			if i == 7 {
				subject = "s/" + poison
			}
			_, errs[i] = l.Append(actorCtx(), ledger.Draft{Kind: "k", Subject: subject, EffectiveOn: day, Payload: map[string]any{"i": i}})
		}(i)
	}
	wg.Wait()
	for i, err := range errs {
		if (i == 7) != (err != nil) {
			t.Fatalf("write %d: err = %v", i, err)
		}
	}
	rep, err := ledger.Verify(context.Background(), db.App)
	if err != nil || !rep.OK || rep.Checked != 29 {
		t.Fatalf("verify: %+v %v", rep, err)
	}
}

// A statement that times out fails its own write; the batch's connection survives.
func TestTimedOutWriteFailsAlone(t *testing.T) {
	db := dbtest.New(t)
	l := ledger.New(db.App, ledger.Options{})
	defer l.Close()
	var wg sync.WaitGroup
	errs := make([]error, 10)
	for i := range errs {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, errs[i] = l.Write(actorCtx(), func(ctx context.Context, tx *ledger.Tx) error {
				if _, err := tx.Append(ledger.Draft{Kind: "k", Subject: fmt.Sprintf("s/%d", i), EffectiveOn: day, Payload: map[string]any{}}); err != nil {
					return err
				}
				if i == 3 {
					if _, err := tx.DB().ExecContext(ctx, `SET LOCAL statement_timeout = 50`); err != nil {
						return err
					}
					_, err := tx.DB().ExecContext(ctx, `SELECT pg_sleep(1)`)
					return err
				}
				return nil
			})
		}(i)
	}
	wg.Wait()
	for i, err := range errs {
		if (i == 3) != (err != nil) {
			t.Fatalf("write %d: err = %v", i, err)
		}
	}
	if _, err := l.Append(actorCtx(), ledger.Draft{Kind: "k", Subject: "after", EffectiveOn: day, Payload: map[string]any{}}); err != nil {
		t.Fatalf("the ledger is broken after a timeout: %v", err)
	}
}

func TestCloseNeverStrandsAWriter(t *testing.T) {
	db := dbtest.New(t)
	l := ledger.New(db.App, ledger.Options{})
	var wg sync.WaitGroup
	var ok, closed atomic.Int64
	for i := 0; i < 200; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, err := l.Append(actorCtx(), ledger.Draft{Kind: "k", Subject: fmt.Sprintf("s/%d", i), EffectiveOn: day, Payload: map[string]any{}})
			switch {
			case err == nil:
				ok.Add(1)
			case errors.Is(err, ledger.ErrClosed):
				closed.Add(1)
			default:
				t.Errorf("write %d: %v", i, err)
			}
		}(i)
		if i == 100 {
			go l.Close()
		}
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("writers still waiting 30 s after Close")
	}
	l.Close()
	rep, err := ledger.Verify(context.Background(), db.App)
	if err != nil || !rep.OK || rep.Checked != ok.Load() {
		t.Fatalf("verify %+v %v; %d acknowledged, %d refused", rep, err, ok.Load(), closed.Load())
	}
}

func TestNestedWriteIsRefused(t *testing.T) {
	db := dbtest.New(t)
	l := ledger.New(db.App, ledger.Options{})
	defer l.Close()
	_, err := l.Write(actorCtx(), func(ctx context.Context, tx *ledger.Tx) error {
		_, err := l.Append(ctx, ledger.Draft{Kind: "k", Subject: "s", EffectiveOn: day, Payload: map[string]any{}})
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "inside a write") {
		t.Fatalf("nested write: err = %v", err)
	}
}

func TestAppendRefusesWhatPostgresWould(t *testing.T) {
	db := dbtest.New(t)
	l := ledger.New(db.App, ledger.Options{})
	defer l.Close()
	for name, d := range map[string]ledger.Draft{
		"YearZero":   {Kind: "k", Subject: "s", EffectiveOn: time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC), Payload: map[string]any{}},
		"NULInKind":  {Kind: "k\x00", Subject: "s", EffectiveOn: day, Payload: map[string]any{}},
		"BadUTF8":    {Kind: "k", Subject: "s\xff", EffectiveOn: day, Payload: map[string]any{}},
		"HugeNumber": {Kind: "k", Subject: "s", EffectiveOn: day, Payload: json.RawMessage(`{"n": 0.` + strings.Repeat("1", 16384) + `}`)},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := l.Append(actorCtx(), d); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

// An idempotency key is hashed as given and stored as text: a key Postgres would change (bytes
// that are not UTF-8 become U+FFFD on the way in) or refuse (NUL) is refused before anything is
// written, on the VALUES path and the bulk path alike, so no stored entry differs from its hash.
func TestWriteRefusesAKeyPostgresWouldChange(t *testing.T) {
	db := dbtest.New(t)
	l := ledger.New(db.App, ledger.Options{})
	defer l.Close()
	mustAppend(t, l, 1)
	for _, key := range []string{"k\xff", "k\x00"} {
		for _, n := range []int{1, pgcopy.MinRows} {
			ctx, _ := ledger.WithIdempotency(actorCtx(), key, []byte("h"))
			_, err := l.Write(ctx, func(_ context.Context, tx *ledger.Tx) error {
				for i := 0; i < n; i++ {
					if _, err := tx.Append(ledger.Draft{Kind: "k", Subject: "s", EffectiveOn: day, Payload: map[string]any{}}); err != nil {
						return err
					}
				}
				return nil
			})
			if err == nil {
				t.Errorf("key %q, %d entries: accepted", key, n)
			}
		}
	}
	rep, err := ledger.Verify(context.Background(), db.App)
	if err != nil || !rep.OK || rep.Checked != 1 {
		t.Fatalf("verify: %+v %v", rep, err)
	}
}
