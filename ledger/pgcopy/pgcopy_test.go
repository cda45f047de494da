package pgcopy_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/driver/pgdriver"

	"ipledger/ledger/pgcopy"
	"ipledger/migrations/dbtest"
)

// texts are values whose every byte must arrive as sent: the format's own characters, a
// lone end-of-data marker, the text of a NULL, and every ASCII byte but NUL.
func texts() []string {
	ss := []string{"", `\`, `\\`, `\.`, `\N`, "NULL", "a\tb", "a\nb", "a\rb", "\r\n", `tab\there`,
		"科尔沁区 \"quoted\" 'single'", "🐎 \u2028", `{"title":"back\\slash \"q\""}`, "trailing\\"}
	var all strings.Builder
	for c := byte(1); c < 0x80; c++ {
		ss = append(ss, string([]byte{c}))
		all.WriteByte(c)
	}
	return append(ss, all.String())
}

// copyBack copies rows of (text, bigint, boolean, bytea) and reads them back in order.
func copyBack(t *testing.T, db *bun.DB, fill func(r *pgcopy.Rows)) (got []row, err error) {
	t.Helper()
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `CREATE TEMP TABLE IF NOT EXISTS copied (n serial, t text, i bigint, b boolean, by bytea,
		CHECK (t IS DISTINCT FROM 'refused')); TRUNCATE copied`); err != nil {
		t.Fatal(err)
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	var rows pgcopy.Rows
	fill(&rows)
	n, err := pgcopy.From(ctx, conn, "copied", []string{"t", "i", "b", "by"}, &rows)
	if err != nil {
		return nil, err
	}
	if n != int64(rows.Len()) {
		t.Fatalf("copied %d rows, sent %d", n, rows.Len())
	}
	err = tx.NewRaw(`SELECT t, i, b, by FROM copied ORDER BY n`).Scan(ctx, &got)
	if err != nil {
		t.Fatal(err)
	}
	return got, nil
}

type row struct {
	T  *string
	I  *int64
	B  *bool
	By []byte
}

func TestCopiedValuesArriveAsSent(t *testing.T) {
	db := dbtest.New(t)
	ss := texts()
	ints := []int64{0, -1, 1 << 62, -1 << 63}
	got, err := copyBack(t, db.App, func(r *pgcopy.Rows) {
		for i, s := range ss {
			r.Text(s)
			r.Int(ints[i%len(ints)])
			r.Bool(i%2 == 0)
			r.Bytea([]byte(s))
			r.End()
		}
		r.Null()
		r.Null()
		r.Null()
		r.Null()
		r.End()
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(ss)+1 {
		t.Fatalf("%d rows back, want %d", len(got), len(ss)+1)
	}
	for i, s := range ss {
		g := got[i]
		if g.T == nil || *g.T != s || g.I == nil || *g.I != ints[i%len(ints)] || g.B == nil || *g.B != (i%2 == 0) || !bytes.Equal(g.By, []byte(s)) {
			t.Errorf("row %d: sent %q, got %+v", i, s, g)
		}
	}
	if last := got[len(ss)]; last.T != nil || last.I != nil || last.B != nil || last.By != nil {
		t.Errorf("NULLs came back as %+v", last)
	}
}

// A row the server refuses fails the whole COPY with the server's error, and the connection
// stays usable once the transaction is rolled back.
func TestRefusedCopyIsTheServersError(t *testing.T) {
	db := dbtest.New(t)
	db.App.SetMaxOpenConns(1) // one connection: the same backend unless it was closed
	pid := func() (n int) {
		if err := db.App.QueryRowContext(context.Background(), `SELECT pg_backend_pid()`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := pid()
	_, err := copyBack(t, db.App, func(r *pgcopy.Rows) {
		for _, s := range []string{"fine", "refused", "fine too"} {
			r.Text(s)
			r.Int(1)
			r.Bool(true)
			r.Null()
			r.End()
		}
	})
	var pe pgdriver.Error
	if !errors.As(err, &pe) || pe.Field('C') != "23514" {
		t.Fatalf("err = %v, want the server's check_violation", err)
	}
	got, err := copyBack(t, db.App, func(r *pgcopy.Rows) { r.Text("after"); r.Int(2); r.Bool(false); r.Null(); r.End() })
	if err != nil || len(got) != 1 || *got[0].T != "after" {
		t.Fatalf("after a refused copy: %+v, %v", got, err)
	}
	if after := pid(); after != before {
		t.Fatalf("the connection was replaced (backend %d, then %d): a refusal must not close it", before, after)
	}
}

func TestUnendedRowIsRefused(t *testing.T) {
	db := dbtest.New(t)
	_, err := copyBack(t, db.App, func(r *pgcopy.Rows) { r.Text("x") })
	if err == nil {
		t.Fatal("a row without End was copied")
	}
}

// unescape reads one field of COPY's text format as the server does (the COPY page of the
// Postgres manual, "Text Format").
func unescape(f string) string {
	var b strings.Builder
	for i := 0; i < len(f); i++ {
		if f[i] != '\\' || i+1 == len(f) {
			b.WriteByte(f[i])
			continue
		}
		i++
		switch c := f[i]; c {
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'v':
			b.WriteByte('\v')
		default:
			b.WriteByte(c) // the octal and hex forms are never written
		}
	}
	return b.String()
}

// FuzzText: a text value is one field (no raw tab, newline or carriage return), never the NULL
// marker, and reads back as itself.
func FuzzText(f *testing.F) {
	for _, s := range texts() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 {
			return // Postgres text holds neither; callers refuse them first
		}
		var r pgcopy.Rows
		r.Text(s)
		r.Text("next")
		r.End()
		line := string(pgcopy.Data(&r))
		fields := strings.Split(strings.TrimSuffix(line, "\n"), "\t")
		if strings.ContainsAny(strings.TrimSuffix(line, "\n"), "\n\r") || len(fields) != 2 {
			t.Fatalf("%q written as %q: not one field", s, line)
		}
		if fields[0] == `\N` {
			t.Fatalf("%q written as the NULL marker", s)
		}
		if got := unescape(fields[0]); got != s {
			t.Fatalf("%q written as %q, read back as %q", s, fields[0], got)
		}
	})
}

// A row made ahead (Head) and ended later (Continue) is the row written in one go.
func TestHeadContinuesARow(t *testing.T) {
	var ahead pgcopy.Rows
	ahead.Text("a\tb")
	ahead.Int(1)
	h := ahead.Head()
	if ahead.Len() != 0 || len(pgcopy.Data(&ahead)) != 0 {
		t.Fatalf("Head left %q", pgcopy.Data(&ahead))
	}
	var later, whole pgcopy.Rows
	later.Continue(h)
	later.Int(2)
	later.End()
	later.Continue(pgcopy.Head{}) // no field: nothing added
	later.Int(3)
	later.End()
	var empty pgcopy.Rows
	empty.Text("") // one field, an empty text: kept
	later.Continue(empty.Head())
	later.Int(4)
	later.End()
	whole.Text("a\tb")
	whole.Int(1)
	whole.Int(2)
	whole.End()
	whole.Int(3)
	whole.End()
	whole.Text("")
	whole.Int(4)
	whole.End()
	if got, want := string(pgcopy.Data(&later)), string(pgcopy.Data(&whole)); got != want || later.Len() != 3 {
		t.Fatalf("continued rows %q (%d), want %q", got, later.Len(), want)
	}
}

// COPY runs on the connection of a pgcopy.Tx; anything else is refused, unless there is
// nothing to copy.
func TestCopyNeedsATx(t *testing.T) {
	db := dbtest.New(t)
	ctx := context.Background()
	var none pgcopy.Rows
	if err := pgcopy.Copy(ctx, db.App, "t", []string{"c"}, &none); err != nil {
		t.Fatalf("no rows: %v", err)
	}
	var one pgcopy.Rows
	one.Int(1)
	one.End()
	if err := pgcopy.Copy(ctx, db.App, "t", []string{"c"}, &one); err == nil || !strings.Contains(err.Error(), "pgcopy.Tx") {
		t.Fatalf("copy on a pool: %v", err)
	}
	tx, err := pgcopy.Begin(ctx, db.App, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `CREATE TEMP TABLE t (c int)`); err != nil {
		t.Fatal(err)
	}
	if err := pgcopy.Copy(ctx, tx, "t", []string{"c"}, &one); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM t WHERE c = 1`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("copied %d rows, %v", n, err)
	}
}
