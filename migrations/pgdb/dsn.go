package pgdb

import (
	"fmt"
	"net/url"
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
