package indicator

import (
	"testing"

	"ipledger/ledger"
	"ipledger/registry"
	"ipledger/registry/registrytest"
)

// TestRebuildAllProjections: one ledger.Rebuild of every projection (the registry's and this
// area's, in one transaction) gives back the tables live writes left, and the summaries the
// registry writes with the spans (counts, count log, checkpoints) with them.
func TestRebuildAllProjections(t *testing.T) {
	f := newFixture(t)
	// Batches of 300 and 200 assets: a bulk write's rows are copied, a smaller one's sent in
	// the statement (pgcopy), and the rebuild replays them in runs of its own, so the two ways
	// must write the same rows.
	if err := registrytest.Generate(f.ctx, f.reg, registrytest.GenOptions{Parties: 30, Assets: 500, Events: 300, Pledges: 80, Seed: 5, Batch: 300, EventBatch: 30}); err != nil {
		t.Fatal(err)
	}
	ps := append(registry.Projections(), Projection)
	tables := []string{"registry.indicator_counts", "registry.indicator_count_log",
		"registry.indicator_checkpoints", "registry.indicator_checkpoint_counts"}
	for _, p := range ps {
		tables = append(tables, p.Tables()...)
	}
	snapshot := func() map[string]string {
		out := map[string]string{}
		for _, tb := range tables {
			var s string
			if err := f.db.App.QueryRowContext(f.ctx, `SELECT coalesce(string_agg(r, E'\n' ORDER BY r), '')
				FROM (SELECT row_to_json(t)::text r FROM `+tb+` t) x`).Scan(&s); err != nil {
				t.Fatal(err)
			}
			out[tb] = s
		}
		return out
	}
	before := snapshot()
	for _, tb := range []string{"registry.pledges", "registry.asset_spans", "registry.population", "registry.indicator_count_log",
		"registry.foreign_family_members"} {
		if before[tb] == "" {
			t.Fatalf("%s is empty: the data set proves nothing about it", tb)
		}
	}
	if err := ledger.Rebuild(f.ctx, f.db.App, ps...); err != nil {
		t.Fatal(err)
	}
	after := snapshot()
	for _, tb := range tables {
		if before[tb] != after[tb] {
			t.Errorf("%s differs after the rebuild", tb)
		}
	}
}
