package registry

import (
	"context"
	"testing"

	"github.com/uptrace/bun/dialect/pgdialect"

	"ipledger/migrations/dbtest"
	"ipledger/registry/term"
)

// A date column scans into a term.Date (NULL: the zero Date) through database/sql and
// through bun, and a term.Date binds as that day (the zero Date as NULL), interpolated by
// bun or sent as a driver argument.
func TestDateColumn(t *testing.T) {
	db := dbtest.New(t).App
	ctx := context.Background()
	for _, day := range []string{"0001-01-01", "2023-12-31", "2024-01-01", "2024-02-29", "9999-12-31"} {
		want := d(day)
		var got, null term.Date = term.New(1999, 9, 9), term.New(1999, 9, 9)
		if err := db.QueryRowContext(ctx, `SELECT ?::date, NULL::date`, day).Scan(&got, &null); err != nil {
			t.Fatal(err)
		}
		if got != want || !null.IsZero() {
			t.Fatalf("database/sql: %s scanned as %v, NULL as %v", day, got, null)
		}
		var row struct {
			On  term.Date  `bun:"on"`
			Off term.Date  `bun:"off"`
			Ptr *term.Date `bun:"ptr"`
		}
		row.Off = term.New(1999, 9, 9)
		if err := db.NewRaw(`SELECT ?::date AS on, NULL::date AS off, NULL::date AS ptr`, day).Scan(ctx, &row); err != nil {
			t.Fatal(err)
		}
		if row.On != want || !row.Off.IsZero() || row.Ptr != nil {
			t.Fatalf("bun: %s scanned as %+v", day, row)
		}
		// Bound: Postgres reads the argument as that day, by bun's interpolation and by the driver.
		var days int
		var same bool
		if err := db.QueryRowContext(ctx, `SELECT ?::date - '2000-01-01'::date, ? = ?::date`, want, want, day).Scan(&days, &same); err != nil {
			t.Fatal(err)
		}
		if wantDays := int((want.Time().Unix() - d("2000-01-01").Time().Unix()) / 86400); days != wantDays || !same {
			t.Fatalf("bun bound %v as %d days from 2000-01-01 (want %d), equal to %s: %v", want, days, wantDays, day, same)
		}
		if err := db.DB.QueryRowContext(ctx, `SELECT $1::date = $2::date`, want, day).Scan(&same); err != nil || !same {
			t.Fatalf("driver bound %v: equal %v, %v", want, same, err)
		}
	}
	var isNull bool
	if err := db.QueryRowContext(ctx, `SELECT ?::date IS NULL`, term.Date{}).Scan(&isNull); err != nil || !isNull {
		t.Fatalf("the zero Date bound: NULL %v, %v", isNull, err)
	}
	// A day the domain has no Date for is an error, not a silent zero.
	var got term.Date
	if err := db.QueryRowContext(ctx, `SELECT '0044-03-15 BC'::date`).Scan(&got); err == nil {
		t.Fatalf("a BC date scanned as %v", got)
	}
}

// queryIDs answers no rows with an empty list, not an error: an empty page is a page.
func TestQueryIDs(t *testing.T) {
	f := newFixture(t)
	ids, err := queryIDs(f.ctx, f.s.db, `SELECT id FROM registry.pledges WHERE false`)
	if err != nil || len(ids) != 0 {
		t.Fatalf("no rows: %v, %v", ids, err)
	}
	ids, err = queryIDs(f.ctx, f.s.db, `SELECT x::uuid FROM unnest(?::text[]) WITH ORDINALITY AS u(x, n) ORDER BY n`,
		pgdialect.Array([]string{"01000000-0000-7000-8000-000000000002", "01000000-0000-7000-8000-000000000001"}))
	if err != nil || len(ids) != 2 || ids[0].String() != "01000000-0000-7000-8000-000000000002" || ids[1].String() != "01000000-0000-7000-8000-000000000001" {
		t.Fatalf("two rows in order: %v, %v", ids, err)
	}
	ps, next, err := f.s.ListPledges(f.ctx, OfficeViewer(), PledgeFilter{Limit: 10})
	if err != nil || len(ps) != 0 || next != "" {
		t.Fatalf("an empty register's pledges: %v %q %v", ps, next, err)
	}
}
