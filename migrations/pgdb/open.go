package pgdb

import (
	"database/sql"
	"fmt"
	"net/url"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/driver/pgdriver"
)

// Config of one connection pool.
type Config struct {
	// StatementTimeout bounds every statement on the server; 0 leaves the server's default.
	StatementTimeout time.Duration
	MaxConns         int
	AppName          string
}

// Open returns a pool for dsn (postgres://… or unix://user@db/path/.s.PGSQL.5432).
// The driver's own 10 s read timeout would cut long scans and migrations short, so socket
// timeouts are generous and requests are bounded by contexts and statement_timeout instead.
func Open(dsn string, cfg Config) (*bun.DB, error) {
	if err := checkDSN(dsn); err != nil {
		return nil, err
	}
	params := map[string]any{"TimeZone": "UTC"}
	if cfg.StatementTimeout > 0 {
		params["statement_timeout"] = cfg.StatementTimeout.Milliseconds()
	}
	name := cfg.AppName
	if name == "" {
		name = "ipledger"
	}
	io := ioTimeout(cfg.StatementTimeout)
	conn := pgdriver.NewConnector(
		pgdriver.WithDSN(dsn),
		pgdriver.WithApplicationName(name),
		pgdriver.WithDialTimeout(5*time.Second),
		pgdriver.WithReadTimeout(io),
		pgdriver.WithWriteTimeout(io),
		pgdriver.WithConnParams(params),
	)
	sqldb := sql.OpenDB(conn)
	maxConns := cfg.MaxConns
	if maxConns <= 0 {
		maxConns = 40
	}
	sqldb.SetMaxOpenConns(maxConns)
	sqldb.SetMaxIdleConns(maxConns)
	sqldb.SetConnMaxIdleTime(5 * time.Minute)
	return bun.NewDB(sqldb, pgdialect.New()), nil
}

// ioTimeout is the driver's deadline on every socket read and write: one that passes inside a
// prepared statement's exchange leaves the connection out of step (WaitAtMost), so it outlasts
// any statement the server lets run.
func ioTimeout(statement time.Duration) time.Duration {
	return max(10*time.Minute, statement+time.Minute)
}

// checkDSN refuses what pgdriver.WithDSN would panic on, and TLS without verification on a
// non-local address (pgdriver tries TLS without verifying when sslmode is absent).
func checkDSN(dsn string) error {
	u, err := url.Parse(dsn)
	if err != nil {
		return fmt.Errorf("database URL is not a URL: %w", err)
	}
	switch u.Scheme {
	case "postgres", "postgresql":
		if u.Query().Get("sslmode") == "" {
			return fmt.Errorf("database URL %s: set sslmode (disable only for loopback or unix sockets; verify-full elsewhere)", redact(u))
		}
	case "unix":
		if u.Path == "" {
			return fmt.Errorf("database URL %s: unix socket URL needs a path", redact(u))
		}
	default:
		return fmt.Errorf("database URL scheme %q: use postgres:// or unix://", u.Scheme)
	}
	return nil
}

func redact(u *url.URL) string {
	c := *u
	if c.User != nil {
		c.User = url.User(c.User.Username())
	}
	return c.String()
}
