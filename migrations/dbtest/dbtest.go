// Package dbtest gives each test a fresh, migrated database on a real Postgres: the server
// named by TEST_DATABASE_URL (a superuser URL), or a private cluster started for the test
// binary. Each database is cloned from a migrated template, which takes milliseconds.
//
// pgtestdb was considered: it migrates the template as the test role, so that role owns every
// table; here the service's role must own nothing, so migrations run as the superuser.
package dbtest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"ipledger/migrations"
	"ipledger/migrations/pgdb"
)

// AppRole is the service's database role, created by the migrations.
const AppRole = "ipledger_app"

const appPassword = "ipledger-app-test"

var (
	once     sync.Once
	setupErr error
	cluster  *pgdb.Cluster
	superDSN string
	template string
	counter  atomic.Int64
)

// Main runs a package's tests and stops the private cluster afterwards. Call it from TestMain.
func Main(m *testing.M) {
	code := m.Run()
	dropReference()
	if cluster != nil {
		_ = cluster.Stop()
		_ = os.RemoveAll(filepath.Dir(cluster.Dir))
	}
	os.Exit(code)
}

// ready sets the server and the template up once per test binary.
func ready(tb testing.TB) {
	tb.Helper()
	once.Do(func() { setupErr = setup() })
	if setupErr != nil {
		tb.Fatalf("dbtest: %v", setupErr)
	}
}

func setup() error {
	ctx := context.Background()
	superDSN = os.Getenv("TEST_DATABASE_URL")
	if superDSN == "" {
		dir, err := os.MkdirTemp("", "ipledger-test-")
		if err != nil {
			return err
		}
		// The postgres OS user (when we are root) must be able to reach the cluster below.
		if err := os.Chmod(dir, 0o755); err != nil {
			return err
		}
		// Benchmarks ask for a durable cluster so their numbers mean something.
		fast := os.Getenv("IPLEDGER_TEST_DURABLE") == ""
		cluster, err = pgdb.Start(ctx, filepath.Join(dir, "pg"), pgdb.Options{Fast: fast})
		if err != nil {
			return err
		}
		superDSN = cluster.DSN(pgdb.Superuser, "postgres")
	}
	super, err := pgdb.Open(superDSN, pgdb.Config{MaxConns: 4})
	if err != nil {
		return err
	}
	defer super.Close()
	h, err := migrationsHash()
	if err != nil {
		return err
	}
	template = "ipledger_tmpl_" + h[:16]
	// Serialise template creation between test binaries sharing one server.
	conn, err := super.Conn(ctx)
	if err != nil {
		return fmt.Errorf("dbtest: connect: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(727274)`); err != nil {
		return fmt.Errorf("dbtest: lock: %w", err)
	}
	defer conn.ExecContext(ctx, `SELECT pg_advisory_unlock(727274)`)
	var exists bool
	if err := conn.QueryRowContext(ctx, `SELECT EXISTS (SELECT FROM pg_database WHERE datname = ?)`, template).Scan(&exists); err != nil {
		return fmt.Errorf("dbtest: %w", err)
	}
	if exists {
		return nil
	}
	building := template + "_building"
	_, _ = conn.ExecContext(ctx, `DROP DATABASE IF EXISTS `+building)
	if _, err := conn.ExecContext(ctx, `CREATE DATABASE `+building); err != nil {
		return fmt.Errorf("dbtest: create template: %w", err)
	}
	dsn, err := pgdb.WithUserDB(superDSN, userOf(superDSN), passwordOf(superDSN), building)
	if err != nil {
		return err
	}
	tdb, err := pgdb.Open(dsn, pgdb.Config{MaxConns: 2})
	if err != nil {
		return err
	}
	err = migrations.Up(ctx, tdb.DB)
	if err == nil && cluster == nil {
		// A shared server needs a password for the role; our own cluster trusts its socket.
		// (This sets the cluster-wide role's password: use a test server, not production.)
		_, err = tdb.ExecContext(ctx, `ALTER ROLE `+AppRole+` PASSWORD '`+appPassword+`'`)
	}
	tdb.Close()
	if err != nil {
		return fmt.Errorf("dbtest: migrate template: %w", err)
	}
	if _, err := conn.ExecContext(ctx, `ALTER DATABASE `+building+` RENAME TO `+template); err != nil {
		return fmt.Errorf("dbtest: %w", err)
	}
	return nil
}

func migrationsHash() (string, error) {
	h := sha256.New()
	err := fs.WalkDir(migrations.FS(), ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(migrations.FS(), path)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", path, len(b))
		h.Write(b)
		return nil
	})
	return hex.EncodeToString(h.Sum(nil)), err
}

