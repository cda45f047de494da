package registry

import (
	"context"
	"testing"

	"github.com/google/uuid"

	"ipledger/registry/ident"
)

// countsOn reports whether the asset has a current span covering day (what indicators count).
func (f *fixture) countsOn(id uuid.UUID, day string) bool {
	f.t.Helper()
	var n int
	if err := f.db.App.QueryRowContext(context.Background(), `SELECT count(*) FROM registry.asset_spans
		WHERE asset_id = ? AND known_to IS NULL AND valid_from <= ? AND (valid_to IS NULL OR valid_to > ?)`, id, day, day).Scan(&n); err != nil {
		f.t.Fatal(err)
	}
	return n > 0
}

// A plant-variety application counts only from the grant of its right: until then it may be
// rejected or withdrawn, and nothing could end its count.
func TestPlantVarietyCountsFromGrant(t *testing.T) {
	f := newFixture(t)
	owner := f.party("150523")
	pv := f.asset(AssetInput{Kind: ident.PlantVariety, Number: "20191006012", Title: "通辽杨", OwnerIDs: []uuid.UUID{owner.ID}, FiledOn: d("2019-10-06")})
	if f.countsOn(pv.ID, "2020-01-01") || f.get(pv.ID, "2020-01-01").Valid {
		t.Fatal("a pending application counts as registered")
	}
	f.event(pv.ID, EventInput{Type: EventGrant, EffectiveOn: d("2021-05-10")})
	if f.countsOn(pv.ID, "2021-05-09") {
		t.Fatal("counts the day before its grant")
	}
	if !f.countsOn(pv.ID, "2021-05-10") || !f.get(pv.ID, "2021-05-10").Valid {
		t.Fatal("does not count from its grant")
	}
}

// A confirmed nonconforming code is stored in the same spelling as a checked one, so its
// full-width twin is still a duplicate.
func TestConfirmedUSCCFullWidthIsADuplicate(t *testing.T) {
	f := newFixture(t)
	first, _, err := f.s.RegisterParty(f.ctx, PartyInput{Name: "试点企业", Kind: Enterprise, USCC: "91350203M0001QAY9B", USCCConfirmed: true, RegionCode: "150502"})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = f.s.RegisterParty(f.ctx, PartyInput{Name: "试点企业二", Kind: Enterprise, USCC: "９１３５０２０３Ｍ０００１ＱＡＹ９Ｂ", USCCConfirmed: true, RegionCode: "150502"})
	if de := wantCode(t, err, Conflict, "uscc_taken"); de.Ref != first.ID.String() {
		t.Fatalf("ref = %s, want %s", de.Ref, first.ID)
	}
}

// One trademark registration number is one mark, whichever mark kind records it: counted
// once in valid_trademarks.
func TestMarkKindsShareNumbers(t *testing.T) {
	f := newFixture(t)
	owner := f.party("150502")
	tm := f.asset(AssetInput{Kind: ident.Trademark, Number: "30123456", Title: "科尔沁", OwnerIDs: []uuid.UUID{owner.ID}, GrantedOn: d("2020-01-07")})
	for _, k := range []ident.Kind{ident.GICertificationMark, ident.GICollectiveMark} {
		_, err := f.s.RegisterAsset(f.ctx, AssetInput{Kind: k, Number: "30123456", Title: "科尔沁牛", OwnerIDs: []uuid.UUID{owner.ID}, GrantedOn: d("2020-01-07")})
		if de := wantCode(t, err, Conflict, "asset_exists"); de.Ref != tm.ID.String() {
			t.Fatalf("%s: ref = %s, want %s", k, de.Ref, tm.ID)
		}
	}
	// Another number is another mark.
	f.asset(AssetInput{Kind: ident.GICertificationMark, Number: "30123457", Title: "通辽黄玉米", OwnerIDs: []uuid.UUID{owner.ID}, GrantedOn: d("2020-01-07")})
}

