package registry

import (
	"strings"
	"testing"
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
