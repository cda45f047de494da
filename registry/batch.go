package registry

import (
	"context"
	"slices"

	"github.com/google/uuid"

	"ipledger/ledger"
	"ipledger/registry/term"
)

// batch runs record for every item not refused already (base[i].Err) in one ledger write. A
// refusal is the item's result only if the item appended nothing (the record functions check
// every rule before appending); any other error fails the write. The ledger may run the write
// again (in a transaction of its own), so the results are rebuilt on every run.
func (s *Service) batch(ctx context.Context, base []BatchResult,
	record func(ctx context.Context, tx *ledger.Tx, i int) (uuid.UUID, error)) ([]BatchResult, error) {
	return writeResults(ctx, s, base, func(ctx context.Context, tx *ledger.Tx, out []BatchResult) error {
		for i := range out {
			if out[i].Err != nil {
				continue
			}
			before := len(tx.Entries())
			id, err := record(ctx, tx, i)
			if err != nil {
				if de, ok := AsError(err); ok && len(tx.Entries()) == before {
					out[i].Err = de
					continue
				}
				return err
			}
			out[i].ID = id
		}
		return nil
	})
}

// writeResults runs write in one ledger write with out a fresh copy of base, and returns the
// out of the run that committed: the ledger may run a write again (in a transaction of its
// own), so results are rebuilt on every run, never carried over from one that rolled back.
func writeResults[T any](ctx context.Context, s *Service, base []T,
	write func(ctx context.Context, tx *ledger.Tx, out []T) error) ([]T, error) {
	var res []T
	_, err := s.write(ctx, func(ctx context.Context, tx *ledger.Tx) error {
		out := slices.Clone(base)
		if err := write(ctx, tx, out); err != nil {
			return err
		}
		res = out
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// batchResults drops the recorded pledges or assets from a batch's outcomes.
func batchResults[O interface{ result() BatchResult }](outs []O, err error) ([]BatchResult, error) {
	if err != nil {
		return nil, err
	}
	res := make([]BatchResult, len(outs))
	for i, o := range outs {
		res[i] = o.result()
	}
	return res, nil
}

func (r BatchResult) result() BatchResult { return r }

// preparedEvent is an event item's entry kind and effective date, checked before the write.
type preparedEvent struct {
	kind string
	eff  term.Date
}

// prepareEvents checks every item of an event batch with prepare (no database); a refused
// item's result carries its error, so the write skips it.
func prepareEvents[T any](items []T, prepare func(T) (string, term.Date, *Error)) ([]preparedEvent, []BatchResult) {
	preps := make([]preparedEvent, len(items))
	base := make([]BatchResult, len(items))
	for i, it := range items {
		kind, eff, err := prepare(it)
		if err != nil {
			base[i].Err = err
			continue
		}
		preps[i] = preparedEvent{kind, eff}
	}
	return preps, base
}

// WriteAhead writes n items in batches of size in order, each made ready (prepare: a
// Prepare… call and whatever the caller draws or reads for it) while the batch before it is
// written (write: the matching Register…/Record…). It is how a bulk loader keeps the ledger's
// one committer on statements rather than waiting for Go work between two writes. The first
// error of either stops both, and the preparing is waited for before WriteAhead returns.
func WriteAhead[B any](ctx context.Context, n, size int, prepare func(ctx context.Context, start, end int) (B, error),
	write func(start, end int, b B) error) error {
	type batch struct {
		start, end int
		b          B
		err        error
	}
	ctx, cancel := context.WithCancel(ctx)
	batches := make(chan batch, 1)
	defer func() { // a load stopped early stops the preparing too, and waits for it
		cancel()
		for range batches {
		}
	}()
	go func() {
		defer close(batches)
		for start := 0; start < n; start += size {
			x := batch{start: start, end: min(start+size, n)}
			x.b, x.err = prepare(ctx, x.start, x.end)
			select {
			case batches <- x:
			case <-ctx.Done():
				return
			}
			if x.err != nil {
				return
			}
		}
	}()
	for x := range batches {
		if x.err != nil {
			return x.err
		}
		if err := write(x.start, x.end, x.b); err != nil {
			return err
		}
	}
	return nil
}
