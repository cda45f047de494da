package registry

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"ipledger/ledger"
	"ipledger/registry/term"
)

// recordPledgeEventOne is the pre-batch path of a pledge event, kept as the reference the
// batch path is compared with: the pledge read by statements, the event checked, appended and
// projected (applyPledge) before the next one is read.
func recordPledgeEventOne(ctx context.Context, tx *ledger.Tx, v Viewer, id uuid.UUID, in PledgeEventInput, kind string, eff term.Date) error {
	db := tx.DB()
	cur, err := loadPledgeRowOne(ctx, db, v, id)
	if err != nil {
		return err
	}
	ev, err := checkPledgeEvent(ctx, db, cur, in, eff)
	if err != nil {
		return err
	}
	ev.PledgeID, ev.Type, ev.Note = id, in.Type, strings.TrimSpace(in.Note)
	if _, err = appendApply(ctx, tx, ledger.Draft{Kind: kind, Subject: pledgeSubject(id), EffectiveOn: eff.Time(), Payload: ev}); err != nil {
		return err
	}
	return recordRealisationEffects(ctx, tx, cur, ev, eff)
}

// loadPledgeRowOne is the pre-batch read of one pledge.
func loadPledgeRowOne(ctx context.Context, db bun.IDB, v Viewer, id uuid.UUID) (*pledgeRow, error) {
	r := &pledgeRow{id: id}
	var starts, ends, last string
	var defaulted *string
	err := db.QueryRowContext(ctx, `SELECT p.pledgee_id, p.status, p.amount_fen, p.starts_on::text, p.ends_on::text,
		p.defaulted_on::text, greatest(p.registered_on, (SELECT max(effective_on) FROM registry.pledge_events e WHERE e.pledge_id = p.id))::text
		FROM registry.pledges p WHERE p.id = ?`, id.String()).
		Scan(&r.pledgee, &r.status, &r.amount, &starts, &ends, &defaulted, &last)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !v.sees(r.pledgee)) {
		return nil, Errorf(NotFound, "pledge_not_found", "", "no pledge %s", id)
	}
	if err != nil {
		return nil, err
	}
	r.startsOn, r.endsOn, r.defaultedOn, r.lastChange = parseDateCol(&starts), parseDateCol(&ends), parseDateCol(defaulted), parseDateCol(&last)
	r.active, err = queryIDs(ctx, db, `SELECT asset_id FROM registry.pledge_assets WHERE pledge_id = ? AND active ORDER BY position`, id.String())
	return r, err
}

// pledgeEventOutcome is what one way of recording a batch of pledge events came to: each item's
// verdict, the entries appended and the projections as the write left them.
type pledgeEventOutcome struct {
	verdicts []verdict
	entries  []string // seq, kind, subject, effective date and payload of each entry
	state    map[string][]string
}

// pledgeEventVerdicts runs items in one write, through the batch path or (one) the reference
// path item by item, snapshots what it wrote and rolls the write back.
func pledgeEventVerdicts(t *testing.T, f *pledgeFixture, v Viewer, items []PledgeEventItem, one bool) pledgeEventOutcome {
	t.Helper()
	preps, base := prepareEvents(items, func(it PledgeEventItem) (string, term.Date, *Error) {
		return preparePledgeEvent(it.Event, f.s.Today())
	})
	run := pledgeEventOutcome{verdicts: make([]verdict, len(items))}
	_, err := f.s.write(f.ctx, func(ctx context.Context, tx *ledger.Tx) error {
		res := slices.Clone(base)
		if one {
			for i, it := range items {
				if res[i].Err != nil {
					continue
				}
				before := len(tx.Entries())
				err := recordPledgeEventOne(ctx, tx, v, it.PledgeID, it.Event, preps[i].kind, preps[i].eff)
				if de, ok := AsError(err); ok && len(tx.Entries()) == before {
					res[i].Err = de
				} else if err != nil {
					return fmt.Errorf("item %d: %w", i, err)
				}
			}
		} else if err := recordPledgeEvents(ctx, tx, f.l.DB(), v, items, preps, res); err != nil {
			return err
		}
		for i, r := range res {
			run.verdicts[i] = verdict{ok: true}
			if r.Err != nil {
				run.verdicts[i] = verdictOf(r.Err)
			}
		}
		for _, e := range tx.Entries() {
			run.entries = append(run.entries, fmt.Sprintf("#%d %s %s %s %s", e.Seq, e.Kind, e.Subject, e.EffectiveDate(), e.Payload))
		}
		run.state = snapshotIn(t, ctx, tx.DB())
		return errRollback
	})
	if !errors.Is(err, errRollback) {
		t.Fatalf("one by one %v: %v", one, err)
	}
	return run
}

