package registry

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"ipledger/ledger"
	"ipledger/migrations/pgdb"
	"ipledger/registry/ident"
)

// TestTwoProcessesOneDatabase: two services, each with its own pool and committer (two server
// processes), register the same asset numbers and pledge the same rights at once. The chain
// stays linear (it verifies), each number is registered once and every other attempt is
// asset_exists naming it, and no right is in two active pledges.
func TestTwoProcessesOneDatabase(t *testing.T) {
	f := newPledgeFixture(t)
	other, err := pgdb.Open(f.db.AppDSN, pgdb.Config{MaxConns: 16, StatementTimeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	l2 := ledger.New(other, ledger.Options{})
	defer l2.Close()
	s2 := New(l2, WithClock(f.s.Now))
	services := []*Service{f.s, s2}

	const numbers, tries = 10, 4
	var wg sync.WaitGroup
	type got struct {
		id  uuid.UUID
		err error
	}
	res := make([][]got, numbers)
	for n := range numbers {
		res[n] = make([]got, tries)
		for k := range tries {
			wg.Add(1)
			go func() {
				defer wg.Done()
				a, err := services[k%2].RegisterAsset(f.ctx, AssetInput{Kind: ident.InventionPatent, Number: patentNo(2016, '1', 800000+n),
					Title: "两进程", OwnerIDs: []uuid.UUID{f.o1.ID}, FiledOn: d("2016-03-01"), GrantedOn: d("2018-03-01")})
				res[n][k] = got{a.ID, err}
			}()
		}
	}
	wg.Wait()
	var assets []uuid.UUID
	for n := range numbers {
		var winner uuid.UUID
		for _, r := range res[n] {
			if r.err == nil {
				if winner != uuid.Nil {
					t.Fatalf("number %d registered twice", n)
				}
				winner = r.id
			}
		}
		if winner == uuid.Nil {
			t.Fatalf("number %d: nobody registered it: %v", n, res[n][0].err)
		}
		for _, r := range res[n] {
			if r.err != nil {
				if de := wantCode(t, r.err, Conflict, "asset_exists"); de.Ref != winner.String() {
					t.Fatalf("number %d: asset_exists names %s, want %s", n, de.Ref, winner)
				}
			}
		}
		assets = append(assets, winner)
	}

	pledged := make([][]error, len(assets))
	for i, a := range assets {
		pledged[i] = make([]error, tries)
		for k := range tries {
			wg.Add(1)
			go func() {
				defer wg.Done()
				in := PledgeInput{PledgorIDs: []uuid.UUID{f.o1.ID}, AssetIDs: []uuid.UUID{a}, Amount: "1000000.00",
					ContractNo: fmt.Sprintf("TWO-%d-%d", i, k), RegisteredOn: d("2025-06-01"), EndsOn: d("2030-12-31"), PledgeeID: f.bank.ID}
				_, pledged[i][k] = services[k%2].RegisterPledge(f.ctx, in)
			}()
		}
	}
	wg.Wait()
	for i := range assets {
		won := 0
		for _, err := range pledged[i] {
			if err == nil {
				won++
				continue
			}
			wantCode(t, err, Conflict, "asset_pledged")
		}
		if won != 1 {
			t.Fatalf("right %d: %d pledges accepted, want 1", i, won)
		}
	}
	var dup int
	if err := f.db.App.QueryRowContext(context.Background(), `SELECT count(*) FROM (SELECT asset_id FROM registry.pledge_assets
		WHERE active GROUP BY asset_id HAVING count(*) > 1) x`).Scan(&dup); err != nil || dup != 0 {
		t.Fatalf("rights in two active pledges: %d (%v)", dup, err)
	}
	rep, err := ledger.Verify(f.ctx, f.db.App)
	if err != nil || !rep.OK {
		t.Fatalf("the chain does not verify after two writers: %+v %v", rep, err)
	}
	f.rebuildMatches()
}
