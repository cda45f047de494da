package registry

import (
	"testing"

	"github.com/google/uuid"

	"ipledger/registry/ident"
)

// The registration rules over a view, with no database: each case builds the view, checks a
// batch in order (accepting what passes) and names every verdict.
func TestPledgeViewChecks(t *testing.T) {
	owner, co, bank, firm := uuid.New(), uuid.New(), uuid.New(), uuid.New()
	parties := map[uuid.UUID]pledgeParty{
		owner: {name: "甲公司", kind: Enterprise, region: "150502"},
		co:    {name: "乙公司", kind: Enterprise, region: "150525"},
		bank:  {name: "银行", kind: Bank, region: "150502"},
		firm:  {name: "丙公司", kind: Enterprise, region: "150502"},
	}
	patent := func(filed string, granted string, owners ...uuid.UUID) *loaded {
		f := facts{Kind: ident.InventionPatent, FiledOn: d(filed), Owners: owners, Region: "150502"}
		if granted != "" {
			f.GrantedOn = d(granted)
		}
		return &loaded{id: uuid.New(), number: "2015100000001", f: f}
	}
	mark := &loaded{id: uuid.New(), number: "31234567", f: facts{Kind: ident.GICertificationMark, GrantedOn: d("2018-01-01"), Owners: []uuid.UUID{owner}, Region: "150502"}}
	a1, a2 := patent("2015-01-10", "2017-01-10", owner), patent("2016-02-10", "2018-02-10", owner)
	joint := patent("2016-03-10", "2018-03-10", owner, co)
	lapsed := patent("2004-02-02", "2006-02-02", owner) // expires 2024-02-01
	pending := patent("2023-05-05", "", owner)
	held, was := patent("2015-04-04", "2017-04-04", owner), patent("2015-05-05", "2017-05-05", owner)
	holder, earlier := uuid.New(), uuid.New()

	type item struct {
		pledgee  uuid.UUID
		pledgors []uuid.UUID
		assets   []*loaded
		on, ends string
	}
	reg := func(assets ...*loaded) item {
		return item{pledgee: bank, pledgors: []uuid.UUID{owner}, assets: assets, on: "2025-06-01", ends: "2030-12-31"}
	}
	with := func(it item, f func(*item)) item { f(&it); return it }
	cases := []struct {
		name  string
		batch []item
		want  []string // "" accepted, else the code
		field string   // of the last refusal
		ref   uuid.UUID
	}{
		{"accepted", []item{reg(a1)}, []string{""}, "", uuid.Nil},
		{"pledgee unknown", []item{with(reg(a1), func(i *item) { i.pledgee = uuid.New() })}, []string{"pledgee_unknown"}, "pledgee_id", uuid.Nil},
		{"pledgee no bank", []item{with(reg(a1), func(i *item) { i.pledgee = firm })}, []string{"pledgee_not_bank"}, "pledgee_id", uuid.Nil},
		{"pledgor unknown", []item{with(reg(a1), func(i *item) { i.pledgors = []uuid.UUID{owner, uuid.New()} })}, []string{"pledgor_unknown"}, "pledgor_ids[1]", uuid.Nil},
		{"asset unknown", []item{reg(a1, &loaded{id: uuid.New()})}, []string{"asset_unknown"}, "asset_ids[1]", uuid.Nil},
		{"GI mark", []item{reg(mark)}, []string{"asset_not_pledgeable"}, "asset_ids[0]", uuid.Nil},
		{"not granted", []item{reg(pending)}, []string{"asset_not_valid"}, "asset_ids[0]", uuid.Nil},
		{"lapsed", []item{reg(lapsed)}, []string{"asset_not_valid"}, "asset_ids[0]", uuid.Nil},
		{"term past expiry", []item{with(reg(a1), func(i *item) { i.ends = "2035-01-11" })}, []string{"term_past_expiry"}, "asset_ids[0]", uuid.Nil},
		{"not the owner", []item{with(reg(a1), func(i *item) { i.pledgors = []uuid.UUID{co} })}, []string{"pledgor_not_owner"}, "pledgor_ids[0]", uuid.Nil},
		{"co-owner missing", []item{reg(joint)}, []string{"co_owner_missing"}, "pledgor_ids", uuid.Nil},
		{"co-owners together", []item{with(reg(joint), func(i *item) { i.pledgors = []uuid.UUID{owner, co} })}, []string{""}, "", uuid.Nil},
		{"in an active pledge", []item{reg(a1, held)}, []string{"asset_pledged"}, "asset_ids[1]", holder},
		{"released after the date", []item{reg(was)}, []string{"asset_pledged"}, "asset_ids[0]", earlier},
		{"released before the date", []item{with(reg(was), func(i *item) { i.on = "2025-10-01" })}, []string{""}, "", uuid.Nil},
		{"twice in one batch", []item{reg(a1), reg(a2), reg(a2, a1)}, []string{"", "", "asset_pledged"}, "asset_ids[0]", uuid.Nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := &pledgeView{parties: parties, assets: map[uuid.UUID]*loaded{}, pol: defaultPolicy(),
				holds: map[uuid.UUID][]pledgeHold{
					held.id: {{pledge: holder, active: true}},
					was.id:  {{pledge: earlier, releasedOn: d("2025-09-01")}},
				}}
			var ids []uuid.UUID
			for _, it := range c.batch {
				p := &pledgePayload{ID: uuid.New(), PledgeeID: it.pledgee, PledgorIDs: it.pledgors, AmountFen: 100_000_00,
					RegisteredOn: d(it.on), StartsOn: d(it.on), EndsOn: d(it.ends)}
				for _, l := range it.assets {
					p.AssetIDs = append(p.AssetIDs, l.id)
					if l.f.Kind != "" {
						c := *l
						c.fin = nil
						v.assets[l.id] = &c
					}
				}
				ids = append(ids, p.ID)
				var got string
				de := v.checkRegistration(p)
				if de != nil {
					got = de.Code
				} else {
					v.accept(p)
				}
				k := len(ids) - 1
				if got != c.want[k] {
					t.Fatalf("item %d: %q (%v), want %q", k, got, de, c.want[k])
				}
				if de != nil && k == len(c.batch)-1 {
					if de.Field != c.field {
						t.Fatalf("field %q, want %q", de.Field, c.field)
					}
					want := c.ref
					if c.name == "twice in one batch" {
						want = ids[1] // a2, the first right in input order, is held by the second item
					}
					if want != uuid.Nil && de.Ref != want.String() {
						t.Fatalf("ref %s, want %s", de.Ref, want)
					}
				}
			}
			if c.name == "accepted" {
				p := ids[0]
				if h := v.holds[a1.id]; len(h) != 1 || h[0].pledge != p || !h[0].active {
					t.Fatalf("the accepted pledge does not hold its right in the view: %+v", h)
				}
				if fin := v.assets[a1.id].fin; len(fin) != 1 || fin[0].AmountFen != 100_000_00 || fin[0].On != d("2025-06-01") {
					t.Fatalf("the accepted amount is not the right's financing in the view: %+v", fin)
				}
			}
		})
	}
}
