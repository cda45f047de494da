package indicator

import (
	"testing"

	"ipledger/registry/registrytest"
)

// TestCountCheckpoints loads a small generated city with a checkpoint every 7 seqs (migration
// 0006), and checks the counts as known at every seq of the chain — which now read a checkpoint
// plus the log between it and k — against counting registry.asset_spans directly; then that
// Rebuild drops and remakes the same checkpoints.
func TestCountCheckpoints(t *testing.T) {
	f := newFixture(t)
	if _, err := f.db.Super(t).ExecContext(f.ctx, `UPDATE registry.indicator_checkpoint_every SET every = 7`); err != nil {
		t.Fatal(err)
	}
	if err := registrytest.Generate(f.ctx, f.reg, registrytest.GenOptions{Parties: 30, Assets: 600, Events: 400, Pledges: 80, Seed: 3, Batch: 150, EventBatch: 40}); err != nil {
		t.Fatal(err)
	}
	var head, cps int64
	f.db.App.QueryRowContext(f.ctx, `SELECT seq FROM ledger.head`).Scan(&head)
	f.db.App.QueryRowContext(f.ctx, `SELECT count(*) FROM registry.indicator_checkpoints`).Scan(&cps)
	if want := (head - 1) / 7; cps < want/2 { // made as the log passes them
		t.Fatalf("%d checkpoints for %d entries, want about %d", cps, head, want)
	}
	checkpoints := func() string {
		var s string
		if err := f.db.App.QueryRowContext(f.ctx, `SELECT coalesce(string_agg(r, E'\n' ORDER BY r), '') FROM (
			SELECT concat_ws(' ', seq, region_code, grain, period, metric, delta) r FROM registry.indicator_checkpoint_counts
			UNION ALL SELECT seq::text FROM registry.indicator_checkpoints) x`).Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	before := checkpoints()

	used := 0
	for _, region := range []string{"150500", "150502"} {
		us, _ := units(f.ctx, f.db.App, region)
		for _, day := range []string{"2010-06-15", "2021-01-01", "2022-06-30", "2023-02-28", "2024-12-31", "2026-03-01"} {
			for k := int64(1); k <= head; k += 1 + k/40 {
				tx, err := f.db.App.BeginTx(f.ctx, nil)
				if err != nil {
					t.Fatal(err)
				}
				sc := scope{region: region, units: us, k: k, head: head}
				lo, hi, err := checkpointsAround(f.ctx, tx, k)
				if err != nil {
					t.Fatal(err)
				}
				if (lo > 0 && k-lo < min(k, head-k)) || (hi > 0 && hi-k < min(k, head-k)) {
					used++
				}
				got, err := spanCounts(f.ctx, tx, sc, d(day))
				if err != nil {
					t.Fatal(err)
				}
				want, err := naiveCounts(f.ctx, tx, sc, d(day))
				tx.Rollback()
				if err != nil {
					t.Fatal(err)
				}
				for m, n := range want {
					if got[m] != n {
						t.Errorf("%s %s at seq %d: %s = %d, want %d", region, day, k, m, got[m], n)
					}
				}
				for m, n := range got {
					if want[m] != n {
						t.Errorf("%s %s at seq %d: %s = %d, want %d (spans)", region, day, k, m, n, want[m])
					}
				}
			}
		}
	}
	if used == 0 {
		t.Fatal("no count went through a checkpoint")
	}
	t.Logf("%d entries, %d checkpoints, %d counts through a checkpoint", head, cps, used)

	if err := f.reg.Rebuild(f.ctx); err != nil {
		t.Fatal(err)
	}
	if after := checkpoints(); after != before {
		t.Errorf("checkpoints differ after Rebuild (%d bytes before, %d after)", len(before), len(after))
	}
}
