package registry

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/google/uuid"
)

// entryPayload decodes the payload the ledger recorded for subject's entry of kind.
func (f *fixture) entryPayload(subject, kind string, v any) {
	f.t.Helper()
	var payload string
	if err := f.db.App.QueryRowContext(f.ctx, `SELECT payload::text FROM ledger.entries WHERE subject = ? AND kind = ?`,
		subject, kind).Scan(&payload); err != nil {
		f.t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(payload), v); err != nil {
		f.t.Fatal(err)
	}
}

// Events made ready before the write (PrepareAssetEvents) are recorded with what holds in the
// write: a transfer's payload made with the new owner's region as read then is made again when
// the owner moved in between, or when the right is in that unit already (the payload then names
// no region), so each event is recorded and projected as if it had been prepared in the write.
func TestRecordPreparedEventsRemakesWhatChanged(t *testing.T) {
	f := newPledgeFixture(t)
	moving, here := f.party("150525"), f.party("150502")
	moved := f.patent("2014-03-01", f.o1.ID) // in 150502, to the owner who moves to 150571
	stays := f.patent("2014-03-02", f.o1.ID) // in 150502, to an owner in 150502
	other := f.patent("2014-03-03", f.o2.ID) // in 150525, to o3 in 150523: made ahead as it is
	transfer := func(id uuid.UUID, to Party) AssetEventItem {
		return AssetEventItem{AssetID: id, Event: EventInput{Type: EventTransfer, EffectiveOn: d("2025-02-01"), OwnerIDs: []uuid.UUID{to.ID}}}
	}
	b, err := f.s.PrepareAssetEvents(f.ctx, []AssetEventItem{transfer(moved.ID, moving), transfer(stays.ID, here), transfer(other.ID, f.o3)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.PartyEvent(f.ctx, moving.ID, PartyEventInput{Type: "move", RegionCode: "150571"}); err != nil {
		t.Fatal(err)
	}
	res, err := f.s.RecordPreparedEvents(f.ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range []struct {
		id      uuid.UUID
		to      Party
		payload string // the region the entry names
		region  string // the right's unit after it
	}{{moved.ID, moving, "150571", "150571"}, {stays.ID, here, "", "150502"}, {other.ID, f.o3, "150523", "150523"}} {
		if res[i].Err != nil {
			t.Fatalf("event %d: %v", i, res[i].Err)
		}
		var got eventData
		f.entryPayload("asset/"+c.id.String(), "asset.transferred", &got)
		want := eventData{AssetID: c.id, Type: EventTransfer, OwnerIDs: []uuid.UUID{c.to.ID}, RegionCode: c.payload}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("event %d recorded\n%+v\nwant\n%+v", i, got, want)
		}
		if a := f.get(c.id, "2025-03-01"); a.RegionCode != c.region {
			t.Errorf("event %d: the right is in %s, want %s", i, a.RegionCode, c.region)
		}
	}
	f.rebuildMatches()
}

// Registrations made ready before the write (PreparePledges) are recorded with what holds in
// the write: a payload made with the first pledgor's region as read then is made again when the
// pledgor moved in between.
func TestRegisterPreparedPledgesRemakesWhatChanged(t *testing.T) {
	f := newPledgeFixture(t)
	a2, a3 := f.patent("2014-03-01", f.o2.ID), f.patent("2014-03-02", f.o3.ID)
	b, err := f.s.PreparePledges(f.ctx, []PledgeInput{f.input([]uuid.UUID{f.o2.ID}, a2.ID), f.input([]uuid.UUID{f.o3.ID}, a3.ID)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.PartyEvent(f.ctx, f.o2.ID, PartyEventInput{Type: "move", RegionCode: "150571"}); err != nil {
		t.Fatal(err)
	}
	res, err := f.s.RegisterPreparedPledges(f.ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"150571", "150523"} {
		if res[i].Err != nil {
			t.Fatalf("pledge %d: %v", i, res[i].Err)
		}
		var got pledgePayload
		f.entryPayload(pledgeSubject(res[i].ID), kindPledgeRegistered, &got)
		if got.RegionCode != want || got.ID != res[i].ID {
			t.Errorf("pledge %d recorded %s in %s, want %s in %s", i, got.ID, got.RegionCode, res[i].ID, want)
		}
		var region string
		if err := f.db.App.QueryRowContext(f.ctx, `SELECT region_code FROM registry.pledges WHERE id = ?`, res[i].ID).Scan(&region); err != nil {
			t.Fatal(err)
		}
		if region != want {
			t.Errorf("pledge %d is projected in %s, want %s", i, region, want)
		}
	}
	f.rebuildMatches()
}
