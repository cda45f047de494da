package registry

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"ipledger/ledger"
	"ipledger/registry/ident"
	"ipledger/registry/term"
)

// snapshotIn returns every row of every table Rebuild rewrites as db sees them (inside a
// write: with its uncommitted rows), in a fixed order.
func snapshotIn(t *testing.T, ctx context.Context, db bun.IDB) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, p := range Projections() {
		for _, table := range p.Tables() {
			rows, err := db.QueryContext(ctx, `SELECT row_to_json(t)::text AS r FROM `+table+` t ORDER BY r`)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var r string
				if err := rows.Scan(&r); err != nil {
					t.Fatal(err)
				}
				out[table] = append(out[table], r)
			}
			rows.Close()
		}
	}
	return out
}

// eventRun is what one way of recording a batch came to: each item's verdict and the
// projections as the write left them (rolled back after).
type eventRun struct {
	verdicts []verdict
	state    map[string][]string
}

// runEvents records the prepared items in one write through record(ctx, tx, out), snapshots
// the projections and rolls the write back.
func runEvents(t *testing.T, f *fixture, base []BatchResult,
	record func(ctx context.Context, tx *ledger.Tx, out []BatchResult) error) eventRun {
	t.Helper()
	out := make([]BatchResult, len(base))
	copy(out, base)
	var run eventRun
	_, err := f.l.Write(f.ctx, func(ctx context.Context, tx *ledger.Tx) error {
		ctx = withPolicyMemo(ctx)
		if err := record(ctx, tx, out); err != nil {
			return err
		}
		run.state = snapshotIn(t, ctx, tx.DB())
		return errRollback
	})
	if !errors.Is(err, errRollback) {
		t.Fatalf("write: %v", err)
	}
	for _, r := range out {
		if r.Err != nil {
			run.verdicts = append(run.verdicts, verdictOf(r.Err))
		} else {
			run.verdicts = append(run.verdicts, verdict{ok: true})
		}
	}
	return run
}

// sameState fails the test where two runs' projections differ.
func sameState(t *testing.T, batch int, what string, got, want map[string][]string) {
	t.Helper()
	for _, p := range Projections() {
		for _, table := range p.Tables() {
			if !slices.Equal(got[table], want[table]) {
				t.Fatalf("batch %d: %s: %s differs\n got %q\nwant %q", batch, what, table, got[table], want[table])
			}
		}
	}
}

