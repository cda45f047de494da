package migrations

import (
	"fmt"
	"io/fs"
	"strconv"
	"strings"
)

// Latest is the highest migration version embedded in this binary: the version a database
// must be at for this binary to serve it.
func Latest() (uint, error) {
	names, err := fs.Glob(files, "sql/*.up.sql")
	if err != nil {
		return 0, fmt.Errorf("migrations: list: %w", err)
	}
	var latest uint
	for _, n := range names {
		num, _, _ := strings.Cut(strings.TrimPrefix(n, "sql/"), "_")
		v, err := strconv.ParseUint(num, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("migrations: %s: version is not a number", n)
		}
		latest = max(latest, uint(v))
	}
	return latest, nil
}
