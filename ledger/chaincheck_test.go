package ledger_test

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"strings"
	"testing"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/driver/pgdriver"

	"ipledger/ledger"
	"ipledger/migrations"
	"ipledger/migrations/dbtest"
)

// chainRow is the part of an entry the chain check looks at.
type chainRow struct {
	seq        int64
	prev, hash []byte
}

// insertRows inserts rows in one INSERT statement, in the order given, and rolls it back.
// No rows: a statement that inserts nothing.
func insertRows(t *testing.T, db *bun.DB, rows ...chainRow) error {
	t.Helper()
	ctx := context.Background()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if len(rows) == 0 {
		_, err := tx.ExecContext(ctx, `INSERT INTO ledger.entries SELECT * FROM ledger.entries WHERE false`)
		return err
	}
	q := `INSERT INTO ledger.entries (seq, kind, subject, actor, effective_on, recorded_at, payload, prev_hash, hash) VALUES `
	var args []any
	for i, r := range rows {
		if i > 0 {
			q += ", "
		}
		q += `(?, 'k', 's', 'a', '2024-03-01', now(), '{}', ?, ?)`
		args = append(args, r.seq, r.prev, r.hash)
	}
	_, err = tx.ExecContext(ctx, q, args...)
	return err
}

// chainRefusal reports whether err is the chain check's refusal: its message and SQLSTATE
// 23000 (integrity_constraint_violation).
func chainRefusal(err error, msg string) bool {
	var pg pgdriver.Error
	return errors.As(err, &pg) && pg.Field('C') == "23000" && strings.Contains(err.Error(), msg)
}

// The chain check (migration 0025: once per INSERT statement) refuses, for every role, a
// statement whose rows do not continue the chain in seq order, and takes one that does.
func TestChainCheckPerStatement(t *testing.T) {
	db := dbtest.New(t)
	l := ledger.New(db.App, ledger.Options{})
	defer l.Close()
	es := mustAppend(t, l, 3)
	h3 := es[2].Hash[:]
	x, y := bytes.Repeat([]byte{7}, 32), bytes.Repeat([]byte{8}, 32)
	cases := []struct {
		name string
		rows []chainRow
		ok   bool
	}{
		{"Follows", []chainRow{{4, h3, x}}, true},
		{"TwoFollow", []chainRow{{4, h3, x}, {5, x, y}}, true},
		{"TwoFollowListedBackwards", []chainRow{{5, x, y}, {4, h3, x}}, true},
		{"None", nil, true},
		{"WrongPrevHash", []chainRow{{4, es[1].Hash[:], x}}, false},
		{"Gap", []chainRow{{5, h3, x}}, false},
		{"SecondDoesNotFollowFirst", []chainRow{{4, h3, x}, {5, h3, y}}, false},
		{"GapInside", []chainRow{{4, h3, x}, {6, x, y}}, false},
		{"RewritesAnEarlierLink", []chainRow{{3, es[1].Hash[:], x}}, false}, // seq 3 taken: the key refuses it
	}
	for _, role := range []struct {
		name string
		db   *bun.DB
	}{{"App", db.App}, {"Super", db.Super(t)}} {
		t.Run(role.name, func(t *testing.T) {
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					err := insertRows(t, role.db, c.rows...)
					if c.ok && err != nil {
						t.Fatalf("refused: %v", err)
					}
					if !c.ok && err == nil {
						t.Fatal("accepted")
					}
					if !c.ok && c.name != "RewritesAnEarlierLink" && !chainRefusal(err, "ledger chain: entry") {
						t.Fatalf("err = %v, want the chain's refusal", err)
					}
				})
			}
		})
	}
	t.Run("NotTheLast", func(t *testing.T) {
		// An entry past the statement's rows (slipped in with the triggers off) is refused too.
		super := db.Super(t)
		for _, stmt := range []string{
			`ALTER TABLE ledger.entries DISABLE TRIGGER USER`,
			`INSERT INTO ledger.entries (seq, kind, subject, actor, effective_on, recorded_at, payload, prev_hash, hash)
				VALUES (5, 'k', 's', 'a', '2024-03-01', now(), '{}', '\x` + strings.Repeat("07", 32) + `', '\x` + strings.Repeat("08", 32) + `')`,
			`ALTER TABLE ledger.entries ENABLE TRIGGER USER`,
		} {
			if _, err := super.ExecContext(context.Background(), stmt); err != nil {
				t.Fatalf("%s: %v", stmt, err)
			}
		}
		if err := insertRows(t, super, chainRow{4, h3, x}); !chainRefusal(err, "ledger chain: entry 4 is not the last") {
			t.Fatalf("err = %v, want the chain's refusal", err)
		}
	})
}

// The first entry follows the zero hash, and only it may open the chain.
func TestChainCheckFirstEntry(t *testing.T) {
	db := dbtest.New(t)
	zero, x := make([]byte, 32), bytes.Repeat([]byte{7}, 32)
	for _, c := range []struct {
		name string
		rows []chainRow
		ok   bool
	}{
		{"FollowsTheZeroHash", []chainRow{{1, zero, x}}, true},
		{"TwoFromTheStart", []chainRow{{2, x, zero}, {1, zero, x}}, true},
		{"OtherPrevHash", []chainRow{{1, x, zero}}, false},
		{"StartsAtTwo", []chainRow{{2, zero, x}}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := insertRows(t, db.App, c.rows...)
			if c.ok && err != nil {
				t.Fatalf("refused: %v", err)
			}
			if !c.ok && !chainRefusal(err, "ledger chain: entry") {
				t.Fatalf("err = %v, want the chain's refusal", err)
			}
		})
	}
}

