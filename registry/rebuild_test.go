package registry

import (
	"slices"
	"testing"

	"github.com/google/uuid"

	"ipledger/registry/ident"
	"ipledger/registry/term"
)

// snapshot returns every row of every table Rebuild rewrites, in a fixed order.
func (f *fixture) snapshot() map[string][]string {
	f.t.Helper()
	out := map[string][]string{}
	for _, p := range Projections() {
		for _, table := range p.Tables() {
			rows, err := f.db.App.QueryContext(f.ctx, `SELECT row_to_json(t)::text AS r FROM `+table+` t ORDER BY r`)
			if err != nil {
				f.t.Fatal(err)
			}
			for rows.Next() {
				var r string
				if err := rows.Scan(&r); err != nil {
					f.t.Fatal(err)
				}
				out[table] = append(out[table], r)
			}
			rows.Close()
		}
	}
	return out
}

// rebuildMatches rebuilds every projection and fails the test where a table differs from
// what the live writes left.
func (f *fixture) rebuildMatches() {
	f.t.Helper()
	before := f.snapshot()
	if err := f.s.Rebuild(f.ctx); err != nil {
		f.t.Fatal(err)
	}
	after := f.snapshot()
	for table, rows := range before {
		if !slices.Equal(rows, after[table]) {
			f.t.Errorf("%s differs after Rebuild", table)
		}
	}
}