// TestPledgeEventBatchMatchesOneByOne: for random batches of pledge events — amendments of the
// amount, the term and the contract, extensions, defaults, partial and full releases,
// realisations (by reverse licence too, which records asset events), appraisals, notes with
// quotes, a backslash and braces, events before the pledge's last change, on finished
// pledges, on pledges the viewer may not see or that do not exist, several events on one pledge in one batch (mostly in date order, so that chains
// of accepted ones are common) and pledges sharing a right (one lets it go, the next takes it)
// — the batch path gives every item the verdict the event-by-event path gives it, appends the
// same entries (payloads included) and leaves the same rows in every projected table (spans,
// financing and its kinds, the indicator count log and its checkpoints, one every 3 entries).
// Each batch is then committed, so later batches meet the state of earlier ones; at the end a
// rebuild (which projects entry by entry) equals the live projections.
func TestPledgeEventBatchMatchesOneByOne(t *testing.T) {
	f := newPledgeFixture(t)
	// An indicator checkpoint every 3 entries: runs of the batch path cross checkpoints, whose
	// counts must be those the event-by-event path leaves.
	if _, err := f.db.Super(t).ExecContext(f.ctx, `UPDATE registry.indicator_checkpoint_every SET every = 3`); err != nil {
		t.Fatal(err)
	}
	o1 := f.o1.ID
	bankView := BankViewer(f.bank.ID)
	r := rand.New(rand.NewPCG(13, 7))
	type pl struct {
		id     uuid.UUID
		assets []uuid.UUID
	}
	var pledges []pl
	dates := []string{"2025-05-01", "2025-07-01", "2025-09-01", "2025-12-01", "2026-01-15", "2026-02-20"}
	ends := []string{"2026-12-31", "2027-05-31", "2028-06-30", "2045-01-01"}
	amounts := []string{"4000000.00", "5000000.00", "6000000.00", "12000000.00", "25000000.00", "7.001"} // 10M counts towards high value
	compared, sameBatch, shared, refused := 0, 0, 0, map[string]int{}
	for batch := range 30 {
		for k := range 3 {
			assets := []uuid.UUID{f.patent("2016-03-03", o1).ID}
			if k == 0 {
				assets = append(assets, f.patent("2017-04-04", o1).ID)
			}
			in := f.input([]uuid.UUID{o1}, assets...)
			if k == 2 {
				in.PledgeeID = f.bank2.ID // not visible to bankView
			}
			pledges = append(pledges, pl{f.pledge(in).ID, assets})
		}
		if batch%3 == 1 {
			// Two pledges sharing a right: the first pledge of two lets its second right go,
			// and a new pledge takes it; both are among the batch's targets.
			two := pledges[len(pledges)-3]
			f.pevent(two.id, PledgeEventInput{Type: PledgeReleaseAssets, EffectiveOn: d("2025-08-01"), AssetIDs: two.assets[1:]})
			in := f.input([]uuid.UUID{o1}, two.assets[1])
			in.RegisteredOn = d("2025-08-01")
			pledges = append(pledges, pl{f.pledge(in).ID, two.assets[1:]})
		}
		n := 6 + r.IntN(14)
		items := make([]PledgeEventItem, n)
		seen := map[uuid.UUID]bool{}
		lastDate := map[uuid.UUID]int{}
		for i := range items {
			p := pledges[max(0, len(pledges)-1-r.IntN(min(len(pledges), 9)))]
			if r.IntN(30) == 0 {
				p = pl{id: uuid.New()}
			}
			if seen[p.id] {
				sameBatch++
			}
			seen[p.id] = true
			// Mostly on or after the pledge's previous event in the batch, so that chains of
			// accepted events on one pledge are common; now and then backdated.
			di := lastDate[p.id] + r.IntN(len(dates)-lastDate[p.id])
			if r.IntN(5) == 0 {
				di = r.IntN(len(dates))
			}
			lastDate[p.id] = max(lastDate[p.id], di)
			in := PledgeEventInput{EffectiveOn: d(dates[di])}
			switch x := r.IntN(20); {
			case x < 7:
				in.Type = PledgeAmend
				if r.IntN(3) > 0 {
					in.Amount = amounts[r.IntN(len(amounts))]
				}
				if r.IntN(4) == 0 {
					in.EndsOn = d(ends[r.IntN(len(ends))])
				}
				if r.IntN(8) == 0 {
					in.StartsOn = d(dates[r.IntN(len(dates))])
				}
				if r.IntN(4) == 0 {
					in.ContractNo = fmt.Sprintf("AM-%d-%d", batch, i)
				}
			case x < 10:
				in.Type, in.EndsOn = PledgeExtend, d(ends[r.IntN(len(ends))])
			case x < 13:
				in.Type = PledgeDefault
			case x < 14:
				in.Type = PledgeRelease
			case x < 16:
				in.Type = PledgeReleaseAssets
				if len(p.assets) > 0 {
					in.AssetIDs = []uuid.UUID{p.assets[r.IntN(len(p.assets))]}
					switch r.IntN(5) {
					case 0:
						in.AssetIDs = p.assets
					case 1:
						in.AssetIDs = append(in.AssetIDs, pledges[r.IntN(len(pledges))].assets[0]) // perhaps another pledge's
					}
				} else {
					in.AssetIDs = []uuid.UUID{uuid.New()}
				}
			case x < 18:
				in.Type, in.Method, in.Proceeds = PledgeRealise, "sale", "1000.00"
				if r.IntN(2) == 0 {
					in.Method, in.LicenseeID, in.LicenceEndsOn = RealiseReverseLicence, f.o2.ID, d("2030-01-01")
				}
			default:
				in.Type = PledgeAppraise
				in.Appraisal = &AppraisalInput{Value: "8000000.00", Appraiser: "通辽评估", AppraisedOn: d("2025-06-01"), Method: "market"}
			}
			if r.IntN(4) == 0 { // the run binds payloads as array literals
				in.Note = `备注 "引号" \ {括号}, 逗号`
			}
			items[i] = PledgeEventItem{PledgeID: p.id, Event: in}
		}
		v := OfficeViewer()
		if batch%5 == 4 {
			v = bankView
		}
		want := pledgeEventVerdicts(t, f, v, items, true)
		got := pledgeEventVerdicts(t, f, v, items, false)
		for i := range items {
			compared++
			if got.verdicts[i] != want.verdicts[i] {
				t.Fatalf("batch %d item %d (%+v): batch path %+v, one by one %+v", batch, i, items[i].Event, got.verdicts[i], want.verdicts[i])
			}
			if !want.verdicts[i].ok {
				refused[want.verdicts[i].code]++
			}
		}
		holders := map[uuid.UUID]map[uuid.UUID]bool{} // right → the pledges with an accepted event
		for i, it := range items {
			if !want.verdicts[i].ok {
				continue
			}
			for _, p := range pledges {
				if p.id != it.PledgeID {
					continue
				}
				for _, a := range p.assets {
					if holders[a] == nil {
						holders[a] = map[uuid.UUID]bool{}
					}
					holders[a][p.id] = true
				}
			}
		}
		for _, ps := range holders {
			if len(ps) > 1 {
				shared++
			}
		}
		// The same entries (payloads built from the batch's view of each pledge) and the same
		// projected rows, table by table, as the event-by-event path wrote.
		if !slices.Equal(got.entries, want.entries) {
			t.Fatalf("batch %d: entries differ\nbatch path:  %q\none by one: %q", batch, got.entries, want.entries)
		}
		for table, rows := range want.state {
			if !slices.Equal(got.state[table], rows) {
				t.Fatalf("batch %d: %s differs\nbatch path:  %q\none by one: %q", batch, table, got.state[table], rows)
			}
		}
		res, err := f.s.PledgeEvents(f.ctx, v, items)
		if err != nil {
			t.Fatalf("batch %d: %v", batch, err)
		}
		for i := range res {
			if (res[i].Err == nil) != want.verdicts[i].ok {
				t.Fatalf("batch %d item %d: committed %v, rolled back %+v", batch, i, res[i].Err, want.verdicts[i])
			}
		}
	}
	t.Logf("%d events compared (%d on a pledge already in their batch, %d rights with accepted events of two pledges in one batch); refusals by code: %v",
		compared, sameBatch, shared, refused)
	if sameBatch == 0 {
		t.Error("no batch held two events of one pledge")
	}
	if shared == 0 {
		t.Error("no batch recorded events on two pledges sharing a right")
	}
	for _, code := range []string{"pledge_not_found", "before_last_change", "already_released", "already_realised", "amount_invalid",
		"term_past_expiry", "extend_not_later", "already_defaulted", "not_defaulted", "asset_not_in_pledge", "release_all_assets", "amend_empty"} {
		if refused[code] == 0 {
			t.Errorf("no batch exercised %s: the comparison proves nothing about it", code)
		}
	}
	var checkpoints int
	if err := f.db.App.QueryRowContext(f.ctx, `SELECT count(*) FROM registry.indicator_checkpoints`).Scan(&checkpoints); err != nil {
		t.Fatal(err)
	}
	if checkpoints == 0 {
		t.Error("no indicator checkpoint was made: the comparison proves nothing about them")
	}
	f.rebuildMatches()
}

