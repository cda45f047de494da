package ledger

import (
	"context"
	"sync/atomic"
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
