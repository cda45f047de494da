package migrations_test

import (
	"context"
	"testing"

	"ipledger/migrations"
	"ipledger/migrations/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// DownTo only ever reverts: asked for a version above the schema's, it refuses and runs
// nothing (golang-migrate's Migrate would apply the migrations up to it).
func TestDownToNeverMigratesUp(t *testing.T) {
	db := dbtest.New(t)
	ctx := context.Background()
	m, err := migrations.New(ctx, db.Super(t).DB)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	latest, _, err := m.Version()
	if err != nil || latest < 2 {
		t.Fatalf("version %d, %v", latest, err)
	}
	if err := m.DownTo(latest - 1); err != nil {
		t.Fatal(err)
	}
	if err := m.DownTo(latest); err == nil {
		t.Error("DownTo a version above the schema's: accepted")
	}
	if v, dirty, err := m.Version(); err != nil || dirty || v != latest-1 {
		t.Fatalf("after DownTo(%d) from %d: version %d (dirty %v), %v", latest, latest-1, v, dirty, err)
	}
	if err := m.Up(); err != nil {
		t.Fatal(err)
	}
}
