package registry

import (
	"context"
	"fmt"
	"slices"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"ipledger/ledger"
	"ipledger/registry/term"
)

// assetEventsSQL inserts a run's events (one element per entry).
const assetEventsSQL = `INSERT INTO registry.asset_events (asset_id, seq, type, effective_on, payload)
	SELECT a, s, t, e, p::jsonb FROM unnest(?::uuid[], ?::bigint[], ?::text[], ?::date[], ?::text[]) AS u(a, s, t, e, p)`

// assetsCurrentSQL sets the current columns of the run's assets (one element per asset): the
// grant, the latest region, whether a set_region made it explicit, and the asset's last seq.
const assetsCurrentSQL = `UPDATE registry.assets a SET granted_on = u.granted_on, region_code = u.region_code,
	  region_explicit = a.region_explicit OR coalesce(a.id = ANY(?::uuid[]), false), updated_seq = u.seq
	FROM unnest(?::uuid[], ?::date[], ?::text[], ?::bigint[]) AS u(id, granted_on, region_code, seq)
	WHERE a.id = u.id`

const ownersDeleteSQL = `DELETE FROM registry.asset_owners WHERE asset_id = ANY(?::uuid[])`

const ownersInsertSQL = `INSERT INTO registry.asset_owners (asset_id, position, party_id)
	SELECT * FROM unnest(?::uuid[], ?::int[], ?::uuid[])`

