package registry

import (
	"fmt"
	"reflect"
	"sync"
	"testing"

	"github.com/google/uuid"

	"ipledger/ledger"
	"ipledger/registry/ident"
	"ipledger/registry/term"
)

// TestGatheredAssetRegistrations: concurrent RegisterAsset calls, written together, answer as
// if written one after another: one call per number registers it, the others are asset_exists
// naming it; every entry carries the actor of the call that made it.
func TestGatheredAssetRegistrations(t *testing.T) {
	f := newFixture(t)
	owner := f.party("150502")
	const numbers, callers = 8, 6
	type res struct {
		a     Asset
		err   error
		actor string
	}
	out := make([][]res, numbers)
	var wg sync.WaitGroup
	for n := range numbers {
		out[n] = make([]res, callers)
		for c := range callers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				actor := fmt.Sprintf("principal/caller-%d", c%2)
				ctx := ledger.WithActor(f.ctx, actor)
				a, err := f.s.RegisterAsset(ctx, AssetInput{Kind: ident.InventionPatent, Number: "ZL" + patentNo(2015, '1', 700000+n),
					Title: "专利", OwnerIDs: []uuid.UUID{owner.ID}, FiledOn: d("2015-03-01"), GrantedOn: d("2017-03-01")})
				out[n][c] = res{a, err, actor}
			}()
		}
	}
	wg.Wait()
	for n := range numbers {
		var winner *res
		for c := range out[n] {
			if out[n][c].err == nil {
				if winner != nil {
					t.Fatalf("number %d registered twice: %s and %s", n, winner.a.ID, out[n][c].a.ID)
				}
				winner = &out[n][c]
			}
		}
		if winner == nil {
			t.Fatalf("number %d: no call registered it: %v", n, out[n][0].err)
		}
		for _, r := range out[n] {
			if r.err == nil {
				continue
			}
			de := wantCode(t, r.err, Conflict, "asset_exists")
			if de.Ref != winner.a.ID.String() {
				t.Fatalf("number %d: asset_exists names %s, want %s", n, de.Ref, winner.a.ID)
			}
		}
		// The answer is what was written: what a read returns.
		read, err := f.s.GetAsset(f.ctx, winner.a.ID, term.Date{})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(winner.a, read) {
			t.Fatalf("number %d: the answer\n%+v\nis not what is read\n%+v", n, winner.a, read)
		}
		var actor string
		if err := f.db.App.QueryRowContext(f.ctx, `SELECT actor FROM ledger.entries WHERE subject = ?`, "asset/"+winner.a.ID.String()).Scan(&actor); err != nil {
			t.Fatal(err)
		}
		if actor != winner.actor {
			t.Fatalf("asset %s was recorded by %s, but %s registered it", winner.a.ID, actor, winner.actor)
		}
	}
	rep, err := ledger.Verify(f.ctx, f.db.App)
	if err != nil || !rep.OK {
		t.Fatalf("verify: %+v %v", rep, err)
	}
}
