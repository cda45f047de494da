package access_test

import (
	"context"
	"errors"
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
