package registry

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/driver/pgdriver"
)

// queryPrepared runs a hot read as a prepared statement when db is the pool. bun writes the
// arguments into the statement's text, so Postgres parses and plans every call anew; for the
// read of one pledge, planning took two to three times its execution (EXPLAIN ANALYZE,
// docs/BENCHMARKS.md). database/sql prepares a *sql.Stmt once per pooled connection and
// pgdriver binds the arguments, so Postgres plans the statement once per connection (and, for
// an id lookup, settles on a generic plan). query uses bun's ? placeholders, none of them
// inside a quoted literal; inside a transaction, or past maxPrepared statements per pool (a
// guard against callers building the text from values), or with a bun array argument, it runs
// as bun runs it.
func queryPrepared(ctx context.Context, db bun.IDB, query string, args ...any) (*sql.Rows, error) {
	pool, ok := db.(*bun.DB)
	if !ok {
		return db.QueryContext(ctx, query, args...)
	}
	for _, a := range args {
		if _, ok := a.(*pgdialect.ArrayValue); ok { // bun's array is no driver.Valuer
			return db.QueryContext(ctx, query, args...)
		}
	}
	st, err := prepared.get(ctx, pool.DB, query)
	if err != nil {
		return nil, err
	}
	if st == nil {
		return db.QueryContext(ctx, query, args...)
	}
	return st.QueryContext(ctx, args...)
}

// maxPrepared: the reads here and the writes' hot statements (txprepared.go) share the cache;
// a read prepared after the writes filled it would be planned on every call again.
const maxPrepared = 64

var prepared = stmtCache{m: map[*sql.DB]map[string]*sql.Stmt{}, refused: map[*sql.DB]map[string]int{}}

type stmtCache struct {
	mu sync.Mutex
	m  map[*sql.DB]map[string]*sql.Stmt
	// refused: texts Postgres would not prepare (several commands in one, say) and how often
	// it was asked; they run as bun runs them without another round trip to be refused again
	// (at most maxPrepared texts).
	refused map[*sql.DB]map[string]int
}

// get returns query prepared on db, or nil when db has maxPrepared statements already or
// Postgres refused the text before. It prepares without holding the cache's lock: preparing
// may wait for a free connection, and the statements already prepared (the write
// transaction's among them) must not wait with it.
func (c *stmtCache) get(ctx context.Context, db *sql.DB, query string) (*sql.Stmt, error) {
	if st, ok, full := c.lookup(db, query); ok || full {
		return st, nil
	}
	st, err := db.PrepareContext(ctx, dollarPlaceholders(query))
	// The text's own fault (class 42: syntax, several commands, no such table), not a
	// connection's, a deadline's or the server's load.
	if pe := (pgdriver.Error{}); errors.As(err, &pe) && strings.HasPrefix(pe.Field('C'), "42") {
		c.mu.Lock()
		if c.refused[db] == nil {
			c.refused[db] = map[string]int{}
		}
		if _, ok := c.refused[db][query]; ok || len(c.refused[db]) < maxPrepared {
			c.refused[db][query]++
		}
		c.mu.Unlock()
	}
	if err != nil {
		return nil, fmt.Errorf("registry: prepare: %w", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	byQuery := c.m[db]
	if other, ok := byQuery[query]; ok { // prepared meanwhile by another caller
		st.Close()
		return other, nil
	}
	if len(byQuery) >= maxPrepared {
		st.Close()
		return nil, nil
	}
	if byQuery == nil {
		byQuery = map[string]*sql.Stmt{}
		c.m[db] = byQuery
	}
	byQuery[query] = st
	return st, nil
}

// lookup returns query's statement on db if prepared (ok), and whether query is not to be
// prepared (full): db has no room left, or Postgres refused the text before.
func (c *stmtCache) lookup(db *sql.DB, query string) (st *sql.Stmt, ok, full bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	st, ok = c.m[db][query]
	return st, ok, len(c.m[db]) >= maxPrepared || c.refused[db][query] > 0
}

// dollarPlaceholders turns bun's ? (and ?0, ?1, …) placeholders outside quoted literals into
// $1, $2, …. It knows only '…' literals: a statement with an apostrophe in a comment, an
// E'…\'…' string or dollar quoting is not for it.
func dollarPlaceholders(q string) string {
	var b strings.Builder
	n, quoted := 0, false
	for i := 0; i < len(q); i++ {
		switch c := q[i]; {
		case c == '\'':
			quoted = !quoted
			b.WriteByte(c)
		case c == '?' && !quoted:
			// bun's ?0, ?1, … name arguments by position; a bare ? takes the next one.
			j := i + 1
			for j < len(q) && q[j] >= '0' && q[j] <= '9' {
				j++
			}
			if j > i+1 {
				k, _ := strconv.Atoi(q[i+1 : j])
				b.WriteByte('$')
				b.WriteString(strconv.Itoa(k + 1))
				i = j - 1
				continue
			}
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
