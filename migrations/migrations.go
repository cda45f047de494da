// Package migrations holds the database schema as embedded SQL, applied with golang-migrate.
package migrations

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"

	"github.com/golang-migrate/migrate/v4"
	"github.com/golang-migrate/migrate/v4/database/postgres"
	"github.com/golang-migrate/migrate/v4/source/iofs"
)

//go:embed sql/*.sql
var files embed.FS

// FS is the embedded migration files.
func FS() embed.FS { return files }

// Migrator applies the schema over one dedicated connection, so closing it never closes the
// caller's pool (postgres.WithInstance would).
type Migrator struct {
	m    *migrate.Migrate
	conn *sql.Conn
}

// New prepares a migrator on db. Close it when done.
func New(ctx context.Context, db *sql.DB) (*Migrator, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrations: connect: %w", err)
	}
	drv, err := postgres.WithConnection(ctx, conn, &postgres.Config{MigrationsTable: "schema_migrations"})
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("migrations: driver: %w", err)
	}
	src, err := iofs.New(files, "sql")
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("migrations: source: %w", err)
	}
	m, err := migrate.NewWithInstance("iofs", src, "postgres", drv)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("migrations: %w", err)
	}
	return &Migrator{m: m, conn: conn}, nil
}

// Up applies every pending migration.
func (g *Migrator) Up() error {
	if err := g.m.Up(); err != nil && !errors.Is(err, migrate.ErrNoChange) {
		return fmt.Errorf("migrate up: %w", err)
	}
	return nil
}

// Down reverts n migrations (all when n <= 0).
func (g *Migrator) Down(n int) error {
	var err error
	if n <= 0 {
		err = g.m.Down()
	} else {
		err = g.m.Steps(-n)
	}
	if err != nil && !errors.Is(err, migrate.ErrNoChange) {
		return fmt.Errorf("migrate down: %w", err)
	}
	return nil
}

// DownTo reverts the migrations above version, leaving the schema at version. It refuses a
// version above the schema's: golang-migrate's Migrate would apply the migrations up to it.
func (g *Migrator) DownTo(version uint) error {
	cur, _, err := g.Version()
	if err != nil {
		return fmt.Errorf("migrate down to %d: %w", version, err)
	}
	if version > cur {
		return fmt.Errorf("migrate down to %d: the schema is at %d, below it", version, cur)
	}
	if err := g.m.Migrate(version); err != nil && !errors.Is(err, migrate.ErrNoChange) {
		return fmt.Errorf("migrate down to %d: %w", version, err)
	}
	return nil
}

// Version reports the applied version and whether a failed migration left it dirty.
func (g *Migrator) Version() (version uint, dirty bool, err error) {
	version, dirty, err = g.m.Version()
	if errors.Is(err, migrate.ErrNilVersion) {
		return 0, false, nil
	}
	return version, dirty, err
}

// Force sets the version without running anything: the way out of a dirty state once an
// operator has repaired the schema by hand.
func (g *Migrator) Force(version int) error { return g.m.Force(version) }

// Close releases the dedicated connection.
func (g *Migrator) Close() error {
	g.m.Close()
	return g.conn.Close()
}

// Up is the one-call form used at start-up and in tests.
func Up(ctx context.Context, db *sql.DB) error {
	g, err := New(ctx, db)
	if err != nil {
		return err
	}
	defer g.Close()
	return g.Up()
}