// TestAssetEventBatchesMatchOneByOne: random batches of asset events — every event type, valid
// and invalid dates, unknown assets and parties, duplicate owners, pledged rights with and
// without consent, and several events on one asset in one batch (conflicting ones: two
// lapses, a lapse and its restore, a freeze and a transfer, a set_region before a transfer) —
// come to the same verdicts (code, field, ref, message) and leave the same projections (every
// table Rebuild rewrites, spans and their indicator summaries by seq included) whether the
// batch is recorded as one (the view and one statement per table), as batches of one in turn,
// or through the database-backed rules and projection of before (asset_event_reference_test.go).
// Each batch is then committed so that later batches meet it; at the end a rebuild equals the
// live projections.
func TestAssetEventBatchesMatchOneByOne(t *testing.T) {
	f := newPledgeFixture(t)
	o1, o2, o3 := f.o1.ID, f.o2.ID, f.o3.ID
	// A pledge of 5M counts towards the high-value criterion: financing folds into the spans.
	if err := f.s.SetParam(f.ctx, ParamPledgeThresholdFen, int64(1_000_000_00), d("2000-01-01")); err != nil {
		t.Fatal(err)
	}
	serial := 0
	var pool []uuid.UUID
	newAssets := func() []uuid.UUID {
		serial++
		inv := f.patent(fmt.Sprintf("201%d-03-0%d", serial%8, 1+serial%9), o1).ID
		util := f.asset(AssetInput{Kind: ident.UtilityModel, Number: patentNo(2019, '2', 700000+serial), Title: "实用新型",
			OwnerIDs: []uuid.UUID{o1, o2}, FiledOn: d("2019-04-04"), GrantedOn: d("2019-11-11")}).ID
		mark := f.asset(AssetInput{Kind: ident.Trademark, Number: fmt.Sprintf("%d", 41000000+serial), Title: "商标",
			OwnerIDs: []uuid.UUID{o2}, GrantedOn: d("2016-06-0" + fmt.Sprint(1+serial%9))}).ID
		pending := f.asset(AssetInput{Kind: ident.InventionPatent, Number: patentNo(2022, '1', 800000+serial), Title: "申请中",
			OwnerIDs: []uuid.UUID{o3}, FiledOn: d("2022-02-02")}).ID
		return []uuid.UUID{inv, util, mark, pending}
	}
	pool = append(pool, newAssets()...)
	pledged := f.patent("2015-09-09", o1).ID
	f.pledge(f.input([]uuid.UUID{o1}, pledged))
	pool = append(pool, pledged, f.inv.ID)

	r := rand.New(rand.NewPCG(13, 4))
	dates := []string{"2010-01-01", "2016-06-01", "2022-07-07", "2023-03-03", "2024-01-01", "2024-09-09", "2025-06-01",
		"2025-12-31", "2026-02-01", "2026-03-01", "2027-01-01"}
	// Every type, those that change owners, freezes, lapses and regions more often.
	types := append(EventTypes(), EventTransfer, EventTransfer, EventTransfer, EventLicense, EventFreeze, EventFreeze,
		EventUnfreeze, EventLapse, EventLapse, EventLapse, EventRestore, EventSetRegion, EventForeignFamily)
	pickDate := func() term.Date {
		if r.IntN(8) == 0 {
			return term.Date{} // today
		}
		return d(dates[r.IntN(len(dates))])
	}
	parties := []uuid.UUID{o1, o2, o3, o3, uuid.New()}
	event := func() EventInput {
		in := EventInput{Type: types[r.IntN(len(types))], EffectiveOn: pickDate()}
		if r.IntN(4) == 0 {
			in.Note = `备注 "引号" \ 反斜杠 {a,b}` // quotes, a backslash and braces through the arrays' literals
		}
		switch in.Type {
		case EventTransfer:
			for k := 1 + r.IntN(2); k > 0; k-- {
				in.OwnerIDs = append(in.OwnerIDs, parties[r.IntN(len(parties))])
			}
			if r.IntN(8) == 0 {
				in.OwnerIDs = append(in.OwnerIDs, in.OwnerIDs[0])
			}
			if r.IntN(8) == 0 {
				in.OwnerIDs = nil
			}
			in.PledgeeConsent = r.IntN(3) > 0
		case EventLicense:
			in.LicenseeID, in.LicenseType = parties[r.IntN(len(parties))], LicenseTypes[r.IntN(len(LicenseTypes))]
			in.PledgeeConsent = r.IntN(2) == 0
		case EventFreeze, EventUnfreeze:
			in.CaseNumber = "(2024)蒙05民初1号"
		case EventDesignate:
			in.Industry = []string{"新能源", ""}[r.IntN(2)]
		case EventForeignFamily:
			in.Country, in.FamilyNumber, in.FamilyDate = []string{"US", "WO", "EP", "cn"}[r.IntN(4)], "US123", d(dates[r.IntN(4)])
			if r.IntN(2) == 0 {
				in.FamilyStatus, in.FamilyGrantedOn = FamilyGranted, d(dates[1+r.IntN(5)])
			}
		case EventAward:
			in.Award, in.Level = AwardChinaPatent, "金奖"
		case EventSetRegion:
			in.RegionCode = []string{"150502", "150524", "150500", "999999"}[r.IntN(4)]
		}
		return in
	}
	compared, sameAsset, refused := 0, 0, map[string]int{}
	for batch := range 40 {
		fresh := newAssets()
		choices := append(slices.Clone(pool), fresh...)
		n := 5 + r.IntN(12)
		items := make([]AssetEventItem, n)
		for i := range items {
			a := choices[r.IntN(len(choices))]
			switch x := r.IntN(20); {
			case x < 10: // the fresh ones often, so that a batch has several events per asset
				a = fresh[r.IntN(len(fresh))]
			case x == 10:
				a = uuid.New()
			case x == 11:
				a = pledged
			}
			items[i] = AssetEventItem{AssetID: a, Event: event()}
		}
		if r.IntN(2) == 0 {
			// A unit set by the registrar, then a transfer: the unit no longer follows the owner.
			a := fresh[r.IntN(3)]
			items = append(items, AssetEventItem{AssetID: a, Event: EventInput{Type: EventSetRegion, EffectiveOn: d("2024-01-01"), RegionCode: "150524"}},
				AssetEventItem{AssetID: a, Event: EventInput{Type: EventTransfer, EffectiveOn: d("2024-06-01"), OwnerIDs: []uuid.UUID{o3}, PledgeeConsent: true}})
			r.Shuffle(len(items), func(i, j int) {
				if r.IntN(3) == 0 {
					items[i], items[j] = items[j], items[i]
				}
			})
		}
		today := f.s.Today()
		preps, base := prepareEvents(items, func(it AssetEventItem) (string, term.Date, *Error) { return prepareEvent(it.Event, today) })

		asBatch := runEvents(t, f.fixture, base, func(ctx context.Context, tx *ledger.Tx, out []BatchResult) error {
			return recordEvents(ctx, tx, f.l.DB(), items, preps, nil, out)
		})
		oneByOne := runEvents(t, f.fixture, base, func(ctx context.Context, tx *ledger.Tx, out []BatchResult) error {
			for i := range items {
				if out[i].Err != nil {
					continue
				}
				if err := recordEvents(ctx, tx, f.l.DB(), items[i:i+1], preps[i:i+1], nil, out[i:i+1]); err != nil {
					return err
				}
			}
			return nil
		})
		before := runEvents(t, f.fixture, base, func(ctx context.Context, tx *ledger.Tx, out []BatchResult) error {
			for i, it := range items {
				if out[i].Err != nil {
					continue
				}
				n := len(tx.Entries())
				err := recordEventDB(ctx, tx, it.AssetID, it.Event, preps[i].kind, preps[i].eff)
				if de, ok := AsError(err); ok && len(tx.Entries()) == n {
					out[i].Err = de
					continue
				}
				if err != nil {
					return err
				}
			}
			return nil
		})
		accepted := map[uuid.UUID]int{}
		for i := range items {
			if base[i].Err != nil {
				continue
			}
			compared++
			if asBatch.verdicts[i] != before.verdicts[i] || oneByOne.verdicts[i] != before.verdicts[i] {
				t.Fatalf("batch %d item %d (%s on %s): as a batch %+v, one by one %+v, database rules %+v", batch, i,
					items[i].Event.Type, items[i].Event.EffectiveOn, asBatch.verdicts[i], oneByOne.verdicts[i], before.verdicts[i])
			}
			if before.verdicts[i].ok {
				accepted[items[i].AssetID]++
			} else {
				refused[before.verdicts[i].code]++
			}
		}
		for _, k := range accepted {
			if k > 1 {
				sameAsset++
			}
		}
		sameState(t, batch, "as a batch vs one by one", asBatch.state, oneByOne.state)
		sameState(t, batch, "as a batch vs the database-backed path", asBatch.state, before.state)

		res, err := f.s.AssetEvents(f.ctx, items)
		if err != nil {
			t.Fatalf("batch %d: %v", batch, err)
		}
		for i, x := range res {
			if got := verdictOf(nilIfNone(x.Err)); base[i].Err == nil && got != asBatch.verdicts[i] {
				t.Fatalf("batch %d item %d: committed %+v, rolled back %+v", batch, i, got, asBatch.verdicts[i])
			}
		}
		pool = append(pool, fresh[r.IntN(len(fresh))])
	}
	t.Logf("%d events compared; %d times an asset took several events in one batch; refusals by code: %v", compared, sameAsset, refused)
	if sameAsset < 10 {
		t.Errorf("only %d assets took several events in one batch: the in-batch view is hardly exercised", sameAsset)
	}
	for _, code := range []string{"asset_not_found", "before_filing", "already_lapsed", "not_granted", "owner_unknown",
		"owner_duplicate", "licensee_unknown", "asset_pledged", "already_frozen", "not_frozen", "region_unknown", "not_trademark"} {
		if refused[code] == 0 {
			t.Errorf("no batch exercised %s: the comparison proves nothing about it", code)
		}
	}
	f.rebuildMatches()
}

// nilIfNone is e as an error, nil when it is nil (no typed nil in an interface).
func nilIfNone(e *Error) error {
	if e == nil {
		return nil
	}
	return e
}