// DB is one test's database.
type DB struct {
	Name string
	// App connects as the service's role: what the service may and may not do.
	App *bun.DB
	// AppDSN is the service role's URL for this database.
	AppDSN string
	// SuperDSN is a superuser URL for this database, for tests that play the attacker.
	SuperDSN string
}

// New creates a fresh migrated database for t, dropped when t ends.
func New(t testing.TB) *DB {
	t.Helper()
	ready(t)
	ctx := context.Background()
	name := fmt.Sprintf("t_%d_%d", os.Getpid(), counter.Add(1))
	super, err := pgdb.Open(superDSN, pgdb.Config{MaxConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer super.Close()
	if _, err := super.ExecContext(ctx, `CREATE DATABASE `+name+` TEMPLATE `+template); err != nil {
		t.Fatalf("dbtest: create database: %v", err)
	}
	d := connect(t, name)
	t.Cleanup(func() {
		d.App.Close()
		s, err := pgdb.Open(superDSN, pgdb.Config{MaxConns: 1})
		if err != nil {
			return
		}
		defer s.Close()
		_, _ = s.ExecContext(context.Background(), `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`)
	})
	return d
}

// connect opens the service role's pool on database name.
func connect(t testing.TB, name string) *DB {
	t.Helper()
	appDSN, err := pgdb.WithUserDB(superDSN, AppRole, appPassword, name)
	if err != nil {
		t.Fatal(err)
	}
	sDSN, err := superOn(name)
	if err != nil {
		t.Fatal(err)
	}
	app, err := pgdb.Open(appDSN, pgdb.Config{MaxConns: 80, StatementTimeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	return &DB{Name: name, App: app, AppDSN: appDSN, SuperDSN: sDSN}
}

// Named opens the database name on the server of TEST_DATABASE_URL, creating it from the
// migrated template when it does not exist (created reports which), and never drops it: for
// benchmarks whose data takes long to generate, run again on the same server. On a private
// cluster it would vanish with the cluster, so it refuses.
func Named(t testing.TB, name string) (d *DB, created bool) {
	t.Helper()
	ready(t)
	if cluster != nil {
		t.Fatalf("dbtest: a kept database %q needs TEST_DATABASE_URL (a private cluster is removed at exit)", name)
	}
	ctx := context.Background()
	super, err := pgdb.Open(superDSN, pgdb.Config{MaxConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer super.Close()
	var exists bool
	if err := super.QueryRowContext(ctx, `SELECT EXISTS (SELECT FROM pg_database WHERE datname = ?)`, name).Scan(&exists); err != nil {
		t.Fatalf("dbtest: %v", err)
	}
	if !exists {
		if _, err := super.ExecContext(ctx, `CREATE DATABASE `+name+` TEMPLATE `+template); err != nil {
			t.Fatalf("dbtest: create database: %v", err)
		}
	}
	d = connect(t, name)
	t.Cleanup(func() { d.App.Close() })
	return d, !exists
}

// Super opens a superuser pool on this test's database, closed when t ends.
func (d *DB) Super(t testing.TB) *bun.DB {
	t.Helper()
	db, err := pgdb.Open(d.SuperDSN, pgdb.Config{MaxConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// Remigrate reverts the migrations above version and applies them again, as the superuser:
// what upgrading a database holding this one's data from version does (a backfill, say).
func (d *DB) Remigrate(ctx context.Context, version uint) error {
	db, err := pgdb.Open(d.SuperDSN, pgdb.Config{MaxConns: 1})
	if err != nil {
		return err
	}
	defer db.Close()
	m, err := migrations.New(ctx, db.DB)
	if err != nil {
		return err
	}
	defer m.Close()
	if err := m.DownTo(version); err != nil {
		return err
	}
	return m.Up()
}

// superOn is the tests' superuser URL pointed at database name.
func superOn(name string) (string, error) {
	return pgdb.WithUserDB(superDSN, userOf(superDSN), passwordOf(superDSN), name)
}

func userOf(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.User == nil {
		return pgdb.Superuser
	}
	return u.User.Username()
}

func passwordOf(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.User == nil {
		return ""
	}
	p, _ := u.User.Password()
	return p
}
