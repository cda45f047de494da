package ledger

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/uptrace/bun"
)

// Written collects the last seq that writes under one context committed: the API reports
// it on every write response (Ipledger-Seq), so a client can ask for its receipt.
type Written struct{ seq atomic.Int64 }

// Seq is the highest seq committed under the context so far; 0 when none.
func (w *Written) Seq() int64 { return w.seq.Load() }

type writtenKey struct{}

// WithWritten returns a context whose writes record their last seq in the returned Written.
func WithWritten(ctx context.Context) (context.Context, *Written) {
	w := &Written{}
	return context.WithValue(ctx, writtenKey{}, w), w
}

func noteWritten(ctx context.Context, seq int64) {
	w, _ := ctx.Value(writtenKey{}).(*Written)
	if w == nil {
		return
	}
	for {
		old := w.seq.Load()
		if seq <= old || w.seq.CompareAndSwap(old, seq) {
			return
		}
	}
}

// LastSeqOfKey is the last seq the write under an idempotency key appended, for a replayed
// response (found false when the key is unknown).
func LastSeqOfKey(ctx context.Context, db bun.IDB, actor, key string) (int64, bool, error) {
	var seq int64
	err := db.QueryRowContext(ctx, `SELECT coalesce(last_seq, first_seq) FROM ledger.idempotency WHERE actor = ? AND key = ?`, actor, key).Scan(&seq)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("ledger: idempotency key's last seq: %w", err)
	}
	return seq, true, nil
}
