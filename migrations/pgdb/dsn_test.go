package pgdb

import (
	"slices"
	"testing"
)

// TestLibpqArgs: the server, port and user of both URL forms as command-line flags; the
// password and sslmode only in the environment; the driver's own settings left out.
func TestLibpqArgs(t *testing.T) {
	for _, c := range []struct {
		dsn       string
		args, env []string
	}{
		{"unix://postgres@db1/var/tmp/pg/.s.PGSQL.5432?sslmode=disable", []string{"-h", "/var/tmp/pg", "-p", "5432", "-U", "postgres"}, nil},
		{"postgres://bench:s3cret@127.0.0.1:55470/postgres?sslmode=disable&timeout=5s", []string{"-h", "127.0.0.1", "-p", "55470", "-U", "bench"}, []string{"PGSSLMODE=disable", "PGPASSWORD=s3cret"}},
		{"postgresql://u@/db?sslmode=require", []string{"-h", "localhost", "-p", "5432", "-U", "u"}, []string{"PGSSLMODE=require"}},
	} {
		args, env, err := LibpqArgs(c.dsn)
		if err != nil || !slices.Equal(args, c.args) || !slices.Equal(env, c.env) {
			t.Errorf("%s: args %q env %q (%v), want %q %q", c.dsn, args, env, err, c.args, c.env)
		}
	}
	for _, bad := range []string{"mysql://u@h/db", "unix://u@db/var/tmp/pg/socket", "::"} {
		if args, _, err := LibpqArgs(bad); err == nil {
			t.Errorf("%s: got %q, want an error", bad, args)
		}
	}
}