// 0025's down migration puts 0001's row check back exactly (its function body as 0001 wrote
// it, its trigger), and up takes the statement check again.
func TestChainCheckMigratesDownAndUp(t *testing.T) {
	db := dbtest.New(t)
	ctx := context.Background()
	super := db.Super(t)
	l := ledger.New(db.App, ledger.Options{})
	defer l.Close()
	es := mustAppend(t, l, 2)
	x, y := bytes.Repeat([]byte{7}, 32), bytes.Repeat([]byte{8}, 32)
	backwards := []chainRow{{4, x, y}, {3, es[1].Hash[:], x}}
	triggers := func() string {
		t.Helper()
		var defs []string
		if err := super.NewRaw(`SELECT pg_get_triggerdef(oid) FROM pg_trigger
			WHERE tgrelid = 'ledger.entries'::regclass AND tgname LIKE 'entries_link%' ORDER BY tgname`).Scan(ctx, &defs); err != nil {
			t.Fatal(err)
		}
		return strings.Join(defs, "\n")
	}

	m, err := migrations.New(ctx, super.DB)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if err := m.DownTo(24); err != nil {
		t.Fatal(err)
	}
	src, err := fs.ReadFile(migrations.FS(), "sql/0001_ledger.up.sql")
	if err != nil {
		t.Fatal(err)
	}
	_, fn, _ := strings.Cut(string(src), "CREATE FUNCTION ledger.check_link()")
	_, body, _ := strings.Cut(fn, "$$")
	body, _, _ = strings.Cut(body, "$$")
	var got string
	if err := super.QueryRowContext(ctx, `SELECT prosrc FROM pg_proc WHERE oid = 'ledger.check_link'::regproc`).Scan(&got); err != nil {
		t.Fatal(err)
	}
	if body == "" || got != body {
		t.Fatalf("check_link after down:\n%s\nwant 0001's:\n%s", got, body)
	}
	if want := "CREATE TRIGGER entries_link BEFORE INSERT ON ledger.entries FOR EACH ROW EXECUTE FUNCTION ledger.check_link()"; triggers() != want {
		t.Fatalf("triggers after down: %q, want %q", triggers(), want)
	}
	// The row check wants each row to follow the one inserted before it.
	if err := insertRows(t, super, backwards...); !chainRefusal(err, "ledger chain: entry 4 does not follow entry 2") {
		t.Fatalf("rows listed backwards under the row check: %v", err)
	}
	mustAppend(t, l, 1)

	if err := m.Up(); err != nil {
		t.Fatal(err)
	}
	if want := "CREATE TRIGGER entries_links AFTER INSERT ON ledger.entries REFERENCING NEW TABLE AS new_entries FOR EACH STATEMENT EXECUTE FUNCTION ledger.check_links()"; triggers() != want {
		t.Fatalf("triggers after up: %q, want %q", triggers(), want)
	}
	es = mustAppend(t, l, 1)
	h := es[0].Hash[:]
	if err := insertRows(t, super, chainRow{6, x, y}, chainRow{5, h, x}); err != nil {
		t.Fatalf("rows listed backwards under the statement check: %v", err)
	}
	rep, err := ledger.Verify(ctx, db.App)
	if err != nil || !rep.OK || rep.Checked != 4 {
		t.Fatalf("verify: %+v %v", rep, err)
	}
}

// The check reads ledger.entries only through its key, whatever plan PL/pgSQL caches: with
// generic plans forced over an analyzed table of 20,000 entries, appending statements scan
// none of it (EXISTS (… WHERE seq > hi) did, on every append).
func TestChainCheckScansNoTable(t *testing.T) {
	db := dbtest.New(t)
	ctx := context.Background()
	conn, err := db.Super(t).Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := conn.ExecContext(ctx, q, args...); err != nil {
			t.Fatalf("%.60s: %v", q, err)
		}
	}
	const n = 20_000
	exec(`SET session_replication_role = replica`) // the rows go in unchecked; only the last one's hash matters
	exec(`INSERT INTO ledger.entries (seq, kind, subject, actor, effective_on, recorded_at, payload, prev_hash, hash)
		SELECT g, 'k', 's', 'a', '2024-03-01', now(), '{}', sha256(int8send(g - 1)), sha256(int8send(g))
		FROM generate_series(1, ?::bigint) g`, n)
	exec(`ANALYZE ledger.entries`)
	exec(`SET session_replication_role = origin`)
	exec(`SET plan_cache_mode = force_generic_plan`)
	seqScans := func() int64 {
		t.Helper()
		var s int64
		exec(`SELECT pg_stat_force_next_flush()`)
		if err := conn.QueryRowContext(ctx, `SELECT seq_scan FROM pg_stat_user_tables WHERE relid = 'ledger.entries'::regclass`).Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	before := seqScans()
	for seq := int64(n + 1); seq <= n+10; seq++ {
		exec(`INSERT INTO ledger.entries (seq, kind, subject, actor, effective_on, recorded_at, payload, prev_hash, hash)
			VALUES (?, 'k', 's', 'a', '2024-03-01', now(), '{}', sha256(int8send(?::bigint - 1)), sha256(int8send(?::bigint)))`, seq, seq, seq)
	}
	if after := seqScans(); after != before {
		t.Fatalf("ten appends scanned ledger.entries %d times", after-before)
	}
	var last int64
	if err := conn.QueryRowContext(ctx, `SELECT max(seq) FROM ledger.entries`).Scan(&last); err != nil || last != n+10 {
		t.Fatalf("last seq %d, %v", last, err)
	}
}
