package registry

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/google/uuid"
	"pgregory.net/rapid"

	"ipledger/ledger"
	"ipledger/registry/ident"
	"ipledger/registry/term"
)

var errRollback = errors.New("test: roll the write back")

// verdict is what a registration came to: accepted, or the refusal's code, field, ref, text.
type verdict struct {
	ok                        bool
	code, field, ref, message string
}

func verdictOf(err error) verdict {
	if err == nil {
		return verdict{ok: true}
	}
	de, _ := AsError(err)
	return verdict{code: de.Code, field: de.Field, ref: de.Ref, message: de.Message}
}

// oldVerdicts runs ps through the pre-issue-13 path (each registration checked by statements
// against the database and projected before the next is checked) and rolls it back.
func oldVerdicts(t *testing.T, f *pledgeFixture, ps []*pledgePayload) []verdict {
	t.Helper()
	out := make([]verdict, len(ps))
	_, err := f.l.Write(f.ctx, func(ctx context.Context, tx *ledger.Tx) error {
		for i, p := range ps {
			if p == nil {
				continue
			}
			before := len(tx.Entries())
			err := recordPledge(ctx, tx, p)
			if _, ok := AsError(err); err != nil && (!ok || len(tx.Entries()) != before) {
				return fmt.Errorf("item %d: %w", i, err)
			}
			out[i] = verdictOf(err)
		}
		return errRollback
	})
	if !errors.Is(err, errRollback) {
		t.Fatalf("old path: %v", err)
	}
	return out
}

// newVerdicts runs ps through recordPledges (the view and one statement per table) and rolls
// it back.
func newVerdicts(t *testing.T, f *pledgeFixture, ps []*pledgePayload) []verdict {
	t.Helper()
	res := make([]pledgeOutcome, len(ps))
	_, err := f.l.Write(f.ctx, func(ctx context.Context, tx *ledger.Tx) error {
		if err := recordPledges(ctx, tx, f.l.DB(), ps, nil, res); err != nil {
			return err
		}
		return errRollback
	})
	if !errors.Is(err, errRollback) {
		t.Fatalf("new path: %v", err)
	}
	out := make([]verdict, len(ps))
	for i, r := range res {
		if ps[i] == nil {
			continue
		}
		if r.Err != nil {
			out[i] = verdictOf(r.Err)
		} else {
			out[i] = verdict{ok: true}
		}
	}
	return out
}

func clonePayloads(ps []*pledgePayload) []*pledgePayload {
	out := make([]*pledgePayload, len(ps))
	for i, p := range ps {
		if p != nil {
			c := *p
			out[i] = &c
		}
	}
	return out
}

