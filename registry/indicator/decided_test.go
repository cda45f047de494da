package indicator

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/xuri/excelize/v2"

	"ipledger/registry"
	"ipledger/registry/ident"
)

// The counting rules of docs/INDICATORS.md "Counting, as decided", each at its edge.

func (f *fixture) inventionPatent(serial int, owner uuid.UUID, filed, granted string) registry.Asset {
	f.t.Helper()
	return f.asset(registry.AssetInput{Kind: ident.InventionPatent, Number: patentNo(2019, '1', serial), Title: "发明",
		OwnerIDs: []uuid.UUID{owner}, FiledOn: d(filed), GrantedOn: d(granted)})
}

func (f *fixture) pledge(bank uuid.UUID, pledgors, assets []uuid.UUID, amount, on, contract string) registry.Pledge {
	f.t.Helper()
	p, err := f.reg.RegisterPledge(f.ctx, registry.PledgeInput{PledgorIDs: pledgors, AssetIDs: assets, Amount: amount,
		ContractNo: contract, RegisteredOn: d(on), EndsOn: d(on).AddYears(1), PledgeeID: bank})
	if err != nil {
		f.t.Fatalf("pledge %s: %v", contract, err)
	}
	return p
}

func breakdownOf(v Value) map[string]string {
	out := map[string]string{}
	for _, k := range v.Breakdown {
		out[k.Kind] = k.Value
	}
	return out
}

// Rule 2: a pledge holding a patent counts on the plan's line in full, however many copyrights
// it also holds; a pledge of copyrights only is the other line; the breakdown splits each
// amount equally among the rights and sums to the figure.
func TestDecidedPlanLine(t *testing.T) {
	f := newFixture(t)
	a := f.party("150502", registry.Enterprise)
	bank := f.party("150502", registry.Bank)
	pat := f.inventionPatent(11, a.ID, "2019-03-01", "2021-05-10")
	sw := func(n string) registry.Asset {
		return f.asset(registry.AssetInput{Kind: ident.SoftwareCopyright, Number: n, Title: "软件", OwnerIDs: []uuid.UUID{a.ID}, GrantedOn: d("2020-05-05")})
	}
	c1, c2 := sw("2020SR1234567"), sw("2020SR1234568")
	f.pledge(bank.ID, []uuid.UUID{a.ID}, []uuid.UUID{pat.ID, c1.ID}, "10000000.00", "2023-03-01", "C-mixed")
	f.pledge(bank.ID, []uuid.UUID{a.ID}, []uuid.UUID{c2.ID}, "3000000.01", "2023-04-01", "C-copyright")

	r := f.compute("150500", "2023-12-31", time.Time{})
	for code, want := range map[string]string{
		PledgeAmountYear: "10000000.00", PledgeAmountPeriod: "10000000.00",
		PledgeOtherAmountYear: "3000000.01", PledgeOtherAmountPeriod: "3000000.01", PledgeCountYear: "2",
	} {
		if got := r.get(code).str(); got != want {
			t.Errorf("%s = %s, want %s", code, got, want)
		}
	}
	if got := breakdownOf(r.get(PledgeAmountYear)); len(got) != 2 || got["invention_patent"] != "5000000.00" || got["software_copyright"] != "5000000.00" {
		t.Errorf("plan line breakdown = %v", got)
	}
	if got := breakdownOf(r.get(PledgeOtherAmountPeriod)); len(got) != 1 || got["software_copyright"] != "3000000.01" {
		t.Errorf("other line breakdown = %v", got)
	}
	// 20M in 2023 is "达到": 10M is behind before the due date.
	if v := r.get(PledgeAmountYear); v.Target == nil || v.Target.Value != "20000000.00" || v.Status != StatusBehind {
		t.Errorf("plan line 2023 target %+v status %s", v.Target, v.Status)
	}
	if v := r.get(PledgeOtherAmountYear); v.Target != nil || v.Status != "" {
		t.Errorf("the other line has a target: %+v %s", v.Target, v.Status)
	}
}

