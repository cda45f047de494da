package registry

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"
)

// TestBatchWrites: the batch paths run each item through the single-item rules, in order, in
// one ledger write; a refused item gets its own error and writes nothing, the others are
// recorded, and the projections equal what the single-item paths (and Rebuild) make.
func TestBatchWrites(t *testing.T) {
	f := newPledgeFixture(t)
	a := f.patent("2015-03-01", f.o1.ID)
	b := f.patent("2015-04-01", f.o1.ID)
	head := f.head()

	// Pledges: the second names a right the first took; the third fails before the database.
	bad := f.input([]uuid.UUID{f.o1.ID}, b.ID)
	bad.Amount = "-1"
	res, err := f.s.RegisterPledges(f.ctx, []PledgeInput{
		f.input([]uuid.UUID{f.o1.ID}, a.ID),
		f.input([]uuid.UUID{f.o1.ID}, a.ID),
		bad,
		f.input([]uuid.UUID{f.o2.ID}, b.ID), // not the owner
		f.input([]uuid.UUID{f.o1.ID}, b.ID),
	})
	if err != nil {
		t.Fatal(err)
	}
	wantCodes := []string{"", "asset_pledged", "amount_invalid", "pledgor_not_owner", ""}
	for i, r := range res {
		code := ""
		if r.Err != nil {
			code = r.Err.Code
		}
		if code != wantCodes[i] {
			t.Errorf("pledge %d: code %q, want %q", i, code, wantCodes[i])
		}
		if (r.ID == uuid.Nil) != (code != "") {
			t.Errorf("pledge %d: id %s with code %q", i, r.ID, code)
		}
	}
	if got := f.head(); got != head+2 {
		t.Errorf("head moved by %d, want 2 (one entry per recorded pledge)", got-head)
	}
	var pledges int
	f.db.App.QueryRowContext(f.ctx, `SELECT count(*) FROM registry.pledges`).Scan(&pledges)
	if pledges != 2 {
		t.Errorf("%d pledges projected, want 2", pledges)
	}

	// Pledge events: an amendment, then one that is refused (amount unchanged).
	pres, err := f.s.PledgeEvents(f.ctx, OfficeViewer(), []PledgeEventItem{
		{PledgeID: res[0].ID, Event: PledgeEventInput{Type: PledgeAmend, EffectiveOn: d("2025-07-01"), Amount: "6000000.00"}},
		{PledgeID: res[0].ID, Event: PledgeEventInput{Type: PledgeAmend, EffectiveOn: d("2025-07-02"), Amount: "6000000.00"}},
		{PledgeID: uuid.New(), Event: PledgeEventInput{Type: PledgeRelease}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if pres[0].Err != nil || pres[1].Err == nil || pres[1].Err.Code != "amend_empty" || pres[2].Err == nil || pres[2].Err.Code != "pledge_not_found" {
		t.Errorf("pledge events: %+v", pres)
	}

	// Asset events: a transfer of a pledged right without consent is refused; a lapse after
	// an earlier lapse in the same batch is refused (it sees the item before it).
	c := f.patent("2014-01-01", f.o2.ID)
	eres, err := f.s.AssetEvents(f.ctx, []AssetEventItem{
		{AssetID: a.ID, Event: EventInput{Type: EventTransfer, EffectiveOn: d("2025-08-01"), OwnerIDs: []uuid.UUID{f.o3.ID}}},
		{AssetID: c.ID, Event: EventInput{Type: EventLapse, EffectiveOn: d("2024-01-01")}},
		{AssetID: c.ID, Event: EventInput{Type: EventLapse, EffectiveOn: d("2024-02-01")}},
		{AssetID: c.ID, Event: EventInput{Type: "nonsense"}},
		{AssetID: c.ID, Event: EventInput{Type: EventRestore, EffectiveOn: d("2024-03-01")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	wantCodes = []string{"asset_pledged", "", "already_lapsed", "event_type_unknown", ""}
	for i, r := range eres {
		code := ""
		if r.Err != nil {
			code = r.Err.Code
		}
		if code != wantCodes[i] {
			t.Errorf("event %d: code %q, want %q", i, code, wantCodes[i])
		}
	}
	if got := f.get(c.ID, "2025-01-01"); !got.Valid {
		t.Errorf("lapsed and restored patent: %+v", got)
	}
	var evs int
	f.db.App.QueryRowContext(f.ctx, `SELECT count(*) FROM registry.asset_events WHERE asset_id = ?`, c.ID.String()).Scan(&evs)
	if evs != 2 {
		t.Errorf("%d events projected for c, want 2", evs)
	}
	if got := f.get(a.ID, "2025-09-01"); got.Owners[0].ID != f.o1.ID {
		t.Errorf("refused transfer changed the owner: %+v", got.Owners)
	}

	// The batch wrote what replay writes.
	f.rebuildMatches()
}

// WriteAhead writes every batch once, in order, and prepares at most two batches past the one
// being written; an error of either side is returned and nothing after it is written.
func TestWriteAhead(t *testing.T) {
	var mu sync.Mutex
	var prepared []int
	var written []string
	prep := func(failAt int) func(context.Context, int, int) (int, error) {
		return func(_ context.Context, start, end int) (int, error) {
			mu.Lock()
			prepared = append(prepared, start)
			mu.Unlock()
			if start == failAt {
				return 0, errors.New("prepare failed")
			}
			return end - start, nil
		}
	}
	write := func(failAt int) func(int, int, int) error {
		return func(start, end, n int) error {
			mu.Lock()
			defer mu.Unlock()
			if start == failAt {
				return errors.New("write failed")
			}
			if len(prepared) > len(written)+3 {
				t.Errorf("writing [%d, %d) with %d batches prepared", start, end, len(prepared))
			}
			written = append(written, fmt.Sprintf("%d-%d:%d", start, end, n))
			return nil
		}
	}
	for _, c := range []struct {
		name                string
		prepFail, writeFail int
		want                string
		wantErr             string
	}{
		{"All", -1, -1, "0-3:3 3-6:3 6-7:1", ""},
		{"PrepareFails", 3, -1, "0-3:3", "prepare failed"},
		{"WriteFails", -1, 3, "0-3:3", "write failed"},
	} {
		t.Run(c.name, func(t *testing.T) {
			prepared, written = nil, nil
			err := WriteAhead(context.Background(), 7, 3, prep(c.prepFail), write(c.writeFail))
			if got := strings.Join(written, " "); got != c.want {
				t.Errorf("written %q, want %q", got, c.want)
			}
			if (err == nil) != (c.wantErr == "") || err != nil && err.Error() != c.wantErr {
				t.Errorf("err = %v, want %q", err, c.wantErr)
			}
		})
	}
}
