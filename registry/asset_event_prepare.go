package registry

import (
	"context"
	"reflect"

	"ipledger/ledger"
)

// AssetEventBatch is a batch of asset events made ready for its ledger write
// (PrepareAssetEvents): the events checked as far as they can be without the write, and each
// one's payload made ahead, as JSON in the ledger's canonical form — what the write would
// otherwise marshal and canonicalise on the ledger's one committer, between two statements.
// A payload follows from the event's input alone but for a transfer's region (the new first
// owner's unit, unless the asset is there already or its unit was set explicitly), made with
// the owner's region as read then. The write checks every event again and uses a payload made
// ahead only where the payload it checked is that very payload; any other it makes anew.
type AssetEventBatch struct {
	items []AssetEventItem
	preps []preparedEvent
	base  []BatchResult
	made  []*madeEvent // by item; nil where base holds the refusal
}

// madeEvent is an event's payload made ahead, and its canonical form.
type madeEvent struct {
	d     eventData
	canon ledger.Canonical
}

// holds says whether the payload checked in the write is the one made ahead.
func (m *madeEvent) holds(d eventData) bool { return reflect.DeepEqual(m.d, d) }

// PrepareAssetEvents checks a batch of events as far as it can without the write and makes
// their payloads ahead (AssetEventBatch). It reads the regions of the parties that transfers
// name first, outside any write: the write checks what was made with them again.
func (s *Service) PrepareAssetEvents(ctx context.Context, items []AssetEventItem) (*AssetEventBatch, error) {
	b := &AssetEventBatch{items: items, made: make([]*madeEvent, len(items))}
	b.preps, b.base = s.prepareAssetEvents(items)
	var owners []string
	for i, it := range items {
		if b.base[i].Err == nil && it.Event.Type == EventTransfer && len(it.Event.OwnerIDs) > 0 {
			owners = append(owners, it.Event.OwnerIDs[0].String())
		}
	}
	regions, err := partyRegions(ctx, s.db, owners)
	if err != nil {
		return nil, err
	}
	for i, it := range items {
		if b.base[i].Err != nil {
			continue
		}
		d := eventPayload(it.AssetID, it.Event)
		if d.Type == EventTransfer && len(d.OwnerIDs) > 0 {
			d.RegionCode = regions[d.OwnerIDs[0]] // as a transfer to another unit records it
		}
		canon, err := ledger.CanonicalPayload(d)
		if err != nil {
			return nil, err
		}
		b.made[i] = &madeEvent{d: d, canon: canon}
	}
	return b, nil
}

// RecordPreparedEvents is AssetEvents of a batch made ready by PrepareAssetEvents.
func (s *Service) RecordPreparedEvents(ctx context.Context, b *AssetEventBatch) ([]BatchResult, error) {
	return s.recordAssetEvents(ctx, b.items, b.preps, b.made, b.base)
}