// Rule 3: equal_share of 10,000,000.00 over 3 rights is 3,333,333.34 + 3,333,333.33 ×2; a
// threshold of 3,333,333.34 makes only the first right high-value; full makes all three.
func TestDecidedEqualShare(t *testing.T) {
	f := newFixture(t)
	a := f.party("150502", registry.Enterprise)
	bank := f.party("150502", registry.Bank)
	var ids []uuid.UUID
	for i := 0; i < 3; i++ {
		ids = append(ids, f.inventionPatent(21+i, a.ID, "2019-03-01", "2021-05-10").ID)
	}
	f.pledge(bank.ID, []uuid.UUID{a.ID}, ids, "10000000.00", "2023-03-01", "C-three")
	if got := breakdownOf(f.compute("150500", "2023-12-31", time.Time{}).get(PledgeAmountYear)); got["invention_patent"] != "10000000.00" {
		t.Errorf("breakdown = %v", got)
	}
	hv := func() string {
		return f.compute("150500", "2023-12-31", time.Time{}).get(HighValueInventionPatents).str()
	}
	if got := hv(); got != "0" {
		t.Fatalf("high value at the default threshold (10M) with equal shares = %s, want 0", got)
	}
	if err := f.reg.SetParam(f.ctx, registry.ParamPledgeThresholdFen, int64(333_333_334), d("2023-01-01")); err != nil {
		t.Fatal(err)
	}
	if got := hv(); got != "1" {
		t.Errorf("threshold 3,333,333.34: high value = %s, want 1 (the first right's share carries the remainder fen)", got)
	}
	for i, id := range ids {
		ast, err := f.reg.GetAsset(f.ctx, id, d("2023-12-31"))
		if err != nil {
			t.Fatal(err)
		}
		if want := i == 0; ast.HighValue.Value != want {
			t.Errorf("right %d high value = %v, want %v", i, ast.HighValue, want)
		}
	}
	if err := f.reg.SetParam(f.ctx, registry.ParamPledgeThresholdFen, int64(333_333_335), d("2023-01-01")); err != nil {
		t.Fatal(err)
	}
	if got := hv(); got != "0" {
		t.Errorf("threshold 3,333,333.35: high value = %s, want 0", got)
	}
	if err := f.reg.SetParam(f.ctx, registry.ParamPledgeAllocation, registry.AllocationFull, d("2023-01-01")); err != nil {
		t.Fatal(err)
	}
	if got := hv(); got != "3" {
		t.Errorf("pledge_allocation full: high value = %s, want 3", got)
	}
	err := f.reg.SetParam(f.ctx, registry.ParamPledgeAllocation, "half", d("2023-01-01"))
	if de, ok := registry.AsError(err); !ok || de.Code != "param_value" {
		t.Errorf("pledge_allocation half: %v, want param_value", err)
	}
}