// A right frozen by a court cannot change hands until it is unfrozen.
func TestFrozenRightCannotBeTransferred(t *testing.T) {
	f := newFixture(t)
	owner, buyer := f.party("150502"), f.party("150521")
	a := f.asset(AssetInput{Kind: ident.InventionPatent, Number: patentNo(2015, '1', 4242), Title: "冻结", OwnerIDs: []uuid.UUID{owner.ID}, FiledOn: d("2015-03-01"), GrantedOn: d("2017-06-01")})
	f.event(a.ID, EventInput{Type: EventFreeze, EffectiveOn: d("2024-01-10"), CaseNumber: "(2024)内05执保12号"})
	_, err := f.s.AssetEvent(f.ctx, a.ID, EventInput{Type: EventTransfer, EffectiveOn: d("2024-02-01"), OwnerIDs: []uuid.UUID{buyer.ID}})
	wantCode(t, err, Invalid, "asset_frozen")
	f.event(a.ID, EventInput{Type: EventUnfreeze, EffectiveOn: d("2024-03-01"), CaseNumber: "(2024)内05执保12号"})
	f.event(a.ID, EventInput{Type: EventTransfer, EffectiveOn: d("2024-03-01"), OwnerIDs: []uuid.UUID{buyer.ID}})
}

// Moving a pledge's start date is held to the registration rules: the rights must be in
// force and not frozen on the new start.
func TestAmendStartsOnIsChecked(t *testing.T) {
	f := newPledgeFixture(t)
	f.event(f.inv.ID, EventInput{Type: EventFreeze, EffectiveOn: d("2025-01-10"), CaseNumber: "(2025)内05执保1号"})
	f.event(f.inv.ID, EventInput{Type: EventUnfreeze, EffectiveOn: d("2025-02-10"), CaseNumber: "(2025)内05执保1号"})
	p := f.pledge(f.input([]uuid.UUID{f.o1.ID}, f.inv.ID))
	_, err := f.s.PledgeEvent(f.ctx, OfficeViewer(), p.ID, PledgeEventInput{Type: PledgeAmend, EffectiveOn: d("2025-07-01"), StartsOn: d("2025-01-20")})
	wantCode(t, err, Invalid, "asset_frozen")
	_, err = f.s.PledgeEvent(f.ctx, OfficeViewer(), p.ID, PledgeEventInput{Type: PledgeAmend, EffectiveOn: d("2025-07-01"), StartsOn: d("2014-01-01")})
	wantCode(t, err, Invalid, "asset_not_valid")
	f.pevent(p.ID, PledgeEventInput{Type: PledgeAmend, EffectiveOn: d("2025-07-01"), StartsOn: d("2025-03-01")})
}

// A backdated registration may not overlap a pledge of the same right that was released
// only after the backdated date.
func TestBackdatedPledgeMayNotOverlapAReleasedOne(t *testing.T) {
	f := newPledgeFixture(t)
	in := f.input([]uuid.UUID{f.o1.ID}, f.inv.ID)
	in.RegisteredOn, in.StartsOn, in.EndsOn = d("2022-01-01"), d("2022-01-01"), d("2024-12-31")
	first := f.pledge(in)
	f.pevent(first.ID, PledgeEventInput{Type: PledgeRelease, EffectiveOn: d("2024-06-01")})

	back := f.input([]uuid.UUID{f.o1.ID}, f.inv.ID)
	back.RegisteredOn, back.StartsOn, back.EndsOn = d("2023-01-01"), d("2023-01-01"), d("2025-12-31")
	_, err := f.s.RegisterPledge(f.ctx, back)
	if de := wantCode(t, err, Conflict, "asset_pledged"); de.Ref != first.ID.String() {
		t.Fatalf("ref = %s, want %s", de.Ref, first.ID)
	}
	// From the day of the release on, the right is free again.
	after := f.input([]uuid.UUID{f.o1.ID}, f.inv.ID)
	after.RegisteredOn, after.StartsOn, after.EndsOn = d("2024-06-01"), d("2024-06-01"), d("2026-05-31")
	f.pledge(after)
}