// TestPledgeChecksMatchDatabaseRules: for random batches of registrations — unknown parties,
// a pledgee that is no bank, owners who are not the pledgors, GI marks, lapsed, ungranted and
// frozen rights, terms past expiry, backdated overlaps with a released pledge, and several
// registrations of one right in one batch — the view-based checks give every item the
// verdict the database-backed rules of before gave it, item by item in order. Each batch is
// then committed, so later batches meet the pledges of earlier ones, and each accepted
// registration's answer equals a read of it; at the end a rebuild equals the live projections.
func TestPledgeChecksMatchDatabaseRules(t *testing.T) {
	f := newPledgeFixture(t)
	o1, o2 := f.o1.ID, f.o2.ID
	var pool []uuid.UUID
	for i := range 6 {
		pool = append(pool, f.patent(fmt.Sprintf("201%d-0%d-10", 4+i%5, 1+i), o1).ID)
	}
	joint := f.patent("2016-04-04", o1, o2).ID
	old := f.patent("2004-02-02", o1).ID // expires 2024-02-01
	ungranted := f.asset(AssetInput{Kind: ident.InventionPatent, Number: patentNo(2023, '1', 900001), Title: "申请中",
		OwnerIDs: []uuid.UUID{o1}, FiledOn: d("2023-05-05")}).ID
	mark := f.asset(AssetInput{Kind: ident.GICertificationMark, Number: "31234567", Title: "地理标志",
		OwnerIDs: []uuid.UUID{o1}, GrantedOn: d("2018-01-01")}).ID
	frozen := f.patent("2015-09-09", o1).ID
	f.event(frozen, EventInput{Type: EventFreeze, EffectiveOn: d("2024-07-01"), CaseNumber: "(2024)蒙05民初1号"})
	released := f.patent("2015-10-10", o1).ID
	rp := f.pledge(f.input([]uuid.UUID{o1}, released))
	f.pevent(rp.ID, PledgeEventInput{Type: PledgeRelease, EffectiveOn: d("2025-09-01")})
	pool = append(pool, joint, old, ungranted, mark, frozen, released, f.inv.ID)
	notBank := f.party("150521").ID
	guarantor, _, err := f.s.RegisterParty(f.ctx, PartyInput{Name: "通辽市融资担保有限公司", Kind: Guarantor, RegionCode: "150502"})
	if err != nil {
		t.Fatal(err)
	}

	r := rand.New(rand.NewPCG(13, 2026))
	pick := func(xs ...uuid.UUID) uuid.UUID { return xs[r.IntN(len(xs))] }
	dates := []string{"2023-03-01", "2024-01-15", "2025-06-01", "2025-10-01", "2026-02-01"}
	ends := []string{"2026-12-31", "2026-12-31", "2031-06-30", "2040-01-01"}
	compared, inBatch, answered, refused := 0, 0, 0, map[string]int{}
	for batch := range 40 {
		// Fresh rights each batch, so that registrations of one batch also clash among
		// themselves and not only with the pledges of earlier batches.
		fresh := []uuid.UUID{f.patent("2017-01-05", o1).ID, f.patent("2018-02-06", o1).ID}
		choices := append(slices.Clone(pool), fresh...)
		n := 4 + r.IntN(9)
		ps := make([]*pledgePayload, n)
		for i := range ps {
			pledgors := [][]uuid.UUID{{o1}, {o1}, {o1}, {o1}, {o1}, {o1}, {o1, o2}, {o2}, {uuid.New()}}[r.IntN(9)]
			var assets []uuid.UUID
			if r.IntN(2) == 0 {
				assets = append(assets, pick(fresh...))
			}
			for k := r.IntN(3); k > 0 || len(assets) == 0; k-- {
				a := pick(choices...)
				if r.IntN(25) == 0 {
					a = uuid.New()
				}
				if !slices.Contains(assets, a) {
					assets = append(assets, a)
				}
			}
			in := PledgeInput{PledgorIDs: pledgors, AssetIDs: assets, Amount: fmt.Sprintf("%d.00", 1000000+r.IntN(9)*1000000),
				ContractNo: fmt.Sprintf("PROP-%d-%d", batch, i), RegisteredOn: d(dates[r.IntN(len(dates))]),
				EndsOn: d(ends[r.IntN(len(ends))]), PledgeeID: pick(f.bank.ID, f.bank.ID, f.bank.ID, f.bank.ID, f.bank2.ID, guarantor.ID, notBank, uuid.New())}
			// A third are finished pledges, released or realised on a date of the list not
			// before their registration (possibly the same day: an empty period); a realised
			// one defaulted on its registration, its realisation or a day between.
			if r.IntN(3) == 0 {
				if end := d(dates[r.IntN(len(dates))]); !end.Before(in.RegisteredOn) {
					if r.IntN(2) == 0 {
						in.ReleasedOn = end
					} else {
						in.DefaultedOn = pick2(r, in.RegisteredOn, end)
						in.RealisedOn, in.RealisationMethod, in.Proceeds = end, "sale", "1000.00"
					}
				}
			}
			p, err := preparePledge(in, f.s.Today())
			if err != nil {
				continue
			}
			p.ID = newID()
			ps[i] = p
		}
		want := oldVerdicts(t, f, clonePayloads(ps))
		got := newVerdicts(t, f, clonePayloads(ps))
		for i := range ps {
			if ps[i] == nil {
				continue
			}
			compared++
			if want[i].code == "asset_pledged" && slices.ContainsFunc(ps, func(p *pledgePayload) bool { return p != nil && p.ID.String() == want[i].ref }) {
				inBatch++
			}
			if got[i] != want[i] {
				t.Fatalf("batch %d item %d: view-based check %+v, database rules %+v", batch, i, got[i], want[i])
			}
			if !want[i].ok {
				refused[want[i].code]++
			}
		}
		ins := make([]PledgeInput, 0, n)
		for _, p := range ps {
			if p != nil {
				ins = append(ins, PledgeInput{PledgorIDs: p.PledgorIDs, AssetIDs: p.AssetIDs, Amount: Money(p.AmountFen).String(),
					ContractNo: p.ContractNo, RegisteredOn: p.RegisteredOn, EndsOn: p.EndsOn, PledgeeID: p.PledgeeID, ReleasedOn: releasedOf(p),
					DefaultedOn: dateOf(p.defaultedOn), RealisedOn: dateOf(p.RealisedOn), RealisationMethod: p.method, Proceeds: proceedsOf(p)})
			}
		}
		outs, err := f.s.registerPledges(f.ctx, ins)
		if err != nil {
			t.Fatalf("batch %d: %v", batch, err)
		}
		// The answer is what a read returns right after.
		for _, o := range outs {
			if o.Err != nil {
				continue
			}
			read, err := f.s.GetPledge(f.ctx, OfficeViewer(), o.ID)
			if err != nil {
				t.Fatal(err)
			}
			answer := o.pledge
			answer.Overdue = answer.Status == PledgeActive && answer.EndsOn.Before(f.s.Today())
			if !reflect.DeepEqual(answer, read) {
				t.Fatalf("batch %d: the answer\n%+v\nis not what is read\n%+v", batch, answer, read)
			}
			answered++
		}
	}
	t.Logf("%d registrations compared; refusals by code: %v; %d clashes within a batch", compared, refused, inBatch)
	if answered == 0 {
		t.Error("no registration was accepted: the answers were never compared with a read")
	}
	if inBatch == 0 {
		t.Error("no registration clashed with an earlier one of its own batch")
	}
	for _, code := range []string{"pledgee_unknown", "pledgee_not_bank", "pledgor_unknown", "pledgor_not_owner", "co_owner_missing",
		"asset_unknown", "asset_not_pledgeable", "asset_not_valid", "asset_frozen", "term_past_expiry", "asset_pledged"} {
		if refused[code] == 0 {
			t.Errorf("no batch exercised %s: the comparison proves nothing about it", code)
		}
	}
	f.rebuildMatches()
}