func TestRebuild(t *testing.T) {
	f := newFixture(t)
	o1, o2 := f.party("150502"), f.party("150525")
	if _, err := f.s.PartyEvent(f.ctx, o1.ID, PartyEventInput{Type: "rename", Name: "改名公司"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.PartyEvent(f.ctx, o2.ID, PartyEventInput{Type: "move", RegionCode: "150571"}); err != nil {
		t.Fatal(err)
	}
	ids := map[string]uuid.UUID{}
	for _, in := range []AssetInput{
		{Kind: ident.InventionPatent, Number: "ZL2013106997442", Title: "发明", OwnerIDs: []uuid.UUID{o1.ID, o2.ID}, FiledOn: d("2013-12-18"), GrantedOn: d("2016-05-04"), Attributes: Attributes{IPC: []string{"H01M10/0525"}}},
		{Kind: ident.InventionPatent, Number: patentNo(2012, '1', 5), Title: "发明2", OwnerIDs: []uuid.UUID{o2.ID}, FiledOn: d("2012-02-29"), GrantedOn: d("2014-01-01")},
		{Kind: ident.UtilityModel, Number: patentNo(2016, '2', 5), Title: "实用新型", OwnerIDs: []uuid.UUID{o1.ID}, FiledOn: d("2016-01-01"), GrantedOn: d("2016-08-01")},
		{Kind: ident.DesignPatent, Number: patentNo(2022, '3', 5), Title: "外观", OwnerIDs: []uuid.UUID{o1.ID}, FiledOn: d("2022-01-01")},
		{Kind: ident.Trademark, Number: "7654321", Title: "商标", OwnerIDs: []uuid.UUID{o1.ID}, GrantedOn: d("2014-03-07")},
		{Kind: ident.GICertificationMark, Number: "8000001", Title: "通辽黄玉米", OwnerIDs: []uuid.UUID{o2.ID}, GrantedOn: d("2012-01-01")},
		{Kind: ident.GICollectiveMark, Number: "8000002", Title: "科尔沁牛", OwnerIDs: []uuid.UUID{o2.ID}, GrantedOn: d("2013-01-01")},
		{Kind: ident.GIProduct, Number: "2011年第51号", Title: "开鲁红干椒", OwnerIDs: []uuid.UUID{o2.ID}, GrantedOn: d("2011-04-01"), RegionCode: "150523"},
		{Kind: ident.SoftwareCopyright, Number: "2020SR1234567", Title: "软件", OwnerIDs: []uuid.UUID{o1.ID}, GrantedOn: d("2020-05-05")},
		{Kind: ident.WorkCopyright, Number: "国作登字-2021-F-00000001", Title: "作品", OwnerIDs: []uuid.UUID{o1.ID}, GrantedOn: d("2021-05-05")},
		{Kind: ident.PlantVariety, Number: "20191006012", Title: "品种", OwnerIDs: []uuid.UUID{o2.ID}, FiledOn: d("2019-03-01")},
	} {
		ids[string(in.Kind)] = f.asset(in).ID
	}
	// A batch, as an import writes it.
	var batch []AssetInput
	for i := 0; i < 30; i++ {
		batch = append(batch, AssetInput{Kind: ident.InventionPatent, Number: patentNo(2014, '1', 1000+i), Title: "批量", OwnerIDs: []uuid.UUID{o1.ID}, FiledOn: d("2014-06-01"), GrantedOn: d("2016-06-01")})
	}
	if _, err := f.s.RegisterAssets(f.ctx, batch); err != nil {
		t.Fatal(err)
	}
	inv := ids[string(ident.InventionPatent)]
	f.event(ids[string(ident.Trademark)], EventInput{Type: EventRenew, EffectiveOn: d("2024-09-06")})
	f.event(ids[string(ident.Trademark)], EventInput{Type: EventWellKnown, EffectiveOn: d("2020-01-01")})
	f.event(ids[string(ident.UtilityModel)], EventInput{Type: EventLapse, EffectiveOn: d("2019-04-01")})
	f.event(ids[string(ident.UtilityModel)], EventInput{Type: EventRestore, EffectiveOn: d("2019-06-01")})
	f.event(ids[string(ident.UtilityModel)], EventInput{Type: EventInvalidate, EffectiveOn: d("2021-06-01")})
	f.event(ids[string(ident.DesignPatent)], EventInput{Type: EventGrant, EffectiveOn: d("2022-07-01")})
	f.event(ids[string(ident.PlantVariety)], EventInput{Type: EventGrant, EffectiveOn: d("2021-01-01")})
	f.event(inv, EventInput{Type: EventForeignFamily, EffectiveOn: d("2018-01-01"), Country: "EP", FamilyNumber: "EP3000000"})
	f.event(inv, EventInput{Type: EventAward, EffectiveOn: d("2019-01-01"), Award: AwardNationalST, Level: "二等奖"})
	f.event(inv, EventInput{Type: EventSetRegion, EffectiveOn: d("2020-01-01"), RegionCode: "150581"})
	f.event(inv, EventInput{Type: EventFreeze, EffectiveOn: d("2021-01-01")})
	f.event(inv, EventInput{Type: EventUnfreeze, EffectiveOn: d("2021-02-01")})
	f.event(inv, EventInput{Type: EventLicense, EffectiveOn: d("2021-03-01"), LicenseeID: o2.ID, LicenseType: "exclusive"})
	f.event(ids[string(ident.InventionPatent)], EventInput{Type: EventTransfer, EffectiveOn: d("2022-01-01"), OwnerIDs: []uuid.UUID{o2.ID}})
	if err := f.s.LoadConcordance(f.ctx, []ConcordanceRow{{IPCPrefix: "H01M", Industry: "新能源"}}); err != nil {
		t.Fatal(err)
	}
	if err := f.s.SetParam(f.ctx, ParamMaintainedYears, 8, term.Date{}); err != nil {
		t.Fatal(err)
	}
	if err := f.s.SetParam(f.ctx, ParamPlantVarietyChangeOn, "2020-06-01", term.Date{}); err != nil {
		t.Fatal(err)
	}
	// A pledge: its right's spans follow the financing, live and on replay alike.
	bank, _, err := f.s.RegisterParty(f.ctx, PartyInput{Name: "银行", Kind: Bank, RegionCode: "150502"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.RegisterPledge(f.ctx, PledgeInput{PledgorIDs: []uuid.UUID{o1.ID}, AssetIDs: []uuid.UUID{ids[string(ident.DesignPatent)]},
		Amount: "20000000.00", ContractNo: "RB-1", RegisteredOn: d("2023-01-01"), EndsOn: d("2030-12-31"), PledgeeID: bank.ID}); err != nil {
		t.Fatal(err)
	}

	before := f.snapshot()
	for table, rows := range before {
		t.Logf("%s: %d rows", table, len(rows))
	}
	if got := len(before["registry.asset_spans"]); got < 45 {
		t.Fatalf("only %d span rows: the history is not rich enough", got)
	}
	for i := 0; i < 2; i++ {
		if err := f.s.Rebuild(f.ctx); err != nil {
			t.Fatal(err)
		}
		after := f.snapshot()
		for table, rows := range before {
			t.Run(table, func(t *testing.T) {
				if got, want := len(after[table]), len(rows); got != want {
					t.Fatalf("rows after rebuild = %d, want %d", got, want)
				}
				for j := range rows {
					if got, want := after[table][j], rows[j]; got != want {
						t.Fatalf("row %d after rebuild:\n got %s\nwant %s", j, got, want)
					}
				}
			})
		}
	}
}