// Rule 4: only a granted foreign or regional patent counts, from its grant date; a pending
// application or a PCT filing does not, but both count as applications filed.
func TestDecidedForeignFamily(t *testing.T) {
	f := newFixture(t)
	a := f.party("150502", registry.Enterprise)
	p := f.inventionPatent(31, a.ID, "2019-03-01", "2021-05-10")
	q := f.inventionPatent(32, a.ID, "2019-03-01", "2021-05-10")
	ev := func(id uuid.UUID, in registry.EventInput) error {
		in.Type = registry.EventForeignFamily
		_, err := f.reg.AssetEvent(f.ctx, id, in)
		return err
	}
	refused := func(in registry.EventInput, code, field string) {
		t.Helper()
		err := ev(p.ID, in)
		if de, ok := registry.AsError(err); !ok || de.Code != code || de.Field != field {
			t.Errorf("%+v: %v, want %s at %s", in, err, code, field)
		}
	}
	refused(registry.EventInput{Country: "WO", FamilyNumber: "PCT/CN2021/000001", FamilyStatus: registry.FamilyGranted,
		FamilyGrantedOn: d("2023-01-01"), EffectiveOn: d("2023-06-01")}, "family_status_invalid", "family_status")
	refused(registry.EventInput{Country: "US", FamilyNumber: "US1", FamilyStatus: registry.FamilyGranted, EffectiveOn: d("2023-06-01")},
		"family_granted_on_required", "family_granted_on")
	refused(registry.EventInput{Country: "US", FamilyNumber: "US1", FamilyStatus: registry.FamilyPending, FamilyGrantedOn: d("2023-01-01"),
		EffectiveOn: d("2023-06-01")}, "family_granted_on_not_allowed", "family_granted_on")
	refused(registry.EventInput{Country: "US", FamilyNumber: "US1", FamilyStatus: registry.FamilyGranted, FamilyGrantedOn: d("2019-02-28"),
		EffectiveOn: d("2023-06-01")}, "before_filing", "family_granted_on")
	refused(registry.EventInput{Country: "US", FamilyNumber: "US1", FamilyStatus: registry.FamilyGranted, FamilyGrantedOn: d("2023-06-02"),
		EffectiveOn: d("2023-06-01")}, "date_in_future", "family_granted_on")
	refused(registry.EventInput{Country: "US", FamilyNumber: "US1", FamilyStatus: "filed", EffectiveOn: d("2023-06-01")},
		"family_status_invalid", "family_status")

	if err := ev(p.ID, registry.EventInput{Country: "WO", FamilyNumber: "PCT/CN2020/000001", FamilyDate: d("2020-03-01"),
		FamilyStatus: registry.FamilyPending, EffectiveOn: d("2021-06-01")}); err != nil {
		t.Fatal(err)
	}
	if err := ev(p.ID, registry.EventInput{Country: "US", FamilyNumber: "US11223344", FamilyDate: d("2021-03-01"),
		FamilyStatus: registry.FamilyPending, EffectiveOn: d("2021-06-01")}); err != nil {
		t.Fatal(err)
	}
	if got := f.compute("150500", "2023-12-31", time.Time{}); got.get(ForeignFamilyPatents).str() != "0" ||
		got.get(HighValueInventionPatents).str() != "0" || got.get(ForeignApplicationsPeriod).str() != "1" {
		t.Errorf("pending: family %s, high value %s, applications %s (want 0, 0, 1: the PCT was filed in 2020)",
			got.get(ForeignFamilyPatents).str(), got.get(HighValueInventionPatents).str(), got.get(ForeignApplicationsPeriod).str())
	}
	// The US application is granted on 2023-05-10, recorded later.
	if err := ev(p.ID, registry.EventInput{Country: "US", FamilyNumber: "US11223344", FamilyDate: d("2021-03-01"),
		FamilyStatus: registry.FamilyGranted, FamilyGrantedOn: d("2023-05-10"), EffectiveOn: d("2023-08-01")}); err != nil {
		t.Fatal(err)
	}
	for day, want := range map[string]string{"2023-05-09": "0", "2023-05-10": "1"} {
		r := f.compute("150500", day, time.Time{})
		if got := r.get(ForeignFamilyPatents).str(); got != want {
			t.Errorf("family on %s = %s, want %s", day, got, want)
		}
		if got := r.get(HighValueInventionPatents).str(); got != want {
			t.Errorf("high value on %s = %s, want %s", day, got, want)
		}
		if got := r.get(ForeignApplicationsPeriod).str(); got != "1" {
			t.Errorf("applications on %s = %s, want 1 (one family member, once)", day, got)
		}
	}
	// Recorded without a status (as before the field existed): a foreign member counts from
	// the event's date, a PCT filing never.
	if err := ev(q.ID, registry.EventInput{Country: "WO", FamilyNumber: "PCT/CN2022/000002", EffectiveOn: d("2022-02-01")}); err != nil {
		t.Fatal(err)
	}
	if got := f.compute("150500", "2022-12-31", time.Time{}).get(ForeignFamilyPatents).str(); got != "0" {
		t.Errorf("a WO member without status counts: %s", got)
	}
	if err := ev(q.ID, registry.EventInput{Country: "EP", FamilyNumber: "EP3000001", EffectiveOn: d("2022-03-01")}); err != nil {
		t.Fatal(err)
	}
	for day, want := range map[string]string{"2022-02-28": "0", "2022-03-01": "1"} {
		if got := f.compute("150500", day, time.Time{}).get(ForeignFamilyPatents).str(); got != want {
			t.Errorf("an EP member without status on %s = %s, want %s", day, got, want)
		}
	}
	if got := f.compute("150500", "2022-12-31", time.Time{}).get(ForeignApplicationsPeriod).str(); got != "3" {
		t.Errorf("applications 2021–2022 = %s, want 3 (US, WO 2022, EP)", got)
	}
}

