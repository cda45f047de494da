package registry

import (
	"context"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"ipledger/ledger"
	"ipledger/registry/ident"
	"ipledger/registry/term"
)

func (f *fixture) mark(owner uuid.UUID, number, granted string) Asset {
	return f.asset(AssetInput{Kind: ident.Trademark, Number: number, Title: "商标" + number, OwnerIDs: []uuid.UUID{owner}, GrantedOn: d(granted)})
}

func TestTrademarkGrace(t *testing.T) {
	f := newFixture(t)
	owner := f.party("150523")
	// Registered 2014-03-07 → valid through 2024-03-06; the grace ends 2024-09-06.
	t.Run("NotRenewed", func(t *testing.T) {
		m := f.mark(owner.ID, "11000001", "2014-03-07")
		for on, want := range map[string]string{"2024-03-06": StatusValid, "2024-03-07": StatusExpired, "2024-09-06": StatusExpired} {
			if got := f.get(m.ID, on).Status; got != want {
				t.Fatalf("status on %s = %q, want %q", on, got, want)
			}
		}
		if got, want := f.spans(m.ID, true), "150523 2014-03-07..2024-03-07"; got != want {
			t.Fatalf("spans = %q, want %q", got, want)
		}
	})
	t.Run("RenewedOnLastDayOfGrace", func(t *testing.T) {
		m := f.mark(owner.ID, "11000002", "2014-03-07")
		f.event(m.ID, EventInput{Type: EventRenew, EffectiveOn: d("2024-09-06")})
		for _, on := range []string{"2024-03-06", "2024-03-07", "2024-06-01", "2034-03-06"} {
			g := f.get(m.ID, on)
			if !g.Valid {
				t.Fatalf("on %s: status %q, want valid without a gap", on, g.Status)
			}
		}
		if got, want := f.get(m.ID, "2024-03-06").ExpiresOn, d("2024-03-06"); got != want {
			t.Fatalf("expires_on before renewal period = %v, want %v", got, want)
		}
		if got, want := f.get(m.ID, "2024-03-07").ExpiresOn, d("2034-03-06"); got != want {
			t.Fatalf("expires_on in renewed period = %v, want %v", got, want)
		}
		if got, want := f.get(m.ID, "2034-03-07").Status, StatusExpired; got != want {
			t.Fatalf("after the renewed term: %q, want %q", got, want)
		}
		if got, want := f.spans(m.ID, false), "150523 2014-03-07..2024-03-07 (superseded); 150523 2014-03-07..2034-03-07"; got != want {
			t.Fatalf("spans = %q, want %q", got, want)
		}
	})
	t.Run("RenewedDayAfterGrace", func(t *testing.T) {
		m := f.mark(owner.ID, "11000003", "2014-03-07")
		_, err := f.s.AssetEvent(f.ctx, m.ID, EventInput{Type: EventRenew, EffectiveOn: d("2024-09-07")})
		wantCode(t, err, Invalid, "renewal_too_late")
	})
	t.Run("RenewedTooEarly", func(t *testing.T) {
		m := f.mark(owner.ID, "11000004", "2014-03-07")
		_, err := f.s.AssetEvent(f.ctx, m.ID, EventInput{Type: EventRenew, EffectiveOn: d("2023-03-05")})
		wantCode(t, err, Invalid, "renewal_too_early")
		f.event(m.ID, EventInput{Type: EventRenew, EffectiveOn: d("2023-03-06")})
	})
	t.Run("PatentNotRenewed", func(t *testing.T) {
		p := f.asset(AssetInput{Kind: ident.InventionPatent, Number: "ZL2013106997442", Title: "专利", OwnerIDs: []uuid.UUID{owner.ID}, FiledOn: d("2013-12-18"), GrantedOn: d("2016-05-04")})
		_, err := f.s.AssetEvent(f.ctx, p.ID, EventInput{Type: EventRenew, EffectiveOn: d("2020-01-01")})
		wantCode(t, err, Invalid, "not_trademark")
	})
	t.Run("WellKnown", func(t *testing.T) {
		m := f.mark(owner.ID, "11000005", "2014-03-07")
		f.event(m.ID, EventInput{Type: EventWellKnown, EffectiveOn: d("2020-01-01")})
		if f.get(m.ID, "2019-12-31").WellKnown || !f.get(m.ID, "2020-01-01").WellKnown {
			t.Fatal("well-known not from 2020-01-01")
		}
		_, err := f.s.AssetEvent(f.ctx, m.ID, EventInput{Type: EventWellKnown, EffectiveOn: d("2021-01-01")})
		wantCode(t, err, Invalid, "already_well_known")
		if got, want := f.spans(m.ID, true), "150523 2014-03-07..2024-03-07 wk=2020-01-01"; got != want {
			t.Fatalf("spans = %q, want %q", got, want)
		}
	})
	t.Run("GrantLater", func(t *testing.T) {
		m := f.asset(AssetInput{Kind: ident.Trademark, Number: "11000006", Title: "申请中", OwnerIDs: []uuid.UUID{owner.ID}, FiledOn: d("2023-01-01")})
		if got, want := m.Status, StatusPending; got != want {
			t.Fatalf("status = %q, want %q", got, want)
		}
		_, err := f.s.AssetEvent(f.ctx, m.ID, EventInput{Type: EventGrant, EffectiveOn: d("2022-12-31")})
		wantCode(t, err, Invalid, "before_filing")
		g := f.event(m.ID, EventInput{Type: EventGrant, EffectiveOn: d("2024-02-07")})
		if got, want := g.ExpiresOn, d("2034-02-06"); got != want {
			t.Fatalf("expires_on = %v, want %v", got, want)
		}
		_, err = f.s.AssetEvent(f.ctx, m.ID, EventInput{Type: EventGrant, EffectiveOn: d("2024-02-08")})
		wantCode(t, err, Invalid, "already_granted")
	})
}