// TestPledgeEventsRaceRegistrations: two banks pledge a right at once while a batch of events
// lets it leave the pledge that holds it (and amends and defaults that pledge, a run). Writes
// are serialised, so whatever the order: the batch is accepted whole, at most one of the
// banks gets the right, and only after the batch's release (a registration before it meets
// the right still pledged); live projections equal a rebuild.
func TestPledgeEventsRaceRegistrations(t *testing.T) {
	f := newPledgeFixture(t)
	o1 := f.o1.ID
	won := map[bool]int{}
	for round := range 6 {
		a, b := f.patent("2016-03-03", o1).ID, f.patent("2017-04-04", o1).ID
		holder := f.pledge(f.input([]uuid.UUID{o1}, a, b))
		items := []PledgeEventItem{
			{PledgeID: holder.ID, Event: PledgeEventInput{Type: PledgeReleaseAssets, EffectiveOn: d("2025-08-01"), AssetIDs: []uuid.UUID{b}}},
			{PledgeID: holder.ID, Event: PledgeEventInput{Type: PledgeAmend, Amount: "12000000.00", EffectiveOn: d("2025-09-01")}},
			{PledgeID: holder.ID, Event: PledgeEventInput{Type: PledgeDefault, EffectiveOn: d("2025-10-01")}},
		}
		var wg sync.WaitGroup
		var res []BatchResult
		var evErr error
		regs := make([]Pledge, 2)
		regErrs := make([]error, 2)
		start := make(chan struct{})
		for k, bank := range []uuid.UUID{f.bank.ID, f.bank2.ID} {
			in := f.input([]uuid.UUID{o1}, b)
			in.PledgeeID, in.RegisteredOn = bank, d("2025-08-01")
			wg.Go(func() {
				<-start
				regs[k], regErrs[k] = f.s.RegisterPledge(f.ctx, in)
			})
		}
		wg.Go(func() {
			<-start
			res, evErr = f.s.PledgeEvents(f.ctx, OfficeViewer(), items)
		})
		close(start)
		wg.Wait()
		if evErr != nil {
			t.Fatalf("round %d: %v", round, evErr)
		}
		for i, r := range res {
			if r.Err != nil {
				t.Fatalf("round %d: item %d refused: %v", round, i, r.Err)
			}
		}
		var released int64
		if err := f.db.App.QueryRowContext(f.ctx, `SELECT released_seq FROM registry.pledge_assets WHERE pledge_id = ? AND asset_id = ?`,
			holder.ID.String(), b.String()).Scan(&released); err != nil {
			t.Fatal(err)
		}
		winners := 0
		for k, err := range regErrs {
			if err == nil {
				winners++
				if regs[k].Seq < released {
					t.Errorf("round %d: bank %d pledged the right at #%d, before its release at #%d", round, k, regs[k].Seq, released)
				}
				continue
			}
			if de, ok := AsError(err); !ok || de.Code != "asset_pledged" {
				t.Fatalf("round %d: bank %d: %v, want asset_pledged or accepted", round, k, err)
			}
		}
		if winners > 1 {
			t.Errorf("round %d: both banks hold the right", round)
		}
		won[winners == 1]++
	}
	t.Logf("rounds where a bank got the right: %d, where both met it still pledged: %d", won[true], won[false])
	f.rebuildMatches()
}