// Rule 6: distinct enterprises among every pledgor; the city counts each once.
func TestDecidedPledgedEnterprises(t *testing.T) {
	f := newFixture(t)
	e := f.party("150502", registry.Enterprise)
	g := f.party("150571", registry.Enterprise)
	u := f.party("150502", registry.University)
	bank := f.party("150502", registry.Bank)
	own := f.inventionPatent(41, e.ID, "2019-03-01", "2021-05-10")
	joint := f.asset(registry.AssetInput{Kind: ident.InventionPatent, Number: patentNo(2019, '1', 42), Title: "共有",
		OwnerIDs: []uuid.UUID{g.ID, e.ID}, FiledOn: d("2019-03-01"), GrantedOn: d("2021-05-10")})
	uni := f.inventionPatent(43, u.ID, "2019-03-01", "2021-05-10")
	f.pledge(bank.ID, []uuid.UUID{e.ID}, []uuid.UUID{own.ID}, "1000000.00", "2023-02-01", "C-e")
	f.pledge(bank.ID, []uuid.UUID{g.ID, e.ID}, []uuid.UUID{joint.ID}, "1000000.00", "2023-03-01", "C-ge")
	f.pledge(bank.ID, []uuid.UUID{u.ID}, []uuid.UUID{uni.ID}, "1000000.00", "2023-04-01", "C-u")
	for region, want := range map[string][2]string{"150502": {"2", "1"}, "150571": {"1", "2"}, "150500": {"3", "2"}} {
		r := f.compute(region, "2023-12-31", time.Time{})
		if got := [2]string{r.get(PledgeCountYear).str(), r.get(PledgedEnterprisesYear).str()}; got != want {
			t.Errorf("%s: registrations, enterprises = %v, want %v", region, got, want)
		}
	}
}

// Rule 7: "超过 X" is missed at exactly X after the due date; "达到 X" is met at X; after the due
// date nothing is behind.
func TestDecidedStatus(t *testing.T) {
	f := newFixture(t)
	a := f.party("150502", registry.Enterprise)
	bank := f.party("150502", registry.Bank)
	p := f.inventionPatent(51, a.ID, "2019-03-01", "2021-05-10")
	q := f.inventionPatent(52, a.ID, "2019-03-01", "2021-05-10")
	f.pledge(bank.ID, []uuid.UUID{a.ID}, []uuid.UUID{p.ID}, "20000000.00", "2023-03-01", "C-2023")
	f.pledge(bank.ID, []uuid.UUID{a.ID}, []uuid.UUID{q.ID}, "130000000.00", "2025-03-01", "C-2025")

	y := f.compute("150500", "2023-12-31", time.Time{}).get(PledgeAmountYear)
	if y.str() != "20000000.00" || y.Target == nil || y.Target.Comparison != CompareAtLeast || y.Status != StatusMet {
		t.Errorf("达到 20M at exactly 20M: %s %+v %s", y.str(), y.Target, y.Status)
	}
	r := f.compute("150500", "2026-03-01", time.Time{})
	pv := r.get(PledgeAmountPeriod)
	if pv.str() != "150000000.00" || pv.Target == nil || pv.Target.Comparison != CompareAbove || pv.Status != StatusMissed {
		t.Errorf("超过 150M at exactly 150M after the due date: %s %+v %s", pv.str(), pv.Target, pv.Status)
	}
	if pv.Span == nil || pv.Span.Label != "2021–2025" || pv.Span.To != d("2025-12-31") {
		t.Errorf("period span in 2026 = %+v", pv.Span)
	}
	if want := "the target was due 2025-12-31: judged on the value then, 150000000.00"; pv.Note != want {
		t.Errorf("note = %q, want %q", pv.Note, want)
	}
	for _, v := range r.Indicators {
		if v.Status == StatusBehind {
			t.Errorf("%s is behind in 2026, after every due date", v.Code)
		}
	}
	if v := r.get(ValidTrademarks); v.Status != StatusMissed || v.Target == nil || v.Target.Due != d("2025-12-31") {
		t.Errorf("valid_trademarks in 2026: %+v %s", v.Target, v.Status)
	}
	if v := r.get(PledgeAmountYear); v.Target != nil || v.Status != "" || v.Span == nil || v.Span.Label != "2026" {
		t.Errorf("a 2026 yearly figure has a target or no span: %+v %s %+v", v.Target, v.Status, v.Span)
	}
	// Before the due date, exactly 150M is not yet met under "超过".
	if v := f.compute("150500", "2025-06-30", time.Time{}).get(PledgeAmountPeriod); v.Status == StatusMet {
		t.Errorf("超过 150M at exactly 150M on 2025-06-30 is met")
	}
	// Revised to "达到", the same value is met.
	if _, err := f.ind.SetTarget(f.ctx, TargetInput{Code: PledgeAmountPeriod, RegionCode: "150500", Due: d("2025-12-31"),
		Value: "150000000.00", Comparison: CompareAtLeast}); err != nil {
		t.Fatal(err)
	}
	if v := f.compute("150500", "2026-03-01", time.Time{}).get(PledgeAmountPeriod); v.Status != StatusMet {
		t.Errorf("达到 150M at exactly 150M: %s", v.Status)
	}
	_, err := f.ind.SetTarget(f.ctx, TargetInput{Code: PledgeAmountPeriod, RegionCode: "150500", Due: d("2025-12-31"),
		Value: "1.00", Comparison: "more"})
	if de, ok := registry.AsError(err); !ok || de.Code != "comparison_unknown" || de.Field != "comparison" {
		t.Errorf("comparison more: %v", err)
	}
}

