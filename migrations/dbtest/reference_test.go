package dbtest

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"ipledger/migrations/pgdb"
)

func TestMain(m *testing.M) { Main(m) }

// TestReferenceRate: readings share one database of the test binary's (no checkpoint-taking
// DROP DATABASE between them), each in an emptied table, and pgbench's rows are there.
func TestReferenceRate(t *testing.T) {
	ctx := context.Background()
	ReferenceRate(t, time.Second)
	db, err := openSuper(refDB)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, `INSERT INTO one_row (v) VALUES ('left over')`); err != nil {
		t.Fatal(err)
	}
	ReferenceRate(t, time.Second)
	super, err := pgdb.Open(superDSN, pgdb.Config{MaxConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer super.Close()
	var dbs int
	if err := super.QueryRowContext(ctx, `SELECT count(*) FROM pg_database WHERE datname LIKE ?`, fmt.Sprintf("pgbench\\_%d%%", os.Getpid())).Scan(&dbs); err != nil || dbs != 1 {
		t.Fatalf("%d reference databases of this process after two readings (%v), want 1", dbs, err)
	}
	var n, left int64
	if err := db.QueryRowContext(ctx, `SELECT count(*), count(*) FILTER (WHERE v = 'left over') FROM one_row`).Scan(&n, &left); err != nil {
		t.Fatal(err)
	}
	if n == 0 || left != 0 {
		t.Fatalf("one_row holds %d rows, %d of them from before the reading: want the reading's rows alone", n, left)
	}
}

func TestPgbenchTPS(t *testing.T) {
	out := []byte("latency average = 3.2 ms\ninitial connection time = 12.1 ms\ntps = 9812.345678 (without initial connection time)\n")
	if got, err := pgbenchTPS(out); err != nil || got != 9812.345678 {
		t.Fatalf("got %v, %v", got, err)
	}
	for _, bad := range []string{"", "tps = 0.000000 (without initial connection time)\n", "pgbench: error: connection failed\n"} {
		if got, err := pgbenchTPS([]byte(bad)); err == nil {
			t.Errorf("%q: got %v, want an error", bad, got)
		}
	}
}

// TargetAt scales inversely with the reference: at the filing sitting's rate the time is
// the issue's own, at half of it twice as long.
func TestTargetAt(t *testing.T) {
	if got := TargetAt(10, filingRate); got != 10 {
		t.Errorf("at the filing rate: %v", got)
	}
	if got := TargetAt(180, filingRate/2); got != 360 {
		t.Errorf("at half the rate: %v", got)
	}
}
