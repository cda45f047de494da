package pgdb

import (
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
)

// WithUserDB returns dsn pointed at another user and database on the same server.
func WithUserDB(dsn, user, password, database string) (string, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return "", fmt.Errorf("database URL is not a URL: %w", err)
	}
	if password != "" {
		u.User = url.UserPassword(user, password)
	} else {
		u.User = url.User(user)
	}
	switch u.Scheme {
	case "unix":
		u.Host = database
	case "postgres", "postgresql":
		u.Path = "/" + database
	default:
		return "", fmt.Errorf("database URL scheme %q: use postgres:// or unix://", u.Scheme)
	}
	return u.String(), nil
}

// LibpqArgs is dsn's server and user as libpq's command-line tools (pgbench, say) take them:
// -h, -p and -U, with the password and sslmode in the environment, never on a command line.
// The database is the caller's to add. A postgres:// URL without a host means localhost over
// TCP, as the driver reads it (libpq alone would take its default socket).
func LibpqArgs(dsn string) (args, env []string, err error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return nil, nil, fmt.Errorf("database URL is not a URL: %w", err)
	}
	switch u.Scheme {
	case "unix": // unix://user@database/dir/.s.PGSQL.5432
		dir, sock := filepath.Split(u.Path)
		port, ok := strings.CutPrefix(sock, ".s.PGSQL.")
		if !ok || port == "" {
			return nil, nil, fmt.Errorf("database URL %s: the socket path does not end in .s.PGSQL.<port>", redact(u))
		}
		args = []string{"-h", filepath.Clean(dir), "-p", port}
	case "postgres", "postgresql":
		host, port := u.Hostname(), u.Port()
		if host == "" {
			host = "localhost"
		}
		if port == "" {
			port = "5432"
		}
		args = []string{"-h", host, "-p", port}
		if m := u.Query().Get("sslmode"); m != "" {
			env = append(env, "PGSSLMODE="+m)
		}
	default:
		return nil, nil, fmt.Errorf("database URL scheme %q: use postgres:// or unix://", u.Scheme)
	}
	if u.User != nil {
		args = append(args, "-U", u.User.Username())
		if p, ok := u.User.Password(); ok && p != "" {
			env = append(env, "PGPASSWORD="+p)
		}
	}
	return args, env, nil
}
