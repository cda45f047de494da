package registry

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/google/uuid"

	"ipledger/registry/ident"
	"ipledger/registry/term"
)

// A batch made ready before the write (PrepareAssets) is written with what holds in the write:
// an owner that moved and a policy that changed in between are read again, and what was made
// with them is made again, so each asset is recorded and projected exactly as if it had been
// prepared after the change.
func TestRegisterPreparedRemakesWhatChanged(t *testing.T) {
	f := newFixture(t)
	moving, staying := f.party("150502"), f.party("150521")
	serial := 0
	in := func(owner uuid.UUID) AssetInput {
		serial++
		return AssetInput{Kind: ident.InventionPatent, Number: patentNo(2003, '1', serial), Title: "准备好的专利",
			OwnerIDs: []uuid.UUID{owner}, FiledOn: d("2003-10-15"), GrantedOn: d("2006-01-10")}
	}
	for _, c := range []struct {
		name   string
		change func() error
		spans  []string // current spans of the two assets, as the write must project them
	}{
		{"OwnerMoved", func() error {
			_, err := f.s.PartyEvent(f.ctx, moving.ID, PartyEventInput{Type: "move", RegionCode: "150523"})
			return err
		}, []string{"150523 2006-01-10..2023-10-15 hv=2013-10-16", "150521 2006-01-10..2023-10-15 hv=2013-10-16"}},
		{"PolicyChanged", func() error { // high value from 2008, not 2013
			return f.s.SetParam(f.ctx, ParamMaintainedYears, 5, term.Date{})
		}, []string{"150523 2006-01-10..2023-10-15 hv=2008-10-16", "150521 2006-01-10..2023-10-15 hv=2008-10-16"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			stale, err := f.s.PrepareAssets(f.ctx, []AssetInput{in(moving.ID), in(staying.ID)})
			if err != nil {
				t.Fatal(err)
			}
			if err := c.change(); err != nil {
				t.Fatal(err)
			}
			res, err := f.s.RegisterPrepared(f.ctx, stale)
			if err != nil {
				t.Fatal(err)
			}
			fresh, err := f.s.RegisterAssets(f.ctx, []AssetInput{in(moving.ID), in(staying.ID)})
			if err != nil {
				t.Fatal(err)
			}
			for i := range res {
				if res[i].Err != nil || fresh[i].Err != nil {
					t.Fatalf("asset %d: %v, %v", i, res[i].Err, fresh[i].Err)
				}
				if got := f.spans(res[i].ID, true); got != c.spans[i] {
					t.Errorf("asset %d prepared before the change has spans %q, want %q", i, got, c.spans[i])
				}
				got, want := f.get(res[i].ID, "2026-03-01"), f.get(fresh[i].ID, "2026-03-01")
				if got.RegionCode != want.RegionCode || !reflect.DeepEqual(got.HighValue, want.HighValue) || got.ExpiresOn != want.ExpiresOn {
					t.Errorf("asset %d prepared before the change: region %s, high value %v; prepared after: %s, %v",
						i, got.RegionCode, got.HighValue, want.RegionCode, want.HighValue)
				}
				if g, w := f.spans(res[i].ID, false), f.spans(fresh[i].ID, false); g != w {
					t.Errorf("asset %d prepared before the change has spans %q; prepared after: %q", i, g, w)
				}
				if g, w := f.registration(res[i].ID), f.registration(fresh[i].ID); g != w {
					t.Errorf("asset %d prepared before the change was recorded as %s; prepared after: %s", i, g, w)
				}
			}
		})
	}
}

// registration is the asset's registration entry's payload without its id and number, as
// the ledger recorded it.
func (f *fixture) registration(id uuid.UUID) string {
	f.t.Helper()
	var payload string
	if err := f.db.App.QueryRowContext(f.ctx, `SELECT payload::text FROM ledger.entries WHERE subject = ? AND kind = ?`,
		"asset/"+id.String(), kindAssetRegistered).Scan(&payload); err != nil {
		f.t.Fatal(err)
	}
	var p map[string]any
	if err := json.Unmarshal([]byte(payload), &p); err != nil {
		f.t.Fatal(err)
	}
	delete(p, "id")
	delete(p, "number")
	b, _ := json.Marshal(p)
	return string(b)
}
