package registry

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"ipledger/ledger"
	"ipledger/registry/ident"
)

// RecomputeAsset re-derives the asset's timeline and, when it changed, supersedes its
// registry.asset_spans rows with new ones known from the last entry appended in tx. The
// pledge area calls it after every pledge change touching the asset (its financing counts
// towards the high-value criterion); replay calls recomputeAsset with the entry's seq.
func RecomputeAsset(ctx context.Context, tx *ledger.Tx, assetID uuid.UUID) error {
	seq, err := lastSeq(tx)
	if err != nil {
		return err
	}
	return recomputeAsset(ctx, tx.DB(), assetID, seq)
}

// recomputeAsset is RecomputeAsset for apply functions (live and replay): as known at seq.
func recomputeAsset(ctx context.Context, db bun.IDB, assetID uuid.UUID, seq int64) error {
	pol, err := loadPolicy(ctx, db)
	if err != nil {
		return err
	}
	_, err = recompute(ctx, db, pol, seq, `a.id = ?`, assetID.String())
	return err
}

// recomputeKind re-derives every asset of a kind (a policy parameter or the concordance changed).
func recomputeKind(ctx context.Context, db bun.IDB, kind string, seq int64) error {
	pol, err := loadPolicy(ctx, db)
	if err != nil {
		return err
	}
	_, err = recompute(ctx, db, pol, seq, `a.kind = ?`, kind)
	return err
}

// loaded is an asset with everything its timeline needs.
type loaded struct {
	id       uuid.UUID
	number   string
	title    string
	explicit bool
	regSeq   int64
	f        facts
	evs      []event
	fin      []financing
}