func releasedOf(p *pledgePayload) term.Date { return dateOf(p.ReleasedOn) }

func dateOf(d *term.Date) term.Date {
	if d == nil {
		return term.Date{}
	}
	return *d
}

func proceedsOf(p *pledgePayload) string {
	if p.proceedsFen == 0 {
		return ""
	}
	return Money(p.proceedsFen).String()
}

// pick2 is from, to or a day between them, at random.
func pick2(r *rand.Rand, from, to term.Date) term.Date {
	switch days := int(to.Time().Sub(from.Time()).Hours() / 24); {
	case days <= 0 || r.IntN(3) == 0:
		return from
	case r.IntN(2) == 0:
		return to
	default:
		return from.AddDays(r.IntN(days + 1))
	}
}

// TestPledgePeriodsNeverOverlap: open, released, realised and defaulted pledges of a few
// rights, backdated over 2019–2026 and recorded in random order, singly or in batches. A
// registration is accepted exactly when its period [registered_on, released_on or realised_on)
// overlaps that of no accepted pledge of its rights (the model here, independent of the
// code); a refusal is 409 asset_pledged at the first such right, naming a pledge whose period
// overlaps (an open one if any does); Postgres agrees — the refused right's row, inserted raw,
// violates the exclusion constraint pledge_assets_no_overlap — and after every write no right
// is in two overlapping pledges. A rebuild at the end equals the live projections.
func TestPledgePeriodsNeverOverlap(t *testing.T) {
	f := newPledgeFixture(t)
	var grid []term.Date // every four months from 2019 to today: ends often meet starts
	for on := d("2019-01-01"); !on.After(testToday); on = on.AddMonths(4) {
		grid = append(grid, on)
	}
	type period struct {
		pledge   uuid.UUID
		from, to term.Date // zero to: open
	}
	overlaps := func(a period, from, to term.Date) bool {
		return pledgeHold{pledge: a.pledge, pledgedOn: a.from, releasedOn: a.to}.overlaps(from, to)
	}
	// The model's own test of overlap, written out: half-open ranges, an empty one meeting none.
	modelOverlaps := func(a period, from, to term.Date) bool {
		empty := func(f, t term.Date) bool { return !t.IsZero() && !f.Before(t) }
		if empty(a.from, a.to) || empty(from, to) {
			return false
		}
		return (to.IsZero() || a.from.Before(to)) && (a.to.IsZero() || from.Before(a.to))
	}
	shapes := map[string]int{}
	var accepted, refused, backdated int
	rapid.Check(t, func(rt *rapid.T) {
		rights := make([]uuid.UUID, rapid.IntRange(1, 3).Draw(rt, "rights"))
		for i := range rights {
			rights[i] = f.patent("2014-06-01", f.o1.ID).ID // granted 2016-06-01, expires 2034-05-31
		}
		n := rapid.IntRange(2, 8).Draw(rt, "pledges")
		ins := make([]PledgeInput, n)
		for i := range ins {
			idx := rapid.SliceOfNDistinct(rapid.IntRange(0, len(rights)-1), 1, len(rights), func(k int) int { return k }).Draw(rt, "assets")
			in := f.input([]uuid.UUID{f.o1.ID})
			for _, k := range idx {
				in.AssetIDs = append(in.AssetIDs, rights[k])
			}
			a, b := rapid.IntRange(0, len(grid)-1).Draw(rt, "from"), rapid.IntRange(0, len(grid)-1).Draw(rt, "to")
			a, b = min(a, b), max(a, b)
			in.RegisteredOn, in.EndsOn = grid[a], d("2030-12-31")
			shape := rapid.SampledFrom([]string{"open", "released", "realised", "defaulted"}).Draw(rt, "shape")
			shapes[shape]++
			switch shape {
			case "released":
				in.ReleasedOn = grid[b]
			case "realised":
				in.DefaultedOn = grid[rapid.IntRange(a, b).Draw(rt, "default")]
				in.RealisedOn, in.RealisationMethod, in.Proceeds = grid[b], "auction", "10.00"
			case "defaulted":
				in.DefaultedOn = grid[b]
			}
			ins[i] = in
		}
		order := rapid.Permutation(ins).Draw(rt, "order")
		held := map[uuid.UUID][]period{} // the model: accepted periods by right
		for len(order) > 0 {
			k := rapid.IntRange(1, len(order)).Draw(rt, "batch")
			chunk := order[:k]
			order = order[k:]
			res, err := f.s.RegisterPledges(f.ctx, chunk)
			if err != nil {
				rt.Fatalf("record: %v", err)
			}
			for j, in := range chunk {
				from, to := in.RegisteredOn, in.ReleasedOn
				if !in.RealisedOn.IsZero() {
					to = in.RealisedOn
				}
				clash, at := -1, []period(nil)
				for i, a := range in.AssetIDs {
					for _, h := range held[a] {
						if modelOverlaps(h, from, to) != overlaps(h, from, to) {
							rt.Fatalf("the view's overlap of %+v and [%s, %s) is not the model's", h, from, to)
						}
						if modelOverlaps(h, from, to) {
							at = append(at, h)
						}
					}
					if len(at) > 0 {
						clash = i
						break
					}
				}
				if clash < 0 {
					if res[j].Err != nil {
						rt.Fatalf("[%s, %s) of %v overlaps nothing accepted, but was refused: %v", from, to, in.AssetIDs, res[j].Err)
					}
					for _, a := range in.AssetIDs {
						if slices.ContainsFunc(held[a], func(h period) bool { return from.Before(h.from) }) {
							backdated++ // recorded after a pledge of the same right that began later
						}
						held[a] = append(held[a], period{res[j].ID, from, to})
					}
					accepted++
					continue
				}
				de, _ := AsError(res[j].Err)
				if de == nil || de.Code != "asset_pledged" || de.Field != fmt.Sprintf("asset_ids[%d]", clash) {
					rt.Fatalf("[%s, %s) overlaps %+v at right %d, but the answer is %v", from, to, at, clash, res[j].Err)
				}
				named := slices.IndexFunc(at, func(h period) bool { return h.pledge.String() == de.Ref })
				anyOpen := slices.ContainsFunc(at, func(h period) bool { return h.to.IsZero() })
				if named < 0 || anyOpen && !at[named].to.IsZero() {
					rt.Fatalf("refusal names %s, not an overlapping pledge (open first) of %+v", de.Ref, at)
				}
				if !excluded(t, f, in.AssetIDs[clash], from, to) {
					rt.Fatalf("Go refused [%s, %s) of %s; Postgres's exclusion constraint takes it", from, to, in.AssetIDs[clash])
				}
				refused++
			}
			var twice int
			if err := f.db.App.QueryRowContext(f.ctx, `SELECT count(*) FROM registry.pledge_assets a JOIN registry.pledge_assets b
				ON a.asset_id = b.asset_id AND a.pledge_id < b.pledge_id
				AND daterange(a.pledged_on, a.released_on, '[)') && daterange(b.pledged_on, b.released_on, '[)')`).Scan(&twice); err != nil || twice != 0 {
				rt.Fatalf("rights in two overlapping pledges: %d (%v)", twice, err)
			}
		}
	})
	t.Logf("pledges by shape: %v; %d accepted (%d backdated behind a later one), %d refused", shapes, accepted, backdated, refused)
	if accepted == 0 || refused == 0 || backdated == 0 {
		t.Error("the runs never accepted, refused, or accepted a pledge backdated behind a later one: the property was not exercised")
	}
	f.rebuildMatches()
}

// excluded says whether Postgres refuses the right asset in a new pledge over [from, to) by
// the exclusion constraint pledge_assets_no_overlap (the row inserted raw, rolled back).
func excluded(t *testing.T, f *pledgeFixture, asset uuid.UUID, from, to term.Date) bool {
	tx, err := f.db.App.BeginTx(f.ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	var end *term.Date
	if !to.IsZero() {
		end = &to
	}
	_, err = tx.ExecContext(f.ctx, `INSERT INTO registry.pledge_assets (pledge_id, asset_id, active, position, added_seq, pledged_on, released_on)
		VALUES (?, ?, ?, 0, 0, ?, ?)`, uuid.New().String(), asset.String(), end == nil, from.String(), pledgeDateArg(end))
	if err == nil {
		return false
	}
	if de, ok := AsError(pledgeWriteError(err)); !ok || de.Code != "asset_pledged" {
		t.Fatalf("raw insert: %v", err)
	}
	return true
}