// TestPledgeEventsFailedStatementChangesNothing: a statement that fails in the last run of a
// batch — after an earlier run was projected and an appraisal applied on its own — fails the
// write: no entry, no projected row, no item reported accepted. The same batch then records
// whole.
func TestPledgeEventsFailedStatementChangesNothing(t *testing.T) {
	f := newPledgeFixture(t)
	o1 := f.o1.ID
	var ps []uuid.UUID
	for range 4 {
		ps = append(ps, f.pledge(f.input([]uuid.UUID{o1}, f.patent("2016-03-03", o1).ID)).ID)
	}
	items := []PledgeEventItem{
		{PledgeID: ps[0], Event: PledgeEventInput{Type: PledgeAmend, Amount: "12000000.00", EffectiveOn: d("2025-09-01")}},
		{PledgeID: ps[1], Event: PledgeEventInput{Type: PledgeDefault, EffectiveOn: d("2025-09-01")}},
		{PledgeID: ps[2], Event: PledgeEventInput{Type: PledgeAppraise, EffectiveOn: d("2025-09-01"),
			Appraisal: &AppraisalInput{Value: "8000000.00", Appraiser: "通辽评估", AppraisedOn: d("2025-06-01"), Method: "market"}}},
		{PledgeID: ps[3], Event: PledgeEventInput{Type: PledgeAmend, Amount: "30000000.00", EffectiveOn: d("2025-09-01"), Note: "fail here"}},
	}
	super := f.db.Super(t)
	if _, err := super.ExecContext(f.ctx, `CREATE FUNCTION registry.test_fail() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN IF NEW.payload->>'note' = 'fail here' THEN RAISE EXCEPTION 'test: failing statement'; END IF; RETURN NEW; END $$;
		CREATE TRIGGER test_fail BEFORE INSERT ON registry.pledge_events FOR EACH ROW EXECUTE FUNCTION registry.test_fail()`); err != nil {
		t.Fatal(err)
	}
	before, head := f.snapshot(), f.head()
	if res, err := f.s.PledgeEvents(f.ctx, OfficeViewer(), items); err == nil {
		t.Fatalf("a failing statement answered %+v", res)
	}
	if f.head() != head {
		t.Errorf("the head moved from #%d to #%d", head, f.head())
	}
	after := f.snapshot()
	for table, rows := range before {
		if !slices.Equal(rows, after[table]) {
			t.Errorf("%s changed by a failed write", table)
		}
	}
	if _, err := super.ExecContext(f.ctx, `DROP TRIGGER test_fail ON registry.pledge_events; DROP FUNCTION registry.test_fail()`); err != nil {
		t.Fatal(err)
	}
	res, err := f.s.PledgeEvents(f.ctx, OfficeViewer(), items)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		if r.Err != nil {
			t.Errorf("item %d: %v", i, r.Err)
		}
	}
	if got := f.head(); got != head+int64(len(items)) {
		t.Errorf("head #%d, want #%d", got, head+int64(len(items)))
	}
	f.rebuildMatches()
}
