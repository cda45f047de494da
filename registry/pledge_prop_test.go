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
		if err := recordPledges(ctx, tx, ps, res); err != nil {
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
				EndsOn: d(ends[r.IntN(len(ends))]), PledgeeID: pick(f.bank.ID, f.bank.ID, f.bank.ID, f.bank.ID, f.bank2.ID, f.bank2.ID, notBank, uuid.New())}
			// A third are finished pledges, released on a date of the list not before their
			// registration (possibly the same day: an empty period).
			if r.IntN(3) == 0 {
				if rel := d(dates[r.IntN(len(dates))]); !rel.Before(in.RegisteredOn) {
					in.ReleasedOn = rel
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
					ContractNo: p.ContractNo, RegisteredOn: p.RegisteredOn, EndsOn: p.EndsOn, PledgeeID: p.PledgeeID, ReleasedOn: releasedOf(p)})
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
			answer.Overdue = answer.EndsOn.Before(f.s.Today())
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

func releasedOf(p *pledgePayload) term.Date {
	if p.ReleasedOn == nil {
		return term.Date{}
	}
	return *p.ReleasedOn
}
