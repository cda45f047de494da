package registry

import (
	"reflect"
	"testing"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
)

func TestDollarPlaceholders(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`p.id = ?`, `p.id = $1`},
		{`a = ? AND b = ANY(?::uuid[])`, `a = $1 AND b = ANY($2::uuid[])`},
		{`coalesce(x, '?') = ? OR y = '{}'`, `coalesce(x, '?') = $1 OR y = '{}'`},
	} {
		if got := dollarPlaceholders(c.in); got != c.want {
			t.Errorf("%q: got %q, want %q", c.in, got, c.want)
		}
	}
}

// TestGetPledgePrepared: the read of one pledge goes through a prepared statement on the pool
// and reads the same as inside a transaction (bun's interpolated text).
func TestGetPledgePrepared(t *testing.T) {
	f := newPledgeFixture(t)
	p := f.pledge(f.input([]uuid.UUID{f.o1.ID}, f.inv.ID))
	pool, ok := f.s.db.(*bun.DB)
	if !ok {
		t.Fatalf("the service reads through %T, not the pool", f.s.db)
	}
	for i := 0; i < 7; i++ { // past the executions after which Postgres may switch to a generic plan
		got, err := f.s.GetPledge(f.ctx, OfficeViewer(), p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, p) {
			t.Fatalf("read %d:\n got %+v\nwant %+v", i, got, p)
		}
	}
	prepared.mu.Lock()
	n := len(prepared.m[pool.DB])
	prepared.mu.Unlock()
	if n == 0 {
		t.Fatal("no statement prepared on the pool")
	}
	tx, err := pool.BeginTx(f.ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	inTx, err := f.s.getPledge(f.ctx, tx, OfficeViewer(), p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(inTx, p) {
		t.Fatalf("in a transaction:\n got %+v\nwant %+v", inTx, p)
	}
	if _, err := f.s.GetPledge(f.ctx, OfficeViewer(), uuid.New()); err == nil {
		t.Fatal("an unknown pledge was found")
	}
}
