package openapi

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/uptrace/bun"

	"ipledger/ledger"
)

// ReadFromHeader says which database answered a read: "replica" or "primary".
const ReadFromHeader = "Ipledger-Read-From"

// ReadYourWrites routes between two handlers of the same API: onReplica (Deps.ReadDB a
// streaming replica) and onPrimary (reads from the primary). Every request goes to
// onReplica, except a read that carries Ipledger-Seq: N (the seq a write of the client's
// answered with) while the replica has not replayed entry N: it waits up to wait for the
// replica to catch up, and past that is answered from the primary. A client that sends the
// seq of its last write so always sees it; others read the replica, which may lag.
func ReadYourWrites(onReplica, onPrimary http.Handler, replica bun.IDB, wait time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			onReplica.ServeHTTP(w, r) // writes go to the ledger (the primary) either way
			return
		}
		want, err := strconv.ParseInt(r.Header.Get(seqHeader), 10, 64)
		if err != nil || want <= 0 || replayedThrough(r.Context(), replica, want, wait) {
			w.Header().Set(ReadFromHeader, "replica")
			onReplica.ServeHTTP(w, r)
			return
		}
		w.Header().Set(ReadFromHeader, "primary")
		onPrimary.ServeHTTP(w, r)
	})
}

// replayedThrough waits, at most wait, until the replica's ledger head is at least seq.
func replayedThrough(ctx context.Context, replica bun.IDB, seq int64, wait time.Duration) bool {
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	for {
		if head, err := ledger.LastSeq(ctx, replica); err == nil && head >= seq {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(10 * time.Millisecond):
		}
	}
}
