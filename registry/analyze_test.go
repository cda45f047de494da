package registry

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"ipledger/registry/ident"
)

// The app role owns no table, so ANALYZE of its own is refused (skipped with a warning); the
// function of 0024 (0029) analyzes the registry's tables for it, every one on a new register.
func TestAnalyzeAsTheApp(t *testing.T) {
	f := newFixture(t)
	super := f.db.Super(t)
	if _, err := f.db.App.ExecContext(f.ctx, `ANALYZE registry.assets`); err != nil && !strings.Contains(err.Error(), "permission") {
		t.Fatalf("ANALYZE as the app: %v", err)
	}
	var analyzed int
	if err := super.QueryRowContext(f.ctx, `SELECT count(*) FROM pg_stat_user_tables
		WHERE schemaname = 'registry' AND last_analyze IS NOT NULL`).Scan(&analyzed); err != nil {
		t.Fatal(err)
	}
	if analyzed != 0 {
		t.Fatalf("%d registry tables analyzed before Analyze; the app role must not be able to", analyzed)
	}
	if err := f.s.Analyze(f.ctx); err != nil {
		t.Fatalf("Analyze: %v", err)
	}
	var tables, missed int
	if err := super.QueryRowContext(f.ctx, `SELECT count(*), count(*) FILTER (WHERE last_analyze IS NULL)
		FROM pg_stat_user_tables WHERE schemaname = 'registry'`).Scan(&tables, &missed); err != nil {
		t.Fatal(err)
	}
	if tables < 10 || missed != 0 {
		t.Fatalf("after Analyze: %d of %d registry tables not analyzed", missed, tables)
	}
}

// Analyze re-analyzes the tables a load changed and leaves the others, which it analyzed
// already and nothing touched since, as they were (migration 0029): registry.assets grown by a
// batch far past a tenth of its pages, then updated in place (grants) past autovacuum's
// threshold of changed rows without growing by a tenth. Autovacuum is off for the tables
// looked at, so that every analysis counted is Analyze's.
func TestAnalyzeWhatChanged(t *testing.T) {
	f := newFixture(t)
	super := f.db.Super(t)
	watched := []string{"assets", "asset_owners", "pledges", "pledge_financing", "claims", "demands"} // none of them seeded
	for _, table := range watched {
		if _, err := super.ExecContext(f.ctx, `ALTER TABLE registry.`+table+` SET (autovacuum_enabled = off)`); err != nil {
			t.Fatal(err)
		}
	}
	counts := func() map[string]int64 {
		t.Helper()
		var rows []struct {
			Relname  string
			Analyzed int64
		}
		if err := super.NewRaw(`SELECT relname, analyze_count + autoanalyze_count AS analyzed
			FROM pg_stat_user_tables WHERE schemaname = 'registry'`).Scan(f.ctx, &rows); err != nil {
			t.Fatal(err)
		}
		out := make(map[string]int64, len(rows))
		for _, r := range rows {
			out[r.Relname] = r.Analyzed
		}
		return out
	}
	analyze := func(step string, changed []string) {
		t.Helper()
		before := counts()
		if err := f.s.Analyze(f.ctx); err != nil {
			t.Fatalf("%s: Analyze: %v", step, err)
		}
		after := counts()
		for _, table := range watched {
			want := before[table]
			if slices.Contains(changed, table) {
				want++
			}
			if before[table] < 1 || after[table] != want {
				t.Errorf("%s: %s analyzed %d times, %d before; want %d", step, table, after[table], before[table], want)
			}
		}
	}
	// counted waits for the writer's changes to reach the statistics (up to about 10 s after
	// its last transaction), so that none arrives after an Analyze to count towards the next.
	counted := func(table string, n int64) {
		t.Helper()
		for start := time.Now(); ; time.Sleep(50 * time.Millisecond) {
			var mod int64
			if err := super.QueryRowContext(f.ctx, `SELECT n_mod_since_analyze FROM pg_stat_user_tables
				WHERE schemaname = 'registry' AND relname = ?`, table).Scan(&mod); err != nil {
				t.Fatal(err)
			}
			if mod >= n {
				return
			}
			if time.Since(start) > 30*time.Second {
				t.Fatalf("%s: %d changes in the statistics after 30 s, not %d", table, mod, n)
			}
		}
	}
	written := func(what string, res []BatchResult, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s batch: %v", what, err)
		}
		for i, r := range res {
			if r.Err != nil {
				t.Fatalf("%s %d: %v", what, i, r.Err)
			}
		}
	}
	if err := f.s.Analyze(f.ctx); err != nil {
		t.Fatalf("Analyze: %v", err)
	}

	owner := f.party("150502")
	ins := make([]AssetInput, 3000)
	for i := range ins {
		ins[i] = AssetInput{Kind: ident.InventionPatent, Number: patentNo(2020, '1', 700_000+i), Title: fmt.Sprintf("分析测试%d", i),
			FiledOn: d("2020-03-01"), OwnerIDs: []uuid.UUID{owner.ID}}
	}
	res, err := f.s.RegisterAssets(f.ctx, ins)
	written("asset", res, err)
	counted("assets", int64(len(ins)))
	counted("asset_owners", int64(len(ins)))
	analyze("after a batch of 3,000 rights", []string{"assets", "asset_owners"})

	// 400 grants: more than 50 + a tenth of 3,000 changed rows, in pages that grow by less.
	evs := make([]AssetEventItem, 400)
	for i := range evs {
		evs[i] = AssetEventItem{AssetID: res[i].ID, Event: EventInput{Type: EventGrant, EffectiveOn: d("2022-06-01")}}
	}
	out, err := f.s.AssetEvents(f.ctx, evs)
	written("grant", out, err)
	counted("assets", int64(len(evs)))
	analyze("after 400 grants", []string{"assets"})
}