func TestLapseRestoreInvalidate(t *testing.T) {
	f := newFixture(t)
	owner := f.party("150526")
	p := f.asset(AssetInput{Kind: ident.UtilityModel, Number: patentNo(2015, '2', 4321), Title: "实用新型", OwnerIDs: []uuid.UUID{owner.ID}, FiledOn: d("2015-04-01"), GrantedOn: d("2015-11-01")})
	t.Run("LapseBeforeGrant", func(t *testing.T) {
		_, err := f.s.AssetEvent(f.ctx, p.ID, EventInput{Type: EventLapse, EffectiveOn: d("2015-10-31")})
		wantCode(t, err, Invalid, "not_granted")
	})
	t.Run("RestoreWithoutLapse", func(t *testing.T) {
		_, err := f.s.AssetEvent(f.ctx, p.ID, EventInput{Type: EventRestore, EffectiveOn: d("2019-01-01")})
		wantCode(t, err, Invalid, "not_lapsed")
	})
	f.event(p.ID, EventInput{Type: EventLapse, EffectiveOn: d("2019-04-01")})
	t.Run("LapseEffectiveOnRecordedDate", func(t *testing.T) {
		if got, want := f.get(p.ID, "2019-03-31").Status, StatusValid; got != want {
			t.Fatalf("day before: %q, want %q", got, want)
		}
		if got, want := f.get(p.ID, "2019-04-01").Status, StatusLapsed; got != want {
			t.Fatalf("day of: %q, want %q", got, want)
		}
		if got, want := f.spans(p.ID, true), "150526 2015-11-01..2019-04-01"; got != want {
			t.Fatalf("spans = %q, want %q", got, want)
		}
	})
	t.Run("AlreadyLapsed", func(t *testing.T) {
		_, err := f.s.AssetEvent(f.ctx, p.ID, EventInput{Type: EventLapse, EffectiveOn: d("2019-05-01")})
		wantCode(t, err, Invalid, "already_lapsed")
	})
	t.Run("RestoreBeforeLapse", func(t *testing.T) {
		_, err := f.s.AssetEvent(f.ctx, p.ID, EventInput{Type: EventRestore, EffectiveOn: d("2019-03-31")})
		wantCode(t, err, Invalid, "before_lapse")
	})
	t.Run("RestoreIsRetroactive", func(t *testing.T) {
		f.event(p.ID, EventInput{Type: EventRestore, EffectiveOn: d("2019-06-01")})
		if got, want := f.get(p.ID, "2019-04-01").Status, StatusValid; got != want {
			t.Fatalf("in the gap: %q, want %q", got, want)
		}
		// Known before the restoration, it was not counted; the old row stays for "as known at".
		if got, want := f.spans(p.ID, false), "150526 2015-11-01..2025-04-01 (superseded); 150526 2015-11-01..2019-04-01 (superseded); 150526 2015-11-01..2025-04-01"; got != want {
			t.Fatalf("spans = %q, want %q", got, want)
		}
	})
	t.Run("Invalidate", func(t *testing.T) {
		f.event(p.ID, EventInput{Type: EventInvalidate, EffectiveOn: d("2020-02-02")})
		if got, want := f.get(p.ID, "2020-02-01").Status, StatusValid; got != want {
			t.Fatalf("day before: %q, want %q", got, want)
		}
		if got, want := f.get(p.ID, "2020-02-02").Status, StatusInvalidated; got != want {
			t.Fatalf("day of: %q, want %q", got, want)
		}
		_, err := f.s.AssetEvent(f.ctx, p.ID, EventInput{Type: EventLapse, EffectiveOn: d("2021-01-01")})
		wantCode(t, err, Invalid, "already_invalidated")
		if got, want := f.spans(p.ID, true), "150526 2015-11-01..2020-02-02"; got != want {
			t.Fatalf("spans = %q, want %q", got, want)
		}
	})
	t.Run("Future", func(t *testing.T) {
		_, err := f.s.AssetEvent(f.ctx, p.ID, EventInput{Type: EventFreeze, EffectiveOn: testToday.AddDays(1)})
		wantCode(t, err, Invalid, "date_in_future")
	})
	t.Run("UnknownAsset", func(t *testing.T) {
		_, err := f.s.AssetEvent(f.ctx, uuid.New(), EventInput{Type: EventFreeze})
		wantCode(t, err, NotFound, "asset_not_found")
	})
}

