package indicator

import (
	"context"
	"fmt"
	"testing"
	"time"

	"ipledger/ledger"
	"ipledger/migrations/dbtest"
	"ipledger/registry"
	"ipledger/registry/ident"
	"ipledger/registry/term"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// testToday is the pinned "today" of every test (office time).
var testToday = term.New(2026, 3, 1)

type fixture struct {
	t   testing.TB
	db  *dbtest.DB
	l   *ledger.Ledger
	reg *registry.Service
	ind *Service
	ctx context.Context
	n   int
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	db := dbtest.New(t)
	l := ledger.New(db.App, ledger.Options{})
	t.Cleanup(func() { l.Close() })
	reg := registry.New(l, registry.WithClock(func() time.Time { return testToday.Time().Add(3 * time.Hour) }))
	ctx := ledger.WithActor(context.Background(), "principal/test")
	if err := reg.Seed(ctx); err != nil {
		t.Fatalf("seed registry: %v", err)
	}
	ind := New(reg)
	if err := ind.Seed(ctx); err != nil {
		t.Fatalf("seed indicators: %v", err)
	}
	return &fixture{t: t, db: db, l: l, reg: reg, ind: ind, ctx: ctx}
}

func d(s string) term.Date { return term.MustParseDate(s) }

func usccFor(first17 string) string {
	c, ok := ident.USCCCheckChar(first17)
	if !ok {
		panic(first17)
	}
	return first17 + string(c)
}

func patentNo(year int, typ byte, serial int) string {
	body := fmt.Sprintf("%04d%c%07d", year, typ, serial)
	c, _ := ident.PatentCheckChar(body)
	return body + "." + string(c)
}

func (f *fixture) party(region string, kind registry.PartyKind) registry.Party {
	f.t.Helper()
	f.n++
	p, _, err := f.reg.RegisterParty(f.ctx, registry.PartyInput{
		Name: fmt.Sprintf("通辽指标测试%d", f.n), Kind: kind,
		USCC: usccFor(fmt.Sprintf("91150500MB%07d", f.n)), RegionCode: region,
	})
	if err != nil {
		f.t.Fatalf("register party: %v", err)
	}
	return p
}

func (f *fixture) asset(in registry.AssetInput) registry.Asset {
	f.t.Helper()
	a, err := f.reg.RegisterAsset(f.ctx, in)
	if err != nil {
		f.t.Fatalf("register asset %s %s: %v", in.Kind, in.Number, err)
	}
	return a
}

func (f *fixture) compute(region, asOf string, knownAt time.Time) Report {
	f.t.Helper()
	r, err := f.ind.Compute(f.ctx, region, d(asOf), knownAt)
	if err != nil {
		f.t.Fatalf("compute %s %s: %v", region, asOf, err)
	}
	return r
}

func (r Report) get(code string) Value {
	for _, v := range r.Indicators {
		if v.Code == code {
			return v
		}
	}
	panic("no indicator " + code)
}

func (v Value) str() string {
	if v.Value == nil {
		return "null"
	}
	return *v.Value
}
