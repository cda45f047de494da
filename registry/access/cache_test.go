package access_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"ipledger/ledger"
	"ipledger/migrations/dbtest"
	"ipledger/migrations/pgdb"
	"ipledger/registry/access"
)

// TestRevocationReachesEveryProcess: two services on their own pools and ledgers (two server
// processes) share a database. Tokens checked on B are cached there; a rotation and a
// revocation made through A are refused by B at the very next request.
func TestRevocationReachesEveryProcess(t *testing.T) {
	db := dbtest.New(t)
	ctx := ledger.WithActor(context.Background(), "system")
	la := ledger.New(db.App, ledger.Options{})
	defer la.Close()
	other, err := pgdb.Open(db.AppDSN, pgdb.Config{MaxConns: 4, StatementTimeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	lb := ledger.New(other, ledger.Options{})
	defer lb.Close()
	a, b := access.New(la), access.New(lb)

	admin, err := a.Bootstrap(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	p, tok, err := a.Create(ctx, "bank clerk", access.Planner, "")
	if err != nil {
		t.Fatal(err)
	}
	for range 3 { // the second and third answers come from B's cache
		for _, tk := range []string{admin, tok} {
			if _, err := b.Authenticate(ctx, tk); err != nil {
				t.Fatalf("B refuses a live token: %v", err)
			}
		}
	}
	fresh, err := a.Rotate(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Authenticate(ctx, tok); !errors.Is(err, access.ErrBadToken) {
		t.Fatalf("B accepts a token A rotated away: %v", err)
	}
	if got, err := b.Authenticate(ctx, fresh); err != nil || got.ID != p.ID {
		t.Fatalf("B refuses the rotated-in token: %+v %v", got, err)
	}
	if _, err := b.Authenticate(ctx, admin); err != nil {
		t.Fatalf("a rotation of another principal ended the admin's token on B: %v", err)
	}
	if err := a.Revoke(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Authenticate(ctx, fresh); !errors.Is(err, access.ErrBadToken) {
		t.Fatalf("B accepts a token of a principal A revoked: %v", err)
	}
	if _, err := a.Authenticate(ctx, fresh); !errors.Is(err, access.ErrBadToken) {
		t.Fatalf("A accepts a token of a principal it revoked: %v", err)
	}
}

// TestRevocationUnderConcurrentChecks: many requests check tokens at once (they share count
// reads) while another process revokes; every check that began after the revocation returned
// is refused, and every check of the admin's token succeeds.
func TestRevocationUnderConcurrentChecks(t *testing.T) {
	db := dbtest.New(t)
	ctx := ledger.WithActor(context.Background(), "system")
	la := ledger.New(db.App, ledger.Options{})
	defer la.Close()
	other, err := pgdb.Open(db.AppDSN, pgdb.Config{MaxConns: 8, StatementTimeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	lb := ledger.New(other, ledger.Options{})
	defer lb.Close()
	a, b := access.New(la), access.New(lb)
	admin, err := a.Bootstrap(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	for round := range 5 {
		p, tok, err := a.Create(ctx, fmt.Sprintf("clerk %d", round), access.Planner, "")
		if err != nil {
			t.Fatal(err)
		}
		var revoked atomic.Bool
		stop := make(chan struct{})
		errc := make(chan error, 16)
		var wg sync.WaitGroup
		for range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					select {
					case <-stop:
						return
					default:
					}
					after := revoked.Load()
					_, err := b.Authenticate(ctx, tok)
					if after && !errors.Is(err, access.ErrBadToken) {
						errc <- fmt.Errorf("a check begun after the revocation returned accepts the token: %v", err)
						return
					}
					if !after && err != nil && !errors.Is(err, access.ErrBadToken) {
						errc <- err
						return
					}
					if _, err := b.Authenticate(ctx, admin); err != nil {
						errc <- fmt.Errorf("the admin's token refused: %v", err)
						return
					}
				}
			}()
		}
		time.Sleep(50 * time.Millisecond)
		if err := a.Revoke(ctx, p.ID); err != nil {
			t.Fatal(err)
		}
		revoked.Store(true)
		time.Sleep(50 * time.Millisecond)
		close(stop)
		wg.Wait()
		close(errc)
		for err := range errc {
			t.Fatal(err)
		}
	}
}

// TestCountReadsShared: while a count read is held up in Postgres, the checks that arrive
// meanwhile wait in the process for one read of their own, not one read each.
func TestCountReadsShared(t *testing.T) {
	db := dbtest.New(t)
	ctx := ledger.WithActor(context.Background(), "system")
	l := ledger.New(db.App, ledger.Options{})
	defer l.Close()
	acc := access.New(l)
	admin, err := acc.Bootstrap(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := acc.Authenticate(ctx, admin); err != nil { // prepared, and cached
		t.Fatal(err)
	}
	super := db.Super(t)
	tx, err := super.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `LOCK TABLE access.revocations IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	const n = 12
	errc := make(chan error, n)
	for range n {
		go func() {
			_, err := acc.Authenticate(ctx, admin)
			errc <- err
		}()
	}
	waiting := func() int {
		var k int
		if err := super.QueryRowContext(ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND query = 'SELECT n FROM access.revocations' AND wait_event_type = 'Lock'`).Scan(&k); err != nil {
			t.Fatal(err)
		}
		return k
	}
	deadline := time.Now().Add(10 * time.Second)
	for waiting() == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond) // let the other checks pile up
	if k := waiting(); k != 1 {
		t.Fatalf("%d count reads wait on the lock for %d checks; want 1", k, n)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	for range n {
		if err := <-errc; err != nil {
			t.Fatalf("a check that waited for a shared read: %v", err)
		}
	}
}