func TestHighValue(t *testing.T) {
	f := newFixture(t)
	owner := f.party("150502")
	inv := func(serial int, filed string, ipc ...string) Asset {
		y := d(filed).Year()
		return f.asset(AssetInput{Kind: ident.InventionPatent, Number: patentNo(y, '1', serial), Title: "发明", OwnerIDs: []uuid.UUID{owner.ID},
			FiledOn: d(filed), GrantedOn: d(filed).AddYears(2), Attributes: Attributes{IPC: ipc}})
	}
	t.Run("MaintainedAcrossTenthAnniversary", func(t *testing.T) {
		a := inv(1, "2010-05-01")
		if g := f.get(a.ID, "2020-05-01"); g.HighValue.Value || len(g.HighValue.Criteria) != 0 {
			t.Fatalf("on the 10th anniversary: %+v, want not high-value", g.HighValue)
		}
		g := f.get(a.ID, "2020-05-02")
		if !g.HighValue.Value || !slices.Equal(g.HighValue.Criteria, []string{CriterionMaintained}) {
			t.Fatalf("the day after: %+v, want high-value by maintained_10y", g.HighValue)
		}
		if got, want := f.spans(a.ID, true), "150502 2012-05-01..2030-05-01 hv=2020-05-02"; got != want {
			t.Fatalf("spans = %q, want %q", got, want)
		}
	})
	t.Run("MaintainedYearsIsAParam", func(t *testing.T) {
		a := inv(2, "2012-05-01")
		if err := f.s.SetParam(f.ctx, ParamMaintainedYears, 12, term.Date{}); err != nil {
			t.Fatal(err)
		}
		if got, want := f.spans(a.ID, true), "150502 2014-05-01..2032-05-01 hv=2024-05-02"; got != want {
			t.Fatalf("spans = %q, want %q", got, want)
		}
		if err := f.s.SetParam(f.ctx, ParamMaintainedYears, 10, term.Date{}); err != nil {
			t.Fatal(err)
		}
		if got, want := f.spans(a.ID, true), "150502 2014-05-01..2032-05-01 hv=2022-05-02"; got != want {
			t.Fatalf("spans = %q, want %q", got, want)
		}
	})
	t.Run("ConcordanceAndDesignation", func(t *testing.T) {
		a := inv(3, "2020-01-10", "H01M 10/0525", "G06F17/30")
		b := inv(4, "2020-01-10", "A01B1/00")
		if got := f.get(a.ID, "2023-01-01").HighValue.Value; got {
			t.Fatal("high-value before the concordance is loaded")
		}
		if err := f.s.LoadConcordance(f.ctx, []ConcordanceRow{{IPCPrefix: "H01M", Industry: "新能源汽车产业"}}); err != nil {
			t.Fatal(err)
		}
		g := f.get(a.ID, "2023-01-01")
		if !g.HighValue.Value || !slices.Equal(g.HighValue.Criteria, []string{CriterionStrategicIndustry}) || g.StrategicIndustry != "新能源汽车产业" {
			t.Fatalf("after concordance: %+v %q", g.HighValue, g.StrategicIndustry)
		}
		if f.get(a.ID, "2022-01-09").HighValue.Value {
			t.Fatal("high-value before it was granted")
		}
		if f.get(b.ID, "2023-01-01").HighValue.Value {
			t.Fatal("A01B is not in the concordance")
		}
		f.event(b.ID, EventInput{Type: EventDesignate, EffectiveOn: d("2024-06-01"), Industry: "生物产业"})
		if f.get(b.ID, "2024-05-31").HighValue.Value || !f.get(b.ID, "2024-06-01").HighValue.Value {
			t.Fatal("designation not effective from its date")
		}
	})
	t.Run("ForeignFamilyAndAward", func(t *testing.T) {
		a := inv(5, "2019-02-02")
		_, err := f.s.AssetEvent(f.ctx, a.ID, EventInput{Type: EventForeignFamily, EffectiveOn: d("2022-01-01"), Country: "CN", FamilyNumber: "x"})
		wantCode(t, err, Invalid, "country_invalid")
		f.event(a.ID, EventInput{Type: EventForeignFamily, EffectiveOn: d("2022-01-01"), Country: "us", FamilyNumber: "US11223344B2", FamilyDate: d("2020-01-15")})
		f.event(a.ID, EventInput{Type: EventAward, EffectiveOn: d("2023-12-01"), Award: AwardChinaPatent, Level: "银奖"})
		g := f.get(a.ID, "2024-01-01")
		if !slices.Equal(g.HighValue.Criteria, []string{CriterionForeignFamily, CriterionAward}) || len(g.ForeignFamily) != 1 || len(g.Awards) != 1 {
			t.Fatalf("criteria = %v family=%v awards=%v", g.HighValue.Criteria, g.ForeignFamily, g.Awards)
		}
		if got, want := f.spans(a.ID, true), "150502 2021-02-02..2039-02-02 hv=2022-01-01 ff=2022-01-01"; got != want {
			t.Fatalf("spans = %q, want %q", got, want)
		}
		_, err = f.s.AssetEvent(f.ctx, a.ID, EventInput{Type: EventAward, EffectiveOn: d("2023-12-01"), Award: "nobel"})
		wantCode(t, err, Invalid, "award_unknown")
	})
	t.Run("PledgeFinancing", func(t *testing.T) {
		a := inv(6, "2018-03-03")
		pledge := func(amount int64, on string) {
			pid := newID()
			_, err := f.l.Write(f.ctx, func(ctx context.Context, tx *ledger.Tx) error {
				e, err := tx.Append(ledger.Draft{Kind: "pledge.test_registered", Subject: "pledge/" + pid.String(), EffectiveOn: d(on).Time(), Payload: map[string]any{"id": pid}})
				if err != nil {
					return err
				}
				// An empty period (released the day pledged): these stub pledges never clash.
				if _, err := tx.DB().ExecContext(ctx, `INSERT INTO registry.pledge_assets (pledge_id, asset_id, active, pledged_on, released_on) VALUES (?, ?, false, ?, ?)`, pid.String(), a.ID.String(), on, on); err != nil {
					return err
				}
				if _, err := tx.DB().ExecContext(ctx, `INSERT INTO registry.pledge_financing (pledge_id, seq, effective_on, region_code, pledgor_id, amount_fen, is_registration) VALUES (?, ?, ?, '150502', ?, ?, true)`,
					pid.String(), e.Seq, on, owner.ID.String(), amount); err != nil {
					return err
				}
				return RecomputeAsset(ctx, tx, a.ID)
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		pledge(600_000_000, "2022-01-01")
		if f.get(a.ID, "2023-06-01").HighValue.Value {
			t.Fatal("6,000,000.00 CNY is below the threshold")
		}
		pledge(400_000_000, "2023-01-01")
		if f.get(a.ID, "2022-12-31").HighValue.Value {
			t.Fatal("high-value before the sum reached the threshold")
		}
		g := f.get(a.ID, "2023-01-01")
		if !slices.Equal(g.HighValue.Criteria, []string{CriterionPledgeFinancing}) {
			t.Fatalf("criteria = %v", g.HighValue.Criteria)
		}
		if got, want := f.spans(a.ID, true), "150502 2020-03-03..2038-03-03 hv=2023-01-01"; got != want {
			t.Fatalf("spans = %q, want %q", got, want)
		}
		if err := f.s.SetParam(f.ctx, ParamPledgeThresholdFen, 500_000_000, term.Date{}); err != nil {
			t.Fatal(err)
		}
		if got, want := f.spans(a.ID, true), "150502 2020-03-03..2038-03-03 hv=2022-01-01"; got != want {
			t.Fatalf("spans after lowering the threshold = %q, want %q", got, want)
		}
	})
	t.Run("OnlyInventionPatents", func(t *testing.T) {
		u := f.asset(AssetInput{Kind: ident.UtilityModel, Number: patentNo(2005, '2', 9), Title: "实用新型", OwnerIDs: []uuid.UUID{owner.ID}, FiledOn: d("2005-01-01"), GrantedOn: d("2005-06-01")})
		if g := f.get(u.ID, "2014-12-31"); g.HighValue.Value {
			t.Fatal("a utility model is never high-value")
		}
		_, err := f.s.AssetEvent(f.ctx, u.ID, EventInput{Type: EventDesignate, EffectiveOn: d("2010-01-01"), Industry: "x"})
		wantCode(t, err, Invalid, "not_invention_patent")
	})
}

func TestTransferAndRegion(t *testing.T) {
	f := newFixture(t)
	a1 := f.party("150502")
	a2 := f.party("150524")
	p := f.asset(AssetInput{Kind: ident.InventionPatent, Number: "ZL2013106997442", Title: "专利", OwnerIDs: []uuid.UUID{a1.ID}, FiledOn: d("2013-12-18"), GrantedOn: d("2016-05-04")})
	pid := newID()
	if _, err := f.db.App.ExecContext(f.ctx, `INSERT INTO registry.pledge_assets (pledge_id, asset_id, active, pledged_on) VALUES (?, ?, true, '2020-01-01')`, pid.String(), p.ID.String()); err != nil {
		t.Fatal(err)
	}
	t.Run("RefusedWhilePledged", func(t *testing.T) {
		_, err := f.s.AssetEvent(f.ctx, p.ID, EventInput{Type: EventTransfer, EffectiveOn: d("2024-01-01"), OwnerIDs: []uuid.UUID{a2.ID}})
		de := wantCode(t, err, Conflict, "asset_pledged")
		if got, want := de.Ref, pid.String(); got != want {
			t.Fatalf("ref = %q, want %q", got, want)
		}
		_, err = f.s.AssetEvent(f.ctx, p.ID, EventInput{Type: EventLicense, EffectiveOn: d("2024-01-01"), LicenseeID: a2.ID, LicenseType: LicenseOrdinary})
		wantCode(t, err, Conflict, "asset_pledged")
		if !f.get(p.ID, "2024-01-01").Pledged {
			t.Fatal("pledged = false")
		}
	})
	t.Run("WithConsentRegionFollows", func(t *testing.T) {
		g := f.event(p.ID, EventInput{Type: EventTransfer, EffectiveOn: d("2024-01-01"), OwnerIDs: []uuid.UUID{a2.ID}, PledgeeConsent: true})
		if got, want := g.Owners[0].ID, a2.ID; got != want {
			t.Fatalf("owner = %v, want %v", got, want)
		}
		if got, want := g.RegionCode, "150524"; got != want {
			t.Fatalf("region = %q, want %q", got, want)
		}
		if got, want := f.get(p.ID, "2023-12-31").Owners[0].ID, a1.ID; got != want {
			t.Fatalf("owner before = %v, want %v", got, want)
		}
		if got, want := f.spans(p.ID, true), "150502 2016-05-04..2024-01-01 hv=2023-12-19; 150524 2024-01-01..2033-12-18 hv=2024-01-01"; got != want {
			t.Fatalf("spans = %q, want %q", got, want)
		}
		owned, _, err := f.s.ListAssets(f.ctx, AssetFilter{OwnerID: a2.ID})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := len(owned), 1; got != want {
			t.Fatalf("assets of new owner = %d, want %d", got, want)
		}
	})
	t.Run("TransferUnknownOwner", func(t *testing.T) {
		_, err := f.s.AssetEvent(f.ctx, p.ID, EventInput{Type: EventTransfer, EffectiveOn: d("2024-02-01"), OwnerIDs: []uuid.UUID{a2.ID, uuid.New()}, PledgeeConsent: true})
		de := wantCode(t, err, Invalid, "owner_unknown")
		if got, want := de.Field, "owner_ids[1]"; got != want {
			t.Fatalf("field = %q, want %q", got, want)
		}
	})
	t.Run("SetRegion", func(t *testing.T) {
		_, err := f.s.AssetEvent(f.ctx, p.ID, EventInput{Type: EventSetRegion, EffectiveOn: d("2025-01-01"), RegionCode: CityCode})
		wantCode(t, err, Invalid, "region_unknown")
		g := f.event(p.ID, EventInput{Type: EventSetRegion, EffectiveOn: d("2025-01-01"), RegionCode: "150571"})
		if got, want := g.RegionCode, "150571"; got != want {
			t.Fatalf("region = %q, want %q", got, want)
		}
		// Explicit now: a later transfer keeps it.
		g = f.event(p.ID, EventInput{Type: EventTransfer, EffectiveOn: d("2025-02-01"), OwnerIDs: []uuid.UUID{a1.ID}, PledgeeConsent: true})
		if got, want := g.RegionCode, "150571"; got != want {
			t.Fatalf("region after transfer = %q, want %q", got, want)
		}
	})
	t.Run("FreezeUnfreeze", func(t *testing.T) {
		_, err := f.s.AssetEvent(f.ctx, p.ID, EventInput{Type: EventUnfreeze, EffectiveOn: d("2025-03-01")})
		wantCode(t, err, Invalid, "not_frozen")
		f.event(p.ID, EventInput{Type: EventFreeze, EffectiveOn: d("2025-03-01"), CaseNumber: "(2025)内05执保1号"})
		_, err = f.s.AssetEvent(f.ctx, p.ID, EventInput{Type: EventFreeze, EffectiveOn: d("2025-03-02")})
		wantCode(t, err, Invalid, "already_frozen")
		f.event(p.ID, EventInput{Type: EventUnfreeze, EffectiveOn: d("2025-09-01")})
		if f.get(p.ID, "2025-02-28").Frozen || !f.get(p.ID, "2025-03-01").Frozen || !f.get(p.ID, "2025-08-31").Frozen || f.get(p.ID, "2025-09-01").Frozen {
			t.Fatal("frozen not exactly from 2025-03-01 to 2025-08-31")
		}
	})
	t.Run("History", func(t *testing.T) {
		h, err := f.s.AssetHistory(f.ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		var kinds []string
		for _, e := range h {
			kinds = append(kinds, e.Kind)
		}
		want := []string{"asset.registered", "asset.transferred", "asset.region_set", "asset.transferred", "asset.frozen", "asset.unfrozen"}
		if !slices.Equal(kinds, want) {
			t.Fatalf("history = %v, want %v", kinds, want)
		}
	})
}

func TestListAssets(t *testing.T) {
	f := newFixture(t)
	o := f.party("150502")
	var ids []uuid.UUID
	for i := 0; i < 7; i++ {
		a := f.asset(AssetInput{Kind: ident.InventionPatent, Number: patentNo(2005+i, '1', 100+i), Title: "发明", OwnerIDs: []uuid.UUID{o.ID},
			FiledOn: term.New(2005+i, 1, 1), GrantedOn: term.New(2007+i, 1, 1)})
		ids = append(ids, a.ID)
	}
	f.mark(o.ID, "123", "2010-01-01")
	yes, no := true, false
	count := func(fl AssetFilter) int {
		t.Helper()
		n := 0
		fl.Limit = 2
		for {
			page, next, err := f.s.ListAssets(f.ctx, fl)
			if err != nil {
				t.Fatal(err)
			}
			n += len(page)
			if next == "" {
				return n
			}
			fl.Cursor = next
		}
	}
	for _, c := range []struct {
		name string
		f    AssetFilter
		want int
	}{
		{"All", AssetFilter{}, 8},
		{"Kind", AssetFilter{Kind: ident.Trademark}, 1},
		// The mark registered 2010-01-01 expired on 2019-12-31.
		{"ValidIn2020", AssetFilter{Valid: &yes, AsOf: d("2020-01-01")}, 7},
		{"ValidOnLastDayOfMark", AssetFilter{Valid: &yes, AsOf: d("2019-12-31")}, 8},
		// Granted by 2008-06-01: the 2005 and 2006 filings; the mark is not registered yet.
		{"NotValidIn2008", AssetFilter{Valid: &no, AsOf: d("2008-06-01")}, 6},
		// Filed 2005..2011 on 1 January: on 2020-01-02 those filed 2005..2010 are maintained >10y.
		{"HighValue", AssetFilter{HighValue: &yes, AsOf: d("2020-01-02")}, 6},
		{"NotHighValue", AssetFilter{HighValue: &no, AsOf: d("2020-01-02")}, 2},
		{"Q", AssetFilter{Q: "商标"}, 1},
		{"Region", AssetFilter{Region: "150521"}, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := count(c.f); got != c.want {
				t.Fatalf("count = %d, want %d", got, c.want)
			}
		})
	}
}

// TestRenewalShowsItsNewExpiryFromItsDate: a mark renewed before it expires shows the renewed
// term from the renewal's effective date on (the event's answer is as of that date), not the
// old expiry as if the renewal had failed.
func TestRenewalShowsItsNewExpiryFromItsDate(t *testing.T) {
	f := newFixture(t)
	owner := f.party("150523")
	m := f.mark(owner.ID, "12000001", "2009-06-21") // valid through 2019-06-20
	got := f.event(m.ID, EventInput{Type: EventRenew, EffectiveOn: d("2019-03-01")})
	if want := d("2029-06-20"); got.ExpiresOn != want || !got.Valid {
		t.Fatalf("answer to the renewal: expires_on %v valid %v, want %v and valid", got.ExpiresOn, got.Valid, want)
	}
	if got, want := f.get(m.ID, "2019-02-28").ExpiresOn, d("2019-06-20"); got != want {
		t.Fatalf("the day before the renewal: expires_on %v, want %v", got, want)
	}
	if got, want := f.get(m.ID, "2019-06-21").ExpiresOn, d("2029-06-20"); got != want {
		t.Fatalf("in the renewed term: expires_on %v, want %v", got, want)
	}
	a, err := f.s.AssetEventAt(f.ctx, m.ID, EventInput{Type: EventFreeze, EffectiveOn: d("2020-01-01"), CaseNumber: "(2020)内05执保1号"}, d("2019-12-31"))
	if err != nil {
		t.Fatal(err)
	}
	if a.Frozen || a.AsOf != d("2019-12-31") {
		t.Fatalf("answer as of 2019-12-31: frozen %v as_of %v, want not frozen yet", a.Frozen, a.AsOf)
	}
}

// TestLicenceNeedsLicenseeAndType: a licence names its licensee and one of the three types.
func TestLicenceNeedsLicenseeAndType(t *testing.T) {
	f := newFixture(t)
	owner := f.party("150502")
	licensee := f.party("150521")
	p := f.asset(AssetInput{Kind: ident.InventionPatent, Number: "ZL2013106997442", Title: "专利", OwnerIDs: []uuid.UUID{owner.ID}, FiledOn: d("2013-12-18"), GrantedOn: d("2016-05-04")})
	before := f.head()
	_, err := f.s.AssetEvent(f.ctx, p.ID, EventInput{Type: EventLicense, EffectiveOn: d("2024-01-01"), LicenseType: LicenseSole})
	wantCode(t, err, Invalid, "licensee_required")
	_, err = f.s.AssetEvent(f.ctx, p.ID, EventInput{Type: EventLicense, EffectiveOn: d("2024-01-01"), LicenseeID: licensee.ID, LicenseType: "global"})
	wantCode(t, err, Invalid, "license_type_invalid")
	_, err = f.s.AssetEvent(f.ctx, p.ID, EventInput{Type: EventLicense, EffectiveOn: d("2024-01-01"), LicenseeID: licensee.ID})
	wantCode(t, err, Invalid, "license_type_invalid")
	_, err = f.s.AssetEvent(f.ctx, p.ID, EventInput{Type: EventLicense, EffectiveOn: d("2024-01-01"), LicenseeID: newID(), LicenseType: LicenseSole})
	wantCode(t, err, Invalid, "licensee_unknown")
	if got := f.head(); got != before {
		t.Fatalf("refused licences moved the ledger head from %d to %d", before, got)
	}
	for _, lt := range LicenseTypes {
		f.event(p.ID, EventInput{Type: EventLicense, EffectiveOn: d("2024-01-01"), LicenseeID: licensee.ID, LicenseType: lt})
	}
}

// TestEventFieldsBelongToTheirType: a field the event type does not take is refused, naming
// it, for asset and pledge events alike; the award is one of the documented codes.
func TestEventFieldsBelongToTheirType(t *testing.T) {
	f := newFixture(t)
	owner := f.party("150502")
	p := f.asset(AssetInput{Kind: ident.InventionPatent, Number: "ZL2013106997442", Title: "专利", OwnerIDs: []uuid.UUID{owner.ID}, FiledOn: d("2013-12-18"), GrantedOn: d("2016-05-04")})
	before := f.head()
	for _, c := range []struct {
		in    EventInput
		field string
	}{
		{EventInput{Type: EventLapse, EffectiveOn: d("2020-01-01"), Award: AwardChinaPatent}, "award"},
		{EventInput{Type: EventFreeze, EffectiveOn: d("2020-01-01"), OwnerIDs: []uuid.UUID{owner.ID}}, "owner_ids"},
		{EventInput{Type: EventAward, EffectiveOn: d("2020-01-01"), Award: AwardChinaPatent, RegionCode: "150502"}, "region_code"},
		{EventInput{Type: EventGrant, EffectiveOn: d("2020-01-01"), PledgeeConsent: true}, "pledgee_consent"},
	} {
		_, err := f.s.AssetEvent(f.ctx, p.ID, c.in)
		if de := wantCode(t, err, Invalid, "field_not_allowed"); de.Field != c.field {
			t.Fatalf("%s: field %q, want %q", c.in.Type, de.Field, c.field)
		}
	}
	_, err := f.s.AssetEvent(f.ctx, p.ID, EventInput{Type: EventAward, EffectiveOn: d("2020-01-01"), Award: "national_st_award"})
	wantCode(t, err, Invalid, "award_unknown")
	_, _, err = preparePledgeEvent(PledgeEventInput{Type: PledgeRelease, Amount: "1.00"}, d("2024-01-01"))
	if de := wantCode(t, err, Invalid, "field_not_allowed"); de.Field != "amount" {
		t.Fatalf("pledge release with amount: field %q", de.Field)
	}
	_, _, err = preparePledgeEvent(PledgeEventInput{Type: PledgeExtend, AssetIDs: []uuid.UUID{p.ID}}, d("2024-01-01"))
	wantCode(t, err, Invalid, "field_not_allowed")
	if got := f.head(); got != before {
		t.Fatalf("refused events moved the ledger head from %d to %d", before, got)
	}
	f.event(p.ID, EventInput{Type: EventAward, EffectiveOn: d("2020-01-01"), Award: AwardNationalST, Level: "二等奖"})
}

// head is the ledger's last seq: a refusal must leave it where it was.
func (f *fixture) head() int64 {
	f.t.Helper()
	rep, err := ledger.Verify(f.ctx, f.db.App)
	if err != nil || !rep.OK {
		f.t.Fatalf("verify: %+v %v", rep, err)
	}
	return rep.HeadSeq
}

// TestAssetEventAcrossMidnight: an event without a date, recorded as the day turns, is answered
// as of the day it was recorded on (the day is read once, not once for the date and again for
// the write).
func TestAssetEventAcrossMidnight(t *testing.T) {
	f := newFixture(t)
	m := f.mark(f.party("150523").ID, "11000099", "2014-03-07")
	var calls atomic.Int64
	y, mo, dd := testToday.Year(), testToday.Month(), testToday.Day()
	lastMoment := time.Date(y, mo, dd, 23, 59, 59, 999_000_000, Office) // the office's day, not UTC's
	s := New(f.l, WithClock(func() time.Time {
		if calls.Add(1) == 1 {
			return lastMoment
		}
		return lastMoment.Add(time.Second) // the next day
	}))
	a, err := s.AssetEvent(f.ctx, m.ID, EventInput{Type: EventFreeze})
	if err != nil {
		t.Fatal(err)
	}
	if !a.Frozen {
		t.Fatalf("answered as of a day without the freeze: %+v", a)
	}
	var eff string
	if err := f.l.DB().QueryRowContext(f.ctx, `SELECT effective_on::text FROM registry.asset_events WHERE asset_id = ?`, m.ID.String()).Scan(&eff); err != nil || eff != testToday.String() {
		t.Fatalf("recorded on %q (%v), want %s", eff, err, testToday)
	}
}