// Rule 9: the GI targets count new registrations in the span; the 16 certification marks stay
// a baseline.
func TestDecidedNewGIMarks(t *testing.T) {
	f := newFixture(t)
	a := f.party("150502", registry.Enterprise)
	gi := func(kind ident.Kind, n, on string) registry.Asset {
		return f.asset(registry.AssetInput{Kind: kind, Number: n, Title: "地理标志", OwnerIDs: []uuid.UUID{a.ID}, GrantedOn: d(on)})
	}
	gi(ident.GICertificationMark, "30000011", "2019-05-01")
	gi(ident.GICertificationMark, "30000012", "2022-05-01")
	inv := gi(ident.GICollectiveMark, "30000013", "2023-01-01")
	gi(ident.GICollectiveMark, "30000014", "2023-12-31")
	if _, err := f.reg.AssetEvent(f.ctx, inv.ID, registry.EventInput{Type: registry.EventInvalidate, EffectiveOn: d("2023-06-01")}); err != nil {
		t.Fatal(err)
	}
	r := f.compute("150500", "2023-12-31", time.Time{})
	for code, want := range map[string]string{GIMarks: "3", GIMarksNewPeriod: "3", GIMarksNewYear: "2"} {
		if got := r.get(code).str(); got != want {
			t.Errorf("%s = %s, want %s", code, got, want)
		}
	}
	if got := f.compute("150500", "2023-12-30", time.Time{}).get(GIMarksNewYear).str(); got != "1" {
		t.Errorf("new GI marks to 2023-12-30 = %s, want 1", got)
	}
	if v := r.get(GIMarksNewYear); v.Target == nil || v.Target.Value != "7" || v.Status != StatusBehind {
		t.Errorf("2023 target: %+v %s", v.Target, v.Status)
	}
	if v := r.get(GIMarks); v.Baseline == nil || v.Baseline.Value != "16" || v.Target != nil {
		t.Errorf("gi_marks: baseline %+v target %+v", v.Baseline, v.Target)
	}
}

