package registry

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"ipledger/ledger"
	"ipledger/migrations/dbtest"
	"ipledger/registry/ident"
	"ipledger/registry/term"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// testToday is the pinned "today" of every test.
var testToday = term.New(2026, 3, 1)

type fixture struct {
	t   testing.TB
	db  *dbtest.DB
	l   *ledger.Ledger
	s   *Service
	ctx context.Context
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	db := dbtest.New(t)
	l := ledger.New(db.App, ledger.Options{})
	t.Cleanup(func() { l.Close() })
	s := New(l, WithClock(func() time.Time { return testToday.Time().Add(3 * time.Hour) }))
	ctx := ledger.WithActor(context.Background(), "principal/test")
	if err := s.Seed(ctx); err != nil {
		t.Fatalf("seed: %v", err)
	}
	return &fixture{t: t, db: db, l: l, s: s, ctx: ctx}
}

func d(s string) term.Date { return term.MustParseDate(s) }

// usccFor completes 17 characters with their check character.
func usccFor(first17 string) string {
	c, ok := ident.USCCCheckChar(first17)
	if !ok {
		panic(first17)
	}
	return first17 + string(c)
}

// patentNo returns a valid 12-digit application number for year, type digit and serial.
func patentNo(year int, typ byte, serial int) string {
	body := fmt.Sprintf("%04d%c%07d", year, typ, serial)
	c, _ := ident.PatentCheckChar(body)
	return body + "." + string(c)
}

var partySeq int

func (f *fixture) party(region string) Party {
	f.t.Helper()
	partySeq++
	p, _, err := f.s.RegisterParty(f.ctx, PartyInput{
		Name: fmt.Sprintf("通辽测试企业%d有限公司", partySeq), Kind: Enterprise,
		USCC: usccFor(fmt.Sprintf("91150500MA%07d", partySeq)), RegionCode: region,
	})
	if err != nil {
		f.t.Fatalf("register party: %v", err)
	}
	return p
}

func (f *fixture) asset(in AssetInput) Asset {
	f.t.Helper()
	a, err := f.s.RegisterAsset(f.ctx, in)
	if err != nil {
		f.t.Fatalf("register asset %s %s: %v", in.Kind, in.Number, err)
	}
	// The answer (built from what was written) is what a read returns.
	if read, err := f.s.GetAsset(f.ctx, a.ID, term.Date{}); err != nil || !reflect.DeepEqual(a, read) {
		f.t.Fatalf("register asset %s %s: the answer\n%+v\nis not what is read\n%+v (%v)", in.Kind, in.Number, a, read, err)
	}
	return a
}

func (f *fixture) event(id uuid.UUID, in EventInput) Asset {
	f.t.Helper()
	a, err := f.s.AssetEvent(f.ctx, id, in)
	if err != nil {
		f.t.Fatalf("event %s: %v", in.Type, err)
	}
	return a
}

func (f *fixture) get(id uuid.UUID, on string) Asset {
	f.t.Helper()
	a, err := f.s.GetAsset(f.ctx, id, d(on))
	if err != nil {
		f.t.Fatalf("get asset: %v", err)
	}
	return a
}

// wantCode checks that err is a domain error of class and code.
func wantCode(t *testing.T, err error, class Class, code string) *Error {
	t.Helper()
	de, ok := AsError(err)
	if !ok {
		t.Fatalf("err = %v, want %s %s", err, class, code)
	}
	if got, want := de.Code, code; got != want {
		t.Fatalf("code = %q (%v), want %q", got, de, want)
	}
	if got, want := de.Class, class; got != want {
		t.Fatalf("class = %q, want %q", got, want)
	}
	return de
}

