package registry

import (
	"context"

	"github.com/google/uuid"

	"ipledger/ledger"
	"ipledger/registry/term"
)

// Batch writes: many registrations or events in ONE ledger write (one transaction, one commit),
// for loads and imports. Each item goes through exactly the path of its single-item method
// (recordEvent, recordPledges, recordPledgeEvent) and sees every item before it. An item refused
// by a rule gets its own *Error in the result and changes nothing — every rule is checked before
// an item appends or writes anything — and the other items are recorded. An error that is not a
// refusal (the database failed, or a projection refused after its entry was appended) fails the
// whole write: nothing of the batch is kept.

// AssetEventItem is one event of AssetEvents: the asset and the event, as for AssetEvent.
type AssetEventItem struct {
	AssetID uuid.UUID
	Event   EventInput
}

// AssetEvents records many asset events in one ledger write, in order. res[i].ID is the asset
// of items[i] when it was recorded; res[i].Err says why it was refused.
func (s *Service) AssetEvents(ctx context.Context, items []AssetEventItem) ([]BatchResult, error) {
	today := s.Today()
	type prepared struct {
		kind string
		eff  term.Date
	}
	preps := make([]prepared, len(items))
	base := make([]BatchResult, len(items))
	for i, it := range items {
		kind, eff, err := prepareEvent(it.Event, today)
		if err != nil {
			base[i].Err = err
			continue
		}
		preps[i] = prepared{kind, eff}
	}
	return s.batch(ctx, base, func(ctx context.Context, tx *ledger.Tx, i int) (uuid.UUID, error) {
		it := items[i]
		return it.AssetID, recordEvent(ctx, tx, it.AssetID, it.Event, preps[i].kind, preps[i].eff)
	})
}

// RegisterPledges registers many pledges in one ledger write, in order: a later pledge sees the
// earlier ones (a right pledged by an earlier item is refused with asset_pledged). res[i].ID is
// the new pledge of ins[i]; res[i].Err says why it was refused.
func (s *Service) RegisterPledges(ctx context.Context, ins []PledgeInput) ([]BatchResult, error) {
	return batchResults(s.registerPledges(ctx, ins))
}

// registerPledges is RegisterPledges with each new pledge as recorded.
func (s *Service) registerPledges(ctx context.Context, ins []PledgeInput) ([]pledgeOutcome, error) {
	today := s.Today()
	ps := make([]*pledgePayload, len(ins))
	base := make([]pledgeOutcome, len(ins))
	for i, in := range ins {
		p, err := preparePledge(in, today)
		if err != nil {
			base[i].Err = asDomain(err)
			continue
		}
		p.ID = newID()
		ps[i] = p
	}
	res := make([]pledgeOutcome, len(base))
	copy(res, base)
	_, err := s.write(ctx, func(ctx context.Context, tx *ledger.Tx) error {
		// The ledger may run the write again: the results and payloads are rebuilt each time.
		out := make([]pledgeOutcome, len(base))
		copy(out, base)
		run := make([]*pledgePayload, len(ps))
		for i, p := range ps {
			if p != nil {
				c := *p
				run[i] = &c
			}
		}
		if err := recordPledges(ctx, tx, run, out); err != nil {
			return err
		}
		copy(res, out)
		return nil
	})
	if err != nil {
		return nil, pledgeWriteError(err)
	}
	return res, nil
}

// PledgeEventItem is one event of PledgeEvents: the pledge and the event, as for PledgeEvent.
type PledgeEventItem struct {
	PledgeID uuid.UUID
	Event    PledgeEventInput
}

// PledgeEvents records many pledge events in one ledger write, in order, as v (see PledgeEvent).
// res[i].ID is the pledge of items[i] when it was recorded; res[i].Err says why it was refused.
func (s *Service) PledgeEvents(ctx context.Context, v Viewer, items []PledgeEventItem) ([]BatchResult, error) {
	today := s.Today()
	type prepared struct {
		kind string
		eff  term.Date
	}
	preps := make([]prepared, len(items))
	base := make([]BatchResult, len(items))
	for i, it := range items {
		kind, eff, err := preparePledgeEvent(it.Event, today)
		if err != nil {
			base[i].Err = err
			continue
		}
		preps[i] = prepared{kind, eff}
	}
	res, err := s.batch(ctx, base, func(ctx context.Context, tx *ledger.Tx, i int) (uuid.UUID, error) {
		it := items[i]
		return it.PledgeID, recordPledgeEvent(ctx, tx, v, it.PledgeID, it.Event, preps[i].kind, preps[i].eff)
	})
	return res, pledgeWriteError(err)
}

// batch runs record for every item not refused already (base[i].Err) in one ledger write. A
// refusal is the item's result only if the item appended nothing (the record functions check
// every rule before appending); any other error fails the write. The ledger may run the write
// again (in a transaction of its own), so the results are rebuilt on every run.
func (s *Service) batch(ctx context.Context, base []BatchResult,
	record func(ctx context.Context, tx *ledger.Tx, i int) (uuid.UUID, error)) ([]BatchResult, error) {
	res := make([]BatchResult, len(base))
	copy(res, base)
	_, err := s.write(ctx, func(ctx context.Context, tx *ledger.Tx) error {
		out := make([]BatchResult, len(base))
		copy(out, base)
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
		copy(res, out)
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

// asDomain returns err's *Error (the prepare functions return nothing else).
func asDomain(err error) *Error {
	if de, ok := AsError(err); ok {
		return de
	}
	return Errorf(Invalid, "invalid", "", "%v", err)
}
