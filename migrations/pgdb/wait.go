package pgdb

import (
	"context"
	"time"
)

// WaitAtMost returns ctx cancelled after d, with no deadline. pgdriver turns a context's
// deadline into socket deadlines, and on the extended protocol (preparing a statement,
// running a prepared one) a deadline that passes mid-exchange leaves the connection in the
// pool with the server's replies unread: the next statement on it reads them
// ("unexpected message '1'"). A cancellation pgdriver does not watch once a statement is on
// the wire, while database/sql honours it while waiting for a connection: so this bounds the
// wait for a connection and never cuts a reply in half. The server's statement_timeout
// bounds the statement itself.
func WaitAtMost(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(ctx)
	t := time.AfterFunc(d, cancel)
	return ctx, func() {
		t.Stop()
		cancel()
	}
}
