package access

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"time"

	"ipledger/migrations/pgdb"
)

// tokenCache keeps the principals of tokens checked lately, each with the revocation count
// (access.revocations, bumped by a trigger on every statement that updates or deletes tokens
// or principals) read before the check. A cached answer stands only while the count read at
// the new request is the same, so a revocation or rotation committed by any process ends the
// token at the next request everywhere; what a request saves is the join over tokens and
// principals (one prepared single-row read instead, shared with concurrent requests).
type tokenCache struct {
	db *sql.DB

	prepOnce sync.Once
	stmt     *sql.Stmt
	prepErr  error

	counts freshRead // of readCount

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
	c := &tokenCache{db: db, entries: map[string]cachedPrincipal{}}
	c.counts.read = c.readCount
	return c
}

// epoch returns the revocation count as read by a statement sent after the call began.
func (c *tokenCache) epoch(ctx context.Context) (int64, error) { return c.counts.get(ctx) }

// readCount runs the prepared count read.
func (c *tokenCache) readCount(ctx context.Context) (int64, error) {
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

// freshRead shares reads among concurrent callers, as group commit shares a flush: a caller
// takes the result of a read sent after it arrived (never one already on its way, whose
// snapshot may predate a revocation committed just before the call), so under load one
// read answers every caller that arrived while the previous one was out.
type freshRead struct {
	read func(context.Context) (int64, error)

	mu     sync.Mutex
	out    *sharedRead // the read on its way, nil when none
	queued *sharedRead // the read sent when out is back, for the callers that came since
}

// sharedRead is one read and the callers waiting for it.
type sharedRead struct {
	done chan struct{}
	n    int64
	err  error
}

// sharedReadTimeout bounds a shared read: it runs detached from the caller that sends it,
// so that one client going away does not fail the others waiting for it. It cancels (never
// a deadline, which would cut a prepared statement's reply in half: pgdb.WaitAtMost).
const sharedReadTimeout = 30 * time.Second

func (f *freshRead) get(ctx context.Context) (int64, error) {
	f.mu.Lock()
	switch {
	case f.out == nil: // nothing on its way: send one now
		r := &sharedRead{done: make(chan struct{})}
		f.out = r
		f.mu.Unlock()
		f.send(ctx, r)
		return r.n, r.err
	case f.queued != nil: // join the read that goes out next
		r := f.queued
		f.mu.Unlock()
		select {
		case <-r.done:
			return r.n, r.err
		case <-ctx.Done():
			return 0, fmt.Errorf("access: revocation count: %w", ctx.Err())
		}
	}
	// A read is out, sent perhaps before this call began: queue the next one and send it
	// when that one is back (send makes it the one out).
	r := &sharedRead{done: make(chan struct{})}
	f.queued = r
	prev := f.out
	f.mu.Unlock()
	<-prev.done
	f.send(ctx, r)
	return r.n, r.err
}

// send reads into r, makes the queued read (if any) the one out, and wakes r's waiters.
func (f *freshRead) send(ctx context.Context, r *sharedRead) {
	rctx, cancel := pgdb.WaitAtMost(context.WithoutCancel(ctx), sharedReadTimeout)
	r.n, r.err = f.read(rctx)
	cancel()
	f.mu.Lock()
	f.out, f.queued = f.queued, nil
	f.mu.Unlock()
	close(r.done)
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
