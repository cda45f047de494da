package dbtest

import (
	"context"
	"testing"
	"time"

	"ipledger/migrations/pgdb"
)

func TestMain(m *testing.M) { Main(m) }

// TestReferenceRate: pgbench runs on the tests' server, reports a rate, and leaves no
// database behind.
func TestReferenceRate(t *testing.T) {
	if rate := ReferenceRate(t, time.Second); rate <= 0 {
		t.Fatalf("rate %v", rate)
	}
	super, err := pgdb.Open(superDSN, pgdb.Config{MaxConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer super.Close()
	var left int
	if err := super.QueryRowContext(context.Background(), `SELECT count(*) FROM pg_database WHERE datname LIKE 'pgbench\_%'`).Scan(&left); err != nil || left != 0 {
		t.Fatalf("%d pgbench databases left (%v)", left, err)
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