func TestSeed(t *testing.T) {
	f := newFixture(t)
	count := func() int {
		var n int
		if err := f.db.App.QueryRowContext(f.ctx, `SELECT count(*) FROM ledger.entries`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := count()
	if got, want := before, len(seedRegions)+len(paramSpecs); got != want {
		t.Fatalf("entries after seed = %d, want %d", got, want)
	}
	t.Run("Idempotent", func(t *testing.T) {
		if err := f.s.Seed(f.ctx); err != nil {
			t.Fatal(err)
		}
		if got, want := count(), before; got != want {
			t.Fatalf("entries after second seed = %d, want %d", got, want)
		}
	})
	t.Run("Regions", func(t *testing.T) {
		rs, err := f.s.Regions(f.ctx)
		if err != nil {
			t.Fatal(err)
		}
		units := 0
		for _, r := range rs {
			if r.IsUnit {
				units++
			}
		}
		if got, want := units, 9; got != want {
			t.Fatalf("units = %d, want %d", got, want)
		}
		if !slices.Equal(rs, seedRegions) { // seedRegions is in code order
			t.Fatalf("regions = %+v, want %+v", rs, seedRegions)
		}
	})
	t.Run("Params", func(t *testing.T) {
		ps, err := f.s.Params(f.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := string(ps[ParamPledgeThresholdFen]), "1000000000"; got != want {
			t.Fatalf("threshold = %s, want %s", got, want)
		}
		if got, want := string(ps[ParamPlantVarietyChangeOn]), `"2025-06-01"`; got != want {
			t.Fatalf("change-over = %s, want %s", got, want)
		}
	})
	t.Run("SetParamUnknown", func(t *testing.T) {
		wantCode(t, f.s.SetParam(f.ctx, "nope", 1, term.Date{}), Invalid, "param_unknown")
	})
	t.Run("SetParamBadValue", func(t *testing.T) {
		wantCode(t, f.s.SetParam(f.ctx, ParamMaintainedYears, 0, term.Date{}), Invalid, "param_value")
	})
}

func TestParties(t *testing.T) {
	f := newFixture(t)
	good := usccFor("91150502MA0N12345")
	first, _, err := f.s.RegisterParty(f.ctx, PartyInput{Name: "科尔沁某企业", Kind: Enterprise, USCC: good, RegionCode: "150502"})
	if err != nil {
		t.Fatal(err)
	}
	t.Run("Stored", func(t *testing.T) {
		p, err := f.s.GetParty(f.ctx, first.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := p.USCC, good; got != want {
			t.Fatalf("uscc = %q, want %q", got, want)
		}
		if got, want := p.RegisteredOn, testToday; got != want {
			t.Fatalf("registered_on = %v, want %v", got, want)
		}
	})
	t.Run("DuplicateUSCC", func(t *testing.T) {
		_, _, err := f.s.RegisterParty(f.ctx, PartyInput{Name: "另一家", Kind: Enterprise, USCC: strings.ToLower(good), RegionCode: "150521"})
		de := wantCode(t, err, Conflict, "uscc_taken")
		if got, want := de.Ref, first.ID.String(); got != want {
			t.Fatalf("ref = %q, want %q", got, want)
		}
	})
	t.Run("WrongCheckRefused", func(t *testing.T) {
		_, _, err := f.s.RegisterParty(f.ctx, PartyInput{Name: "试点", Kind: Enterprise, USCC: "91350203M0001QAY9B", RegionCode: "150502"})
		de := wantCode(t, err, Invalid, "uscc_check")
		if got, want := de.Field, "uscc"; got != want {
			t.Fatalf("field = %q, want %q", got, want)
		}
	})
	t.Run("WrongCheckConfirmed", func(t *testing.T) {
		p, warns, err := f.s.RegisterParty(f.ctx, PartyInput{Name: "试点", Kind: Enterprise, USCC: "91350203M0001QAY9B", USCCConfirmed: true, RegionCode: "150502"})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := len(warns), 1; got != want {
			t.Fatalf("warnings = %d, want %d", got, want)
		}
		if !p.USCCConfirmed {
			t.Fatal("uscc_confirmed = false")
		}
	})
	t.Run("ConfirmedDoesNotCoverFormat", func(t *testing.T) {
		_, _, err := f.s.RegisterParty(f.ctx, PartyInput{Name: "x", Kind: Enterprise, USCC: "91350203M0001QAY9", USCCConfirmed: true, RegionCode: "150502"})
		wantCode(t, err, Invalid, "uscc_length")
		_, _, err = f.s.RegisterParty(f.ctx, PartyInput{Name: "x", Kind: Enterprise, USCC: "91350203M0001QAYIB", USCCConfirmed: true, RegionCode: "150502"})
		wantCode(t, err, Invalid, "uscc_char")
	})
	t.Run("CityIsNotAUnit", func(t *testing.T) {
		_, _, err := f.s.RegisterParty(f.ctx, PartyInput{Name: "x", Kind: Individual, RegionCode: CityCode})
		wantCode(t, err, Invalid, "region_unknown")
	})
	t.Run("DevelopmentZoneIsAUnit", func(t *testing.T) {
		if _, _, err := f.s.RegisterParty(f.ctx, PartyInput{Name: "开发区企业", Kind: Enterprise, RegionCode: "150571"}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("KindUnknown", func(t *testing.T) {
		_, _, err := f.s.RegisterParty(f.ctx, PartyInput{Name: "x", Kind: "club", RegionCode: "150502"})
		wantCode(t, err, Invalid, "party_kind_unknown")
	})
	t.Run("RenameAndMove", func(t *testing.T) {
		if _, err := f.s.PartyEvent(f.ctx, first.ID, PartyEventInput{Type: "rename", Name: "新名字"}); err != nil {
			t.Fatal(err)
		}
		p, err := f.s.PartyEvent(f.ctx, first.ID, PartyEventInput{Type: "move", RegionCode: "150581"})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := p.Name+" "+p.RegionCode, "新名字 150581"; got != want {
			t.Fatalf("party = %q, want %q", got, want)
		}
		_, err = f.s.PartyEvent(f.ctx, first.ID, PartyEventInput{Type: "move", RegionCode: "150599"})
		wantCode(t, err, Invalid, "region_unknown")
		_, err = f.s.PartyEvent(f.ctx, uuid.New(), PartyEventInput{Type: "rename", Name: "x"})
		wantCode(t, err, NotFound, "party_not_found")
	})
	t.Run("ListPaged", func(t *testing.T) {
		for i := 0; i < 5; i++ {
			f.party("150523")
		}
		var all []Party
		cursor := ""
		for {
			page, next, err := f.s.ListParties(f.ctx, PartyFilter{Region: "150523", Cursor: cursor, Limit: 2})
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, page...)
			if next == "" {
				break
			}
			cursor = next
		}
		if got, want := len(all), 5; got != want {
			t.Fatalf("parties listed = %d, want %d", got, want)
		}
		if !slices.IsSortedFunc(all, func(a, b Party) int { return strings.Compare(a.ID.String(), b.ID.String()) }) {
			t.Fatal("not in id order")
		}
		q, _, err := f.s.ListParties(f.ctx, PartyFilter{Q: "新名"})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := len(q), 1; got != want {
			t.Fatalf("q matches = %d, want %d", got, want)
		}
		_, _, err = f.s.ListParties(f.ctx, PartyFilter{Cursor: "!!"})
		wantCode(t, err, Invalid, "cursor_invalid")
	})
}

func TestRegisterAsset(t *testing.T) {
	f := newFixture(t)
	owner := f.party("150525")
	other := f.party("150502")
	base := AssetInput{Kind: ident.InventionPatent, Number: "ZL2013106997442", Title: "一种检测方法",
		OwnerIDs: []uuid.UUID{owner.ID, other.ID}, FiledOn: d("2013-12-18"), GrantedOn: d("2016-05-04")}
	a := f.asset(base)
	t.Run("Canonical", func(t *testing.T) {
		if got, want := a.Number, "201310699744.2"; got != want {
			t.Fatalf("number = %q, want %q", got, want)
		}
		if got, want := a.DisplayNumber, "ZL201310699744.2"; got != want {
			t.Fatalf("display = %q, want %q", got, want)
		}
		if got, want := a.ExpiresOn, d("2033-12-17"); got != want {
			t.Fatalf("expires_on = %v, want %v", got, want)
		}
		if !a.Valid || a.Status != StatusValid {
			t.Fatalf("status = %s, want valid", a.Status)
		}
	})
	t.Run("RegionFromFirstOwner", func(t *testing.T) {
		if got, want := a.RegionCode, "150525"; got != want {
			t.Fatalf("region = %q, want %q", got, want)
		}
		if got, want := len(a.Owners), 2; got != want || a.Owners[0].Name != owner.Name {
			t.Fatalf("owners = %+v", a.Owners)
		}
	})
	t.Run("ExplicitRegion", func(t *testing.T) {
		in := base
		in.Number, in.FiledOn, in.RegionCode = patentNo(2015, '1', 11), d("2015-01-05"), "150581"
		if got, want := f.asset(in).RegionCode, "150581"; got != want {
			t.Fatalf("region = %q, want %q", got, want)
		}
	})
	t.Run("DuplicateOtherSpelling", func(t *testing.T) {
		in := base
		in.Number = "201310699744.2"
		_, err := f.s.RegisterAsset(f.ctx, in)
		de := wantCode(t, err, Conflict, "asset_exists")
		if got, want := de.Ref, a.ID.String(); got != want {
			t.Fatalf("ref = %q, want %q", got, want)
		}
	})
	t.Run("SameNumberOtherKind", func(t *testing.T) {
		// Digits that are a patent's serial are free as a trademark registration number:
		// each office numbers its own rights.
		f.asset(AssetInput{Kind: ident.Trademark, Number: "2013106", Title: "科尔沁", OwnerIDs: []uuid.UUID{owner.ID}, GrantedOn: d("2015-01-01")})
		_, err := f.s.RegisterAsset(f.ctx, AssetInput{Kind: ident.SoftwareCopyright, Number: "2015SR2013106", Title: "科尔沁", OwnerIDs: []uuid.UUID{owner.ID}, GrantedOn: d("2015-01-01")})
		if err != nil {
			t.Fatal(err)
		}
	})
	cases := []struct {
		name  string
		edit  func(*AssetInput)
		class Class
		code  string
		field string
	}{
		{"CheckCharWrong", func(in *AssetInput) { in.Number = "ZL2013106997443" }, Invalid, "patent_check", "number"},
		{"KindUnknown", func(in *AssetInput) { in.Kind = "idea" }, Invalid, "kind_unknown", "kind"},
		{"TypeMismatch", func(in *AssetInput) { in.Kind = ident.UtilityModel }, Invalid, "patent_type_mismatch", "number"},
		{"OwnerUnknown", func(in *AssetInput) { in.OwnerIDs = []uuid.UUID{owner.ID, uuid.New()} }, Invalid, "owner_unknown", "owner_ids[1]"},
		{"OwnersRequired", func(in *AssetInput) { in.OwnerIDs = nil }, Invalid, "owners_required", "owner_ids"},
		{"FiledTomorrow", func(in *AssetInput) {
			in.Number, in.FiledOn, in.GrantedOn = patentNo(2026, '1', 5), d("2026-03-02"), term.Date{}
		}, Invalid, "date_in_future", "filed_on"},
		{"GrantedBeforeFiled", func(in *AssetInput) { in.GrantedOn = d("2013-12-17") }, Invalid, "granted_before_filed", "granted_on"},
		{"FilingYearMismatch", func(in *AssetInput) { in.FiledOn = d("2014-01-02") }, Invalid, "filing_year_mismatch", "filed_on"},
		{"RegionCity", func(in *AssetInput) { in.RegionCode = CityCode }, Invalid, "region_unknown", "region_code"},
		{"IPCFormat", func(in *AssetInput) { in.Attributes.IPC = []string{"Z99"} }, Invalid, "ipc_format", "attributes.ipc[0]"},
		{"TitleRequired", func(in *AssetInput) { in.Title = " " }, Invalid, "title_required", "title"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := base
			in.Number = patentNo(2013, '1', 77)
			c.edit(&in)
			_, err := f.s.RegisterAsset(f.ctx, in)
			de := wantCode(t, err, c.class, c.code)
			if got, want := de.Field, c.field; got != want {
				t.Fatalf("field = %q, want %q", got, want)
			}
		})
	}
	t.Run("FiledToday", func(t *testing.T) {
		in := base
		in.Number, in.FiledOn, in.GrantedOn = patentNo(2026, '1', 6), testToday, term.Date{}
		a := f.asset(in)
		if got, want := a.Status, StatusPending; got != want {
			t.Fatalf("status = %q, want %q", got, want)
		}
		if got, want := a.DisplayNumber, a.Number; got != want {
			t.Fatalf("display = %q, want %q (not granted)", got, want)
		}
	})
	t.Run("PlantVariety", func(t *testing.T) {
		pv := f.asset(AssetInput{Kind: ident.PlantVariety, Number: "CNA20191006012", Title: "通辽杨", OwnerIDs: []uuid.UUID{owner.ID},
			FiledOn: d("2019-03-01"), GrantedOn: d("2021-07-01"), Attributes: Attributes{Category: CategoryTreeVine}})
		if got, want := pv.DisplayNumber, "CNA20191006012"; got != want {
			t.Fatalf("display = %q, want %q", got, want)
		}
		if got, want := pv.ExpiresOn, d("2041-06-30"); got != want { // trees, granted before 2025-06-01: 20 years
			t.Fatalf("expires_on = %v, want %v", got, want)
		}
		_, err := f.s.RegisterAsset(f.ctx, AssetInput{Kind: ident.PlantVariety, Number: "20191006013", Title: "x", OwnerIDs: []uuid.UUID{owner.ID},
			FiledOn: d("2019-03-01"), Attributes: Attributes{Category: "shrub"}})
		wantCode(t, err, Invalid, "category_unknown")
	})
	t.Run("Copyrights", func(t *testing.T) {
		sw := f.asset(AssetInput{Kind: ident.SoftwareCopyright, Number: "2019sr0123456", Title: "软件V1.0", OwnerIDs: []uuid.UUID{owner.ID}, GrantedOn: d("2019-06-01")})
		if got, want := sw.Number, "2019SR0123456"; got != want {
			t.Fatalf("number = %q, want %q", got, want)
		}
		if !sw.Valid || !sw.ExpiresOn.IsZero() {
			t.Fatalf("software copyright: valid=%v expires=%v", sw.Valid, sw.ExpiresOn)
		}
		w := f.asset(AssetInput{Kind: ident.WorkCopyright, Number: "国作登字-2020-F-00812345", Title: "作品", OwnerIDs: []uuid.UUID{owner.ID}, GrantedOn: d("2020-01-01")})
		if got, want := f.get(w.ID, "2019-12-31").Status, StatusPending; got != want {
			t.Fatalf("before registration: %q, want %q", got, want)
		}
		f.asset(AssetInput{Kind: ident.GIProduct, Number: "2011年第51号", Title: "通辽黄玉米", OwnerIDs: []uuid.UUID{owner.ID}, GrantedOn: d("2011-04-01")})
	})
}

func TestPatentTerm(t *testing.T) {
	f := newFixture(t)
	owner := f.party("150502")
	// Filed 2003-10-15 → an invention patent expires on 2023-10-14, its last valid day.
	a := f.asset(AssetInput{Kind: ident.InventionPatent, Number: patentNo(2003, '1', 12345), Title: "老专利",
		OwnerIDs: []uuid.UUID{owner.ID}, FiledOn: d("2003-10-15"), GrantedOn: d("2006-01-10")})
	for _, c := range []struct {
		on     string
		status string
	}{
		{"2006-01-09", StatusPending},
		{"2006-01-10", StatusValid},
		{"2023-10-13", StatusValid},
		{"2023-10-14", StatusValid},
		{"2023-10-15", StatusExpired},
	} {
		t.Run(c.on, func(t *testing.T) {
			g := f.get(a.ID, c.on)
			if got, want := g.Status, c.status; got != want {
				t.Fatalf("status on %s = %q, want %q", c.on, got, want)
			}
			if got, want := g.ExpiresOn, d("2023-10-14"); got != want {
				t.Fatalf("expires_on = %v, want %v", got, want)
			}
		})
	}
	t.Run("Span", func(t *testing.T) {
		spans := f.spans(a.ID, true)
		if got, want := spans, "150502 2006-01-10..2023-10-15 hv=2013-10-16"; got != want {
			t.Fatalf("spans = %q, want %q", got, want)
		}
	})
	t.Run("Design2021Boundary", func(t *testing.T) {
		before := f.asset(AssetInput{Kind: ident.DesignPatent, Number: patentNo(2021, '3', 1), Title: "外观", OwnerIDs: []uuid.UUID{owner.ID}, FiledOn: d("2021-05-31"), GrantedOn: d("2021-09-01")})
		after := f.asset(AssetInput{Kind: ident.DesignPatent, Number: patentNo(2021, '3', 2), Title: "外观", OwnerIDs: []uuid.UUID{owner.ID}, FiledOn: d("2021-06-01"), GrantedOn: d("2021-09-01")})
		if got, want := before.ExpiresOn, d("2031-05-30"); got != want {
			t.Fatalf("before: %v, want %v", got, want)
		}
		if got, want := after.ExpiresOn, d("2036-05-31"); got != want {
			t.Fatalf("after: %v, want %v", got, want)
		}
	})
}

// spans renders the asset's spans (current, or all) compactly.
func (f *fixture) spans(id uuid.UUID, current bool) string {
	f.t.Helper()
	q := `SELECT region_code, valid_from::text, coalesce(valid_to::text, ''), coalesce(high_value_from::text, ''),
		coalesce(well_known_from::text, ''), coalesce(foreign_family_from::text, ''), known_to IS NULL
		FROM registry.asset_spans WHERE asset_id = ?`
	if current {
		q += ` AND known_to IS NULL`
	}
	rows, err := f.db.App.QueryContext(f.ctx, q+` ORDER BY known_from, valid_from`, id.String())
	if err != nil {
		f.t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var r, from, to, hv, wk, ff string
		var cur bool
		if err := rows.Scan(&r, &from, &to, &hv, &wk, &ff, &cur); err != nil {
			f.t.Fatal(err)
		}
		s := r + " " + from + ".." + to
		if hv != "" {
			s += " hv=" + hv
		}
		if wk != "" {
			s += " wk=" + wk
		}
		if ff != "" {
			s += " ff=" + ff
		}
		if !current && !cur {
			s += " (superseded)"
		}
		out = append(out, s)
	}
	return strings.Join(out, "; ")
}