// loadAssets reads the assets selected by where (over registry.assets a) with owners, events
// and, as known at seq, the financing of the pledges that include them.
func loadAssets(ctx context.Context, db bun.IDB, seq int64, where string, args ...any) ([]*loaded, error) {
	rows, err := db.QueryContext(ctx, `SELECT a.id, a.kind, a.number, a.title, a.region_code, a.region_explicit,
		a.filed_on::text, a.attributes::text, a.registered_seq,
		a.registered_owners, a.registered_region, a.registered_granted_on::text
		FROM registry.assets a WHERE `+where+` ORDER BY a.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("registry: load assets: %w", err)
	}
	var out []*loaded
	byID := map[uuid.UUID]*loaded{}
	for rows.Next() {
		var l loaded
		var kind, attrs, regRegion string
		var filed, regGranted *string
		if err := rows.Scan(&l.id, &kind, &l.number, &l.title, &l.f.Region, &l.explicit, &filed, &attrs, &l.regSeq,
			pgdialect.Array(&l.f.Owners), &regRegion, &regGranted); err != nil {
			rows.Close()
			return nil, err
		}
		l.f.Kind = ident.Kind(kind)
		l.f.FiledOn = parseDateCol(filed)
		if err := json.Unmarshal([]byte(attrs), &l.f.Attrs); err != nil {
			rows.Close()
			return nil, err
		}
		// Registration facts keep the registration's owners, region and grant date; the fold
		// applies the events after it.
		l.f.Region, l.f.GrantedOn = regRegion, parseDateCol(regGranted)
		out = append(out, &l)
		byID[l.id] = &l
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(out) == 0 {
		return out, err
	}
	ids := make([]string, len(out))
	for i, l := range out {
		ids[i] = l.id.String()
	}
	arr := pgdialect.Array(ids)
	rows, err = db.QueryContext(ctx, `SELECT asset_id, seq, type, effective_on::text, payload::text
		FROM registry.asset_events WHERE asset_id = ANY(?::uuid[]) ORDER BY asset_id, effective_on, seq`, arr)
	if err != nil {
		return nil, fmt.Errorf("registry: load events: %w", err)
	}
	for rows.Next() {
		var id uuid.UUID
		var e event
		var eff, payload string
		if err := rows.Scan(&id, &e.Seq, &e.Type, &eff, &payload); err != nil {
			rows.Close()
			return nil, err
		}
		e.EffectiveOn = parseDateCol(&eff)
		if err := json.Unmarshal([]byte(payload), &e.Data); err != nil {
			rows.Close()
			return nil, err
		}
		byID[id].evs = append(byID[id].evs, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// The asset's equal share of each amount (pledge_allocation): amount ÷ n fen rounded down,
	// plus one fen for each of the first (amount mod n) rights in the pledge's order, so the
	// shares of the n rights in the pledge when the amount was recorded sum to it. The rights'
	// pledge rows come first (MATERIALIZED), whatever the planner's statistics: right after a
	// bulk import outdated them, this read took 90 ms a batch of pledge registrations at 47k
	// rights, against 0.3 ms analyzed (docs/BENCHMARKS.md, fifth session).
	rows, err = db.QueryContext(ctx, `WITH pa AS MATERIALIZED (SELECT * FROM registry.pledge_assets WHERE asset_id = ANY(?::uuid[]))
		SELECT pa.asset_id, f.effective_on::text, f.amount_fen,
		  f.amount_fen / s.n + CASE WHEN s.i <= f.amount_fen % s.n THEN 1 ELSE 0 END
		FROM pa JOIN registry.pledge_financing f ON f.pledge_id = pa.pledge_id
		  -- an amount counts for the rights in the pledge when it was recorded (not those released before)
		  AND f.seq >= pa.added_seq AND (pa.released_seq IS NULL OR f.seq < pa.released_seq)
		CROSS JOIN LATERAL (SELECT count(*) AS n,
		    count(*) FILTER (WHERE (o.position, o.asset_id) <= (pa.position, pa.asset_id)) AS i
		  FROM registry.pledge_assets o WHERE o.pledge_id = f.pledge_id
		    AND f.seq >= o.added_seq AND (o.released_seq IS NULL OR f.seq < o.released_seq)) s
		WHERE f.seq <= ? ORDER BY pa.asset_id, f.effective_on, f.seq`, arr, seq)
	if err != nil {
		return nil, fmt.Errorf("registry: load financing: %w", err)
	}
	for rows.Next() {
		var id uuid.UUID
		var x financing
		var eff string
		if err := rows.Scan(&id, &eff, &x.AmountFen, &x.ShareFen); err != nil {
			rows.Close()
			return nil, err
		}
		x.On = parseDateCol(&eff)
		byID[id].fin = append(byID[id].fin, x)
	}
	rows.Close()
	return out, rows.Err()
}

// recompute folds the selected assets and writes the spans of those whose spans changed,
// known from seq. It returns the folded timelines by id.
func recompute(ctx context.Context, db bun.IDB, pol policy, seq int64, where string, args ...any) (map[uuid.UUID]*timeline, error) {
	ls, err := loadAssets(ctx, db, seq, where, args...)
	if err != nil || len(ls) == 0 {
		return nil, err
	}
	return respan(ctx, db, pol, ls, func(uuid.UUID) int64 { return seq })
}

// recomputeEach is recompute for the assets of seqs, each known from its own seq: for a run of
// entries each of which touches assets no other touches, so that the financing as known at the
// run's last seq is, for each asset, what it is at its own entry's seq.
func recomputeEach(ctx context.Context, db bun.IDB, pol policy, seqs map[uuid.UUID]int64) error {
	if len(seqs) == 0 {
		return nil
	}
	ids := make([]string, 0, len(seqs))
	var last int64
	for id, seq := range seqs {
		ids = append(ids, id.String())
		last = max(last, seq)
	}
	ls, err := loadAssets(ctx, db, last, `a.id = ANY(?::uuid[])`, pgdialect.Array(ids))
	if err != nil || len(ls) == 0 {
		return err
	}
	_, err = respan(ctx, db, pol, ls, func(id uuid.UUID) int64 { return seqs[id] })
	return err
}

// respan folds the loaded assets and writes the spans of those whose spans changed, each
// known from seqOf(its id). It returns the folded timelines by id.
func respan(ctx context.Context, db bun.IDB, pol policy, ls []*loaded, seqOf func(uuid.UUID) int64) (map[uuid.UUID]*timeline, error) {
	tls := make(map[uuid.UUID]*timeline, len(ls))
	want := make(map[uuid.UUID][]span, len(ls))
	ids := make([]string, len(ls))
	for i, l := range ls {
		t := fold(l.f, l.evs, pol, l.fin)
		tls[l.id] = t
		want[l.id] = t.spans()
		ids[i] = l.id.String()
	}
	have, err := currentSpans(ctx, db, ids)
	if err != nil {
		return nil, err
	}
	var w spanWrite
	for _, l := range ls {
		if !slices.Equal(have[l.id], want[l.id]) {
			if len(have[l.id]) > 0 {
				w.close(l.id, seqOf(l.id))
			}
			w.insert(l.id, seqOf(l.id), want[l.id])
		}
	}
	return tls, w.exec(ctx, db)
}

func currentSpans(ctx context.Context, db bun.IDB, ids []string) (map[uuid.UUID][]span, error) {
	rows, err := db.QueryContext(ctx, `SELECT asset_id, kind, region_code, valid_from::text, valid_to::text,
		high_value_from::text, well_known_from::text, foreign_family_from::text
		FROM registry.asset_spans WHERE known_to IS NULL AND asset_id = ANY(?::uuid[])
		ORDER BY asset_id, valid_from`, pgdialect.Array(ids))
	if err != nil {
		return nil, fmt.Errorf("registry: current spans: %w", err)
	}
	defer rows.Close()
	out := map[uuid.UUID][]span{}
	for rows.Next() {
		var id uuid.UUID
		var s span
		var kind string
		var from, to, hv, wk, ff *string
		if err := rows.Scan(&id, &kind, &s.Region, &from, &to, &hv, &wk, &ff); err != nil {
			return nil, err
		}
		s.Kind = ident.Kind(kind)
		s.ValidFrom, s.ValidTo = parseDateCol(from), parseDateCol(to)
		s.HighValueFrom, s.WellKnownFrom, s.ForeignFamilyFrom = parseDateCol(hv), parseDateCol(wk), parseDateCol(ff)
		out[id] = append(out[id], s)
	}
	return out, rows.Err()
}