// Reconciliation: computed against official values; a baseline-year value under 90% of the
// official one notes every status of the figure; exactly 90% does not.
func TestDecidedReconciliation(t *testing.T) {
	f := newFixture(t)
	a := f.party("150502", registry.Enterprise)
	for i := 0; i < 9; i++ {
		f.asset(registry.AssetInput{Kind: ident.Trademark, Number: fmt.Sprint(31000001 + i), Title: "商标", OwnerIDs: []uuid.UUID{a.ID}, GrantedOn: d("2018-01-01")})
	}
	refused := func(in OfficialInput, code, field string) {
		t.Helper()
		_, err := f.ind.RecordOfficial(f.ctx, in)
		if de, ok := registry.AsError(err); !ok || de.Code != code || de.Field != field {
			t.Errorf("%+v: %v, want %s at %s", in, err, code, field)
		}
	}
	refused(OfficialInput{Code: ValidTrademarks, RegionCode: "150500", Year: 2026, Value: "10", Source: "公报"}, "year_out_of_range", "year")
	refused(OfficialInput{Code: ValidTrademarks, RegionCode: "150500", Year: 2020, Value: "10"}, "source_required", "source")
	refused(OfficialInput{Code: ValidTrademarks, RegionCode: "150500", Year: 2020, Value: "10.5", Source: "公报"}, "value_invalid", "value")
	refused(OfficialInput{Code: "nope", RegionCode: "150500", Year: 2020, Value: "10", Source: "公报"}, "indicator_unknown", "code")
	refused(OfficialInput{Code: ValidTrademarks, RegionCode: "999999", Year: 2020, Value: "10", Source: "公报"}, "region_unknown", "region")

	if _, err := f.ind.RecordOfficial(f.ctx, OfficialInput{Code: ValidTrademarks, RegionCode: "150500", Year: 2020, Value: "10", Source: "2020年统计公报"}); err != nil {
		t.Fatal(err)
	}
	exactly := time.Now()
	time.Sleep(5 * time.Millisecond)
	incomplete := func(v Value) bool {
		return v.Note != "" && v.Status != "" && strings.Contains(v.Note, "the load looks incomplete")
	}
	if v := f.compute("150500", "2023-06-30", time.Time{}).get(ValidTrademarks); v.Status == "" || incomplete(v) {
		t.Errorf("9 of 10 (exactly 90%%): status %s note %q", v.Status, v.Note)
	}
	// Corrected to 11: 9 is under 90%.
	if _, err := f.ind.RecordOfficial(f.ctx, OfficialInput{Code: ValidTrademarks, RegionCode: "150500", Year: 2020, Value: "11", Source: "2020年统计公报（更正）"}); err != nil {
		t.Fatal(err)
	}
	r := f.compute("150500", "2023-06-30", time.Time{})
	if v := r.get(ValidTrademarks); !incomplete(v) ||
		!strings.Contains(v.Note, "the load looks incomplete: the value computed on 2020-12-31, 9, is under 90% of the official 11") {
		t.Errorf("9 of 11: status %s note %q", v.Status, v.Note)
	}
	if v := f.compute("150500", "2023-06-30", exactly).get(ValidTrademarks); incomplete(v) {
		t.Errorf("as known before the correction: note %q", v.Note)
	}
	rec, err := f.ind.Reconcile(f.ctx, "150500", 2020, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.Items) != 1 || rec.AsOf != d("2020-12-31") {
		t.Fatalf("reconciliation = %+v", rec)
	}
	it := rec.Items[0]
	if it.Code != ValidTrademarks || it.Computed == nil || *it.Computed != "9" || it.Official != "11" || it.Difference == nil || *it.Difference != "-2" ||
		it.Ratio == nil || *it.Ratio != "0.8182" || it.Source != "2020年统计公报（更正）" {
		t.Errorf("item = %+v", it)
	}
	if rec, err := f.ind.Reconcile(f.ctx, "150500", 2021, time.Time{}); err != nil || len(rec.Items) != 0 {
		t.Errorf("2021 = %+v, %v", rec, err)
	}
	// The workbook's reconciliation sheet.
	b, err := r.XLSX()
	if err != nil {
		t.Fatal(err)
	}
	x, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := x.GetRows(XLSXReconSheet)
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, row := range rows {
		if len(row) >= 9 && row[0] == "2020" && row[1] == ValidTrademarks {
			found = row[5] == "9" && row[6] == "11" && row[7] == "-2" && row[8] == "0.8182"
		}
	}
	if !found {
		t.Errorf("reconciliation sheet rows = %v", rows)
	}
}
