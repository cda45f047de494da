package registry

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/uuid"

	"ipledger/registry/ident"
)

// The app role owns no table, so ANALYZE of its own is refused (skipped with a warning); the
// function of 0024 analyzes every registry table for it.
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

// Analyze re-analyzes the tables a load changed (here, registry.assets grown by a batch far past
// a tenth of its pages) and leaves the others, which it analyzed already and nothing touched
// since, as they were (migration 0029).
func TestAnalyzeWhatChanged(t *testing.T) {
	f := newFixture(t)
	super := f.db.Super(t)
	counts := func() map[string]int64 {
		t.Helper()
		rows, err := super.QueryContext(f.ctx, `SELECT relname, analyze_count FROM pg_stat_user_tables WHERE schemaname = 'registry'`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		out := map[string]int64{}
		for rows.Next() {
			var name string
			var n int64
			if err := rows.Scan(&name, &n); err != nil {
				t.Fatal(err)
			}
			out[name] = n
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return out
	}
	if err := f.s.Analyze(f.ctx); err != nil {
		t.Fatalf("Analyze: %v", err)
	}
	before := counts()
	owner := f.party("150502")
	ins := make([]AssetInput, 3000)
	for i := range ins {
		ins[i] = AssetInput{Kind: ident.InventionPatent, Number: patentNo(2020, '1', 700_000+i), Title: fmt.Sprintf("分析测试%d", i),
			FiledOn: d("2020-03-01"), OwnerIDs: []uuid.UUID{owner.ID}}
	}
	res, err := f.s.RegisterAssets(f.ctx, ins)
	if err != nil {
		t.Fatalf("RegisterAssets: %v", err)
	}
	for i, r := range res {
		if r.Err != nil {
			t.Fatalf("asset %d: %v", i, r.Err)
		}
	}
	if err := f.s.Analyze(f.ctx); err != nil {
		t.Fatalf("Analyze: %v", err)
	}
	after := counts()
	for _, table := range []string{"assets", "asset_owners"} {
		if after[table] != before[table]+1 {
			t.Errorf("%s: analyzed %d times after a batch of %d rights, %d before; want once more", table, after[table], len(ins), before[table])
		}
	}
	// Nothing wrote these since the first Analyze.
	for _, table := range []string{"pledges", "pledge_financing", "claims", "demands", "targets"} {
		if after[table] != before[table] {
			t.Errorf("%s: analyzed again (%d, %d before) though nothing changed it", table, after[table], before[table])
		}
	}
}
