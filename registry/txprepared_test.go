package registry

import (
	"context"
	"maps"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"ipledger/ledger"
	"ipledger/ledger/pgcopy"
	"ipledger/registry/term"
)

func TestDollarPlaceholdersPositional(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`a = ?0 AND b = ANY(?1::uuid[]) OR c = ?0`, `a = $1 AND b = ANY($2::uuid[]) OR c = $1`},
		{`x = ?10 AND '?1' = ?2`, `x = $11 AND '?1' = $3`},
	} {
		if got := dollarPlaceholders(c.in); got != c.want {
			t.Errorf("%q: got %q, want %q", c.in, got, c.want)
		}
	}
}

func isCached(pool *bun.DB, query string) bool { return isPrepared(pool.DB, query) }

// queryStrings runs a query of one text column and returns its rows.
func queryStrings(t *testing.T, db bun.IDB, query string, args ...any) []string {
	t.Helper()
	rows, err := db.QueryContext(context.Background(), query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestTxPreparedSeesOwnWrites: a statement run through txPrepared is prepared on the pool and
// bound to the transaction: it reads what the transaction wrote before it (unprepared or
// prepared), its own writes are seen by the transaction's other statements, and nothing is
// seen outside the transaction after a rollback.
func TestTxPreparedSeesOwnWrites(t *testing.T) {
	f := newFixture(t)
	pool := f.l.DB()
	const (
		ins = `INSERT INTO registry.params (name, value, effective_on, known_from) VALUES (?, ?::jsonb, ?::date, ?)`
		sel = `SELECT value::text FROM registry.params WHERE name = ? AND known_to IS NULL`
	)
	tx := begin(t, f)
	db := withPrepared(tx, pool)
	if _, ok := db.(txPrepared); !ok {
		t.Fatalf("withPrepared(tx) is %T", db)
	}
	// Written unprepared, read prepared.
	if _, err := tx.ExecContext(f.ctx, ins, "test.before", `1`, "2025-01-01", int64(1)); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 7; i++ { // past the executions after which Postgres may plan generically
		var v string
		if err := db.QueryRowContext(f.ctx, sel, "test.before").Scan(&v); err != nil || v != "1" {
			t.Fatalf("read %d of the transaction's row: %q, %v", i, v, err)
		}
	}
	// Written prepared, read prepared and unprepared.
	if _, err := db.ExecContext(f.ctx, ins, "test.after", `"x"`, "2025-01-01", int64(2)); err != nil {
		t.Fatal(err)
	}
	got := queryStrings(t, db, sel, "test.after")
	var raw string
	if err := tx.QueryRowContext(f.ctx, sel, "test.after").Scan(&raw); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, []string{`"x"`}) || raw != `"x"` {
		t.Fatalf("the prepared insert: read prepared %q, unprepared %q", got, raw)
	}
	for _, q := range []string{ins, sel} {
		if !isCached(pool, q) {
			t.Errorf("not prepared on the pool: %s", q)
		}
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := pool.QueryRowContext(f.ctx, `SELECT count(*) FROM registry.params WHERE name LIKE 'test.%'`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("after the rollback %d rows are seen (%v)", n, err)
	}
}

// TestTxPreparedArguments: arguments are bound as bun writes them into the text — arrays of
// strings (quotes, backslashes, braces, commas, the word NULL, empty, non-ASCII) and of
// integers — and driver.Valuers as the value they return; an argument of another type runs
// the statement as bun does.
func TestTxPreparedArguments(t *testing.T) {
	f := newFixture(t)
	pool := f.l.DB()
	tx := begin(t, f)
	db := withPrepared(tx, pool)
	strs := []string{`a"b`, `c\d`, `{x,y}`, `NULL`, ``, `合同 no. 7`, `it's`, ` spaced `}
	const q = `SELECT x FROM unnest(?::text[]) WITH ORDINALITY AS u(x, n) ORDER BY n`
	for _, run := range []bun.IDB{tx, db} {
		if got := queryStrings(t, run, q, pgdialect.Array(strs)); !reflect.DeepEqual(got, strs) {
			t.Errorf("%T: got %q, want %q", run, got, strs)
		}
	}
	if !isCached(pool, q) {
		t.Error("the text array statement was not prepared")
	}
	var sum int64
	var n int
	if err := db.QueryRowContext(f.ctx, `SELECT sum(x), count(*) FROM unnest(?::bigint[]) x, unnest(?::int[]) y`,
		pgdialect.Array([]int64{1, -2, 40}), pgdialect.Array([]int{7})).Scan(&sum, &n); err != nil || sum != 39 || n != 3 {
		t.Errorf("integer arrays: sum %d, count %d, %v", sum, n, err)
	}
	// A driver.Valuer binds as the value it returns (term.Date: its day; the zero Date: NULL).
	const day = `SELECT (?::date + 1)::text, ?::date IS NULL`
	var next string
	var null bool
	if err := db.QueryRowContext(f.ctx, day, d("2024-02-28"), term.Date{}).Scan(&next, &null); err != nil || next != "2024-02-29" || !null {
		t.Errorf("term.Date arguments: %q, %v, %v", next, null, err)
	}
	if !isCached(pool, day) {
		t.Error("the statement with term.Date arguments was not prepared")
	}
	// bun.Safe is written into the text as is: not bindable, so the statement runs as bun runs it.
	const safe = `SELECT ?::int + 1`
	var two int
	if err := db.QueryRowContext(f.ctx, safe, bun.Safe("1")).Scan(&two); err != nil || two != 2 {
		t.Errorf("bun.Safe argument: %d, %v", two, err)
	}
	if isCached(pool, safe) {
		t.Error("a statement with an argument bun writes as text was prepared")
	}
}

// TestTxPreparedPoolExhausted: with no connection of the pool free besides the transaction's,
// a statement not prepared yet runs as bun runs it instead of waiting for a connection.
func TestTxPreparedPoolExhausted(t *testing.T) {
	f := newFixture(t)
	pool := f.l.DB()
	pool.DB.SetMaxOpenConns(1)
	tx := begin(t, f)
	ctx, cancel := context.WithTimeout(f.ctx, 10*time.Second)
	defer cancel()
	const q = `SELECT ?::text || 'alone'`
	var got string
	if err := withPrepared(tx, pool).QueryRowContext(ctx, q, "all ").Scan(&got); err != nil || got != "all alone" {
		t.Fatalf("got %q, %v", got, err)
	}
	if isCached(pool, q) {
		t.Error("prepared on a pool without a free connection")
	}
}

// TestTxPreparedNullsAsBun: a nil array, a nil pointer and a zero time reach Postgres as bun
// writes them (NULL, NULL, 0001-01-01): the first two bound, the last by running as bun does.
func TestTxPreparedNullsAsBun(t *testing.T) {
	f := newFixture(t)
	pool := f.l.DB()
	tx := begin(t, f)
	const q = `SELECT (?::text[]) IS NULL, (?::date) IS NULL, (?::timestamptz)::date::text`
	var none []string
	var noDay *term.Date
	for _, run := range []bun.IDB{tx, withPrepared(tx, pool)} {
		var arrNull, dayNull bool
		var zero string
		if err := run.QueryRowContext(f.ctx, q, pgdialect.Array(none), noDay, time.Time{}).Scan(&arrNull, &dayNull, &zero); err != nil {
			t.Fatalf("%T: %v", run, err)
		}
		if !arrNull || !dayNull || zero != "0001-01-01" {
			t.Errorf("%T: nil array NULL %v, nil date NULL %v, zero time %q", run, arrNull, dayNull, zero)
		}
	}
}

// TestPrepareDoesNotHoldTheCache: a statement waiting for a connection to be prepared on does
// not keep others from finding the statements prepared already.
func TestPrepareDoesNotHoldTheCache(t *testing.T) {
	f := newFixture(t)
	pool := f.l.DB()
	const ready = `SELECT ?::int + 40`
	if _, err := prepared.get(f.ctx, pool.DB, ready); err != nil {
		t.Fatal(err)
	}
	pool.DB.SetMaxOpenConns(1)
	tx := begin(t, f) // the pool's one connection
	waiting := make(chan error, 1)
	ctx, cancel := context.WithTimeout(f.ctx, 2*time.Second)
	defer cancel()
	go func() {
		_, err := prepared.get(ctx, pool.DB, `SELECT ?::int + 41`) // waits for a connection
		waiting <- err
	}()
	time.Sleep(100 * time.Millisecond)
	found := make(chan bool, 1)
	go func() { found <- isPrepared(pool.DB, ready) }()
	select {
	case ok := <-found:
		if !ok {
			t.Error("a prepared statement was not found")
		}
	case <-time.After(time.Second):
		t.Fatal("finding a prepared statement waited for another statement's prepare")
	}
	var n int
	if err := withPrepared(tx, pool).QueryRowContext(f.ctx, ready, 2).Scan(&n); err != nil || n != 42 {
		t.Errorf("the transaction's prepared statement: %d, %v", n, err)
	}
	if err := <-waiting; err == nil {
		t.Error("a prepare with no connection to be had did not time out")
	}
}

// TestPrepareOutlastingTheWait: a prepare held up past prepareWait (by a lock on the table it
// reads) leaves its connection fit for the next statement. Under a deadline pgdriver gave up
// mid-reply and the pool handed the connection on with the reply unread, so the next
// statement on it failed with "unexpected message '1'" (CI, TestClaimConcurrentFilings).
func TestPrepareOutlastingTheWait(t *testing.T) {
	f := newFixture(t)
	pool := f.l.DB()
	pool.DB.SetMaxOpenConns(2) // the transaction's and the one to prepare on
	lock, err := f.db.Super(t).BeginTx(f.ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Rollback()
	if _, err := lock.ExecContext(f.ctx, `LOCK TABLE ledger.entries IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	time.AfterFunc(6*prepareWait, func() { lock.Rollback() })
	tx := begin(t, f)
	const q = `SELECT count(*) FROM ledger.entries WHERE seq > ?`
	var n int
	if err := withPrepared(tx, pool).QueryRowContext(f.ctx, q, -1).Scan(&n); err != nil {
		t.Fatalf("the statement: %v", err)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	for i := range 2 { // both connections at once: the pool hands out the last returned first
		c, err := pool.Conn(f.ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		var one int
		if err := c.QueryRowContext(f.ctx, `SELECT ?::int`, 1).Scan(&one); err != nil || one != 1 {
			t.Errorf("connection %d after the slow prepare: %d, %v", i, one, err)
		}
	}
}

// begin opens a transaction on the fixture's pool, rolled back when the test ends.
func begin(t *testing.T, f *fixture) pgcopy.Tx {
	t.Helper()
	tx, err := pgcopy.Begin(f.ctx, f.l.DB(), nil) // as the ledger begins a write
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tx.Rollback() })
	return tx
}

// refusedTexts is how often Postgres refused to prepare each text on pool.
func refusedTexts(pool *bun.DB) map[string]int {
	prepared.mu.Lock()
	defer prepared.mu.Unlock()
	return maps.Clone(prepared.refused[pool.DB])
}

// TestPledgeEventsSendNoTextPostgresRefuses: pledge events that change their rights' spans
// (the amount crosses the high-value line, with an indicator log row and a checkpoint) run
// in a prepared transaction, and no statement of theirs asks Postgres to prepare a text it
// cannot — the span write's several commands in one text cost a refused Parse on another
// connection at every event. A text once refused is not sent to be prepared again.
func TestPledgeEventsSendNoTextPostgresRefuses(t *testing.T) {
	f := newPledgeFixture(t)
	pool := f.l.DB()
	var items []PledgeEventItem
	for _, amount := range []string{"12000000.00", "30000000.00"} {
		p := f.pledge(f.input([]uuid.UUID{f.o1.ID}, f.patent("2016-03-03", f.o1.ID).ID))
		items = append(items, PledgeEventItem{PledgeID: p.ID, Event: PledgeEventInput{Type: PledgeAmend, Amount: amount, EffectiveOn: d("2025-09-01")}},
			PledgeEventItem{PledgeID: p.ID, Event: PledgeEventInput{Type: PledgeExtend, EndsOn: d("2028-06-30"), EffectiveOn: d("2025-10-01")}})
	}
	res, err := f.s.PledgeEvents(f.ctx, OfficeViewer(), items)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		if r.Err != nil {
			t.Fatalf("item %d: %v", i, r.Err)
		}
	}
	var log int
	if err := pool.QueryRowContext(f.ctx, `SELECT count(*) FROM registry.indicator_count_log l JOIN ledger.entries e ON e.seq = l.seq
		WHERE e.kind = ?`, kindPledgeAmended).Scan(&log); err != nil || log == 0 {
		t.Fatalf("the amendments changed no span (%d log rows, %v): the test proves nothing", log, err)
	}
	if q := refusedTexts(pool); len(q) > 0 {
		t.Errorf("Postgres refused to prepare %d texts: %v", len(q), q)
	}

	tx := begin(t, f.fixture)
	const multi = `SELECT ?::int; SELECT 2`
	for range 2 {
		if _, err := withPrepared(tx, pool).ExecContext(f.ctx, multi, 1); err != nil {
			t.Fatal(err)
		}
	}
	if q := refusedTexts(pool); len(q) != 1 || q[multi] != 1 {
		t.Errorf("refused texts %v, want the one of several commands, refused once", q)
	}
}

// planAfresh holds for the rest of its transaction only: the pooled connection goes back to
// reusing generic plans (a SET without LOCAL would leave every later write on it planning
// each statement anew).
func TestPlanAfreshLastsOneTransaction(t *testing.T) {
	f := newFixture(t)
	pool := f.l.DB()
	pool.SetMaxOpenConns(1) // the next transaction gets the same connection
	mode := func(db bun.IDB) string {
		var m string
		if err := db.QueryRowContext(f.ctx, `SHOW plan_cache_mode`).Scan(&m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	tx := begin(t, f)
	db := withPrepared(tx, pool)
	if err := planAfresh(f.ctx, db); err != nil {
		t.Fatal(err)
	}
	if got := mode(db); got != "force_custom_plan" {
		t.Fatalf("in the transaction: %s", got)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if got := mode(pool); got != "auto" {
		t.Fatalf("after it, on the same connection: %s", got)
	}
}

// A bulk write copies through the prepared transaction (asset events: withPrepared, then the
// spans' copy), on the transaction's connection.
func TestCopyThroughTxPrepared(t *testing.T) {
	f := newFixture(t)
	tx := begin(t, f)
	db := withPrepared(tx, f.l.DB())
	if _, ok := db.(txPrepared); !ok {
		t.Fatalf("withPrepared(tx) is %T", db)
	}
	if _, err := db.ExecContext(f.ctx, `CREATE TEMP TABLE copied (n int) ON COMMIT DROP`); err != nil {
		t.Fatal(err)
	}
	var rows pgcopy.Rows
	for i := range 300 {
		rows.Int(int64(i))
		rows.End()
	}
	if err := pgcopy.Copy(f.ctx, db, "copied", []string{"n"}, &rows); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := tx.QueryRowContext(f.ctx, `SELECT count(*) FROM copied`).Scan(&n); err != nil || n != 300 {
		t.Fatalf("the transaction sees %d copied rows, %v", n, err)
	}
}

// A batch write plans afresh from pgcopy.MinRows items on (writeDB), and reuses plans below.
func TestWriteDBPlansBulkAfresh(t *testing.T) {
	f := newFixture(t)
	for _, c := range []struct {
		items int
		want  string
	}{{pgcopy.MinRows - 1, "auto"}, {pgcopy.MinRows, "force_custom_plan"}} {
		var got string
		_, err := f.l.Write(f.ctx, func(ctx context.Context, tx *ledger.Tx) error {
			db, err := writeDB(ctx, tx, f.l.DB(), c.items)
			if err != nil {
				return err
			}
			return db.QueryRowContext(ctx, `SHOW plan_cache_mode`).Scan(&got)
		})
		if err != nil || got != c.want {
			t.Errorf("%d items: plan_cache_mode %q, %v; want %q", c.items, got, err, c.want)
		}
	}
}