// applyAssetEvents projects a run of asset events (asset.* entries other than
// asset.registered, in seq order) with one statement per table, live and on replay alike: the
// events' rows; the assets' current columns and, for the transferred ones, their owners, as the
// last entry of each asset leaves them; and the spans of every entry, each change known from
// its own entry's seq (a change later superseded in the run is inserted closed at the
// superseding seq), so that the spans and their summaries are what projecting the entries one
// by one writes; the overseas family members likewise (family_write.go). st holds the assets
// as the write's view read them (their events of this run, if there, are told apart by seq);
// nil reads them.
func applyAssetEvents(ctx context.Context, db bun.IDB, st *eventState, es []ledger.Entry) (err error) {
	if len(es) == 0 {
		return nil
	}
	evs := make([]event, len(es))
	var ids []uuid.UUID
	seen := map[uuid.UUID]bool{}
	n := len(es)
	aIDs, aTypes, aPayloads, aSeqs := make([]string, n), make([]string, n), make([]string, n), make([]int64, n)
	var aEff dateArray
	for i, e := range es {
		var d eventData
		if err := decode(e, &d); err != nil {
			return err
		}
		eff := term.FromTime(e.EffectiveOn)
		evs[i] = event{Seq: e.Seq, Type: d.Type, EffectiveOn: eff, Data: d}
		if !seen[d.AssetID] {
			seen[d.AssetID] = true
			ids = append(ids, d.AssetID)
		}
		aIDs[i], aTypes[i], aPayloads[i], aSeqs[i] = d.AssetID.String(), d.Type, string(e.Payload), e.Seq
		aEff.add(eff)
	}
	if st == nil {
		var err error
		if st, err = loadEventState(ctx, db, ids); err != nil {
			return err
		}
	}
	if _, err := db.ExecContext(ctx, assetEventsSQL, pgdialect.Array(aIDs), pgdialect.Array(aSeqs),
		pgdialect.Array(aTypes), aEff.String(), pgdialect.Array(aPayloads)); err != nil {
		return fmt.Errorf("registry: insert asset events: %w", err)
	}

	// Each asset's events before the run, then the run's, folded entry by entry.
	first := es[0].Seq
	work := make(map[uuid.UUID][]event, len(ids))
	for _, id := range ids {
		l := st.assets[id]
		if l == nil {
			return fmt.Errorf("registry: asset event #%d..#%d: no asset %s", first, es[n-1].Seq, id)
		}
		work[id] = slices.DeleteFunc(slices.Clone(l.evs), func(e event) bool { return e.Seq >= first })
	}
	type last struct {
		t           *timeline
		seq         int64
		transferred bool
	}
	lasts := make(map[uuid.UUID]*last, len(ids))
	cur := make(map[uuid.UUID][]span, len(ids))
	for _, id := range ids {
		cur[id] = st.spans[id]
	}
	rowsOf := map[uuid.UUID][]int{} // the run's rows of an asset that are current; present once its spans changed
	var w spanWrite
	var fw familyWrite // the overseas family members (family_write.go)
	var explicit []string
	for i, e := range es {
		a := evs[i].Data.AssetID
		work[a] = append(work[a], evs[i])
		l := st.assets[a]
		fw.step(a, l.f.Region, work[a])
		t := fold(l.f, work[a], st.pol, l.fin)
		x := lasts[a]
		if x == nil {
			x = &last{}
			lasts[a] = x
		}
		x.t, x.seq = t, e.Seq
		x.transferred = x.transferred || evs[i].Type == EventTransfer
		if evs[i].Type == EventSetRegion && !slices.Contains(explicit, a.String()) {
			explicit = append(explicit, a.String())
		}
		want := t.spans()
		if slices.Equal(cur[a], want) {
			continue
		}
		if rows, ok := rowsOf[a]; ok {
			for _, k := range rows {
				w.rows[k].to = e.Seq
			}
		} else if len(cur[a]) > 0 {
			w.close(a, e.Seq)
		}
		from := len(w.rows)
		w.insert(a, e.Seq, want)
		rows := make([]int, 0, len(want))
		for k := from; k < len(w.rows); k++ {
			rows = append(rows, k)
		}
		rowsOf[a] = rows
		cur[a] = want
	}

	// The current columns of registry.assets follow the timeline's latest state; the owners
	// of a transferred asset are those of its latest transfer.
	uIDs, uRegions, uSeqs := make([]string, len(ids)), make([]string, len(ids)), make([]int64, len(ids))
	var uGranted dateArray
	var oAssets, oParties []string
	var oPos []int
	var transferred []string
	for k, id := range ids {
		x := lasts[id]
		now := x.t.at(term.New(9999, 12, 31))
		uIDs[k], uRegions[k], uSeqs[k] = id.String(), now.Region, x.seq
		uGranted.add(x.t.granted)
		if x.transferred {
			transferred = append(transferred, id.String())
			for p, o := range now.Owners {
				oAssets, oPos, oParties = append(oAssets, id.String()), append(oPos, p), append(oParties, o.String())
			}
		}
	}
	if explicit == nil {
		explicit = []string{}
	}
	// The spans' close goes first: the statement that inserts the new spans and the summaries'
	// changes is built from what it closed, here, while the assets' current columns, owners and
	// family members are written on the write's connection (no statement of either touches a
	// table of the other's), rather than between two statements.
	var closed []closedSpan
	if len(w.closeIDs) > 0 {
		if closed, err = closeSpans(ctx, unprepared(db), w.closeIDs, w.closeSeqs); err != nil {
			return err
		}
	}
	written := background(func() error {
		if _, err := db.ExecContext(ctx, assetsCurrentSQL, pgdialect.Array(explicit), pgdialect.Array(uIDs), uGranted.String(),
			pgdialect.Array(uRegions), pgdialect.Array(uSeqs)); err != nil {
			return fmt.Errorf("registry: update assets: %w", err)
		}
		if len(transferred) > 0 {
			if _, err := db.ExecContext(ctx, ownersDeleteSQL, pgdialect.Array(transferred)); err != nil {
				return fmt.Errorf("registry: delete owners: %w", err)
			}
			if _, err := db.ExecContext(ctx, ownersInsertSQL, pgdialect.Array(oAssets), pgdialect.Array(oPos), pgdialect.Array(oParties)); err != nil {
				return fmt.Errorf("registry: insert owners: %w", err)
			}
		}
		return fw.exec(ctx, db)
	})
	// Wait for those statements however this returns, a panic included: they are this write's,
	// and must not run on after the ledger rolls the write back.
	waited := false
	defer func() {
		if !waited {
			if werr := <-written; err == nil {
				err = werr
			}
		}
	}()
	sum := newSpanSummary()
	// Every seq of the summary is one of this run's own entries (a span closed, added or
	// superseded by them), which no log row has yet.
	sum.fresh = true
	for _, c := range closed {
		sum.add(c.s, c.seq, -1)
	}
	spans := w.statements(sum)
	waited = true
	if err := <-written; err != nil {
		return err
	}
	return spans.exec(ctx, db)
}

// loadEventState reads what projecting events of the assets ids needs, as committed.
func loadEventState(ctx context.Context, db bun.IDB, ids []uuid.UUID) (*eventState, error) {
	assets, pol, err := loadPledgeAssets(ctx, db, ids)
	if err != nil {
		return nil, err
	}
	spans, err := currentSpans(ctx, db, uuidStrings(ids))
	if err != nil {
		return nil, err
	}
	return &eventState{assets: assets, pol: pol, spans: spans}, nil
}
