package access

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
)

// tokenCache keeps the principals of tokens checked lately, each with the revocation count
// (access.revocations, bumped by a trigger on every statement that updates or deletes tokens
// or principals) read before the check. A cached answer stands only while the count read at
// the new request is the same, so a revocation or rotation committed by any process ends the
// token at the next request everywhere; what a request saves is the join over tokens and
// principals (one prepared single-row read instead).
type tokenCache struct {
	db *sql.DB

	prepOnce sync.Once
	stmt     *sql.Stmt
	prepErr  error

	mu      sync.Mutex
	entries map[string]cachedPrincipal // by token digest
}

type cachedPrincipal struct {
	p     Principal
	epoch int64
}

// cacheMax bounds the cache; it is emptied when full (principals are few).
const cacheMax = 10_000

func newTokenCache(db *sql.DB) *tokenCache {
	return &tokenCache{db: db, entries: map[string]cachedPrincipal{}}
}

// epoch reads the revocation count.
func (c *tokenCache) epoch(ctx context.Context) (int64, error) {
	c.prepOnce.Do(func() {
		c.stmt, c.prepErr = c.db.PrepareContext(context.WithoutCancel(ctx), `SELECT n FROM access.revocations`)
	})
	if c.prepErr != nil {
		return 0, fmt.Errorf("access: prepare revocation count: %w", c.prepErr)
	}
	var n int64
	if err := c.stmt.QueryRowContext(ctx).Scan(&n); err != nil {
		return 0, fmt.Errorf("access: revocation count: %w", err)
	}
	return n, nil
}

func (c *tokenCache) get(digest []byte, epoch int64) (Principal, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[string(digest)]
	if !ok || e.epoch != epoch {
		return Principal{}, false
	}
	return e.p, true
}

func (c *tokenCache) put(digest []byte, epoch int64, p Principal) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= cacheMax {
		clear(c.entries)
	}
	c.entries[string(digest)] = cachedPrincipal{p: p, epoch: epoch}
}
