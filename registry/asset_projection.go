package registry

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"ipledger/ledger"
	"ipledger/registry/term"
)

// applyAssetsRegistered projects asset.registered entries (ledger.Rebuild, and a registration
// that is not the registry's batch path): the payloads as recorded, then projectAssets.
func applyAssetsRegistered(ctx context.Context, db bun.IDB, es []ledger.Entry) error {
	if len(es) == 0 {
		return nil
	}
	ps := make([]assetPayload, len(es))
	regs := make([][]byte, len(es))
	seqs := make([]int64, len(es))
	for i, e := range es {
		if err := decode(e, &ps[i]); err != nil {
			return err
		}
		regs[i], seqs[i] = e.Payload, e.Seq
	}
	pol, err := loadPolicy(ctx, db)
	if err != nil {
		return err
	}
	return projectAssets(ctx, db, pol, ps, regs, seqs)
}

// projectAssets writes new assets' rows — registry.assets and asset_owners in one statement
// (arrays unnested, not a VALUES list of twelve arguments a row), then their spans with the
// indicator summaries. regs[i] is ps[i] as JSON (the registration column: jsonb, so any
// spelling of the same value), seqs[i] its entry's seq. It runs on its own goroutine beside
// the write that appends the entries (registerAssets), so it reads nothing: pol is the write's.
func projectAssets(ctx context.Context, db bun.IDB, pol policy, ps []assetPayload, regs [][]byte, seqs []int64) error {
	n := len(ps)
	ids, kinds, numbers, titles, regions := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	explicit := make([]bool, n)
	attrs, reg := make([]string, n), make([]string, n)
	var filed, granted dateArray
	var oAsset, oParty []string
	var oPos []int
	for i := range ps {
		p := &ps[i]
		a, _ := json.Marshal(p.Attributes)
		ids[i], kinds[i], numbers[i], titles[i], regions[i] = p.ID.String(), string(p.Kind), p.Number, p.Title, p.RegionCode
		explicit[i], attrs[i], reg[i] = p.RegionExplicit, string(a), string(regs[i])
		filed.add(p.FiledOn)
		granted.add(p.GrantedOn)
		for j, o := range p.OwnerIDs {
			oAsset, oPos, oParty = append(oAsset, ids[i]), append(oPos, j), append(oParty, o.String())
		}
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO registry.assets (id, kind, number, title, region_code, region_explicit,
			filed_on, granted_on, attributes, registration, registered_seq, updated_seq)
		SELECT id, kind, number, title, region_code, region_explicit, filed_on, granted_on, attributes, registration, seq, seq
		FROM unnest(?::uuid[], ?::text[], ?::text[], ?::text[], ?::text[], ?::boolean[], ?::date[], ?::date[], ?::jsonb[], ?::jsonb[], ?::bigint[])
			AS u(id, kind, number, title, region_code, region_explicit, filed_on, granted_on, attributes, registration, seq);
		INSERT INTO registry.asset_owners (asset_id, position, party_id)
		SELECT * FROM unnest(?::uuid[], ?::int[], ?::uuid[])`,
		pgdialect.Array(ids), pgdialect.Array(kinds), pgdialect.Array(numbers), pgdialect.Array(titles), pgdialect.Array(regions),
		pgdialect.Array(explicit), filed.String(), granted.String(), pgdialect.Array(attrs), pgdialect.Array(reg), pgdialect.Array(seqs),
		pgdialect.Array(oAsset), pgdialect.Array(oPos), pgdialect.Array(oParty)); err != nil {
		return fmt.Errorf("registry: insert assets and owners: %w", err)
	}
	// A new asset has no events, no pledges and no spans: its timeline folds from the payload
	// alone, and its spans are known from its own registration entry.
	seqOf := make(map[uuid.UUID]int64, n)
	want := make(map[uuid.UUID][]span, n)
	for i := range ps {
		p := &ps[i]
		seqOf[p.ID] = seqs[i]
		f := facts{Kind: p.Kind, FiledOn: p.FiledOn, GrantedOn: p.GrantedOn, Region: p.RegionCode,
			Owners: p.OwnerIDs, Attrs: p.Attributes}
		want[p.ID] = fold(f, nil, pol, nil).spans()
	}
	return insertSpansAt(ctx, db, seqOf, want)
}

// insertSpansAt inserts spans of assets that have none, each known from its own seq.
func insertSpansAt(ctx context.Context, db bun.IDB, seqOf map[uuid.UUID]int64, want map[uuid.UUID][]span) error {
	var w spanWrite
	for id, ss := range want {
		w.insert(id, seqOf[id], ss)
	}
	return w.exec(ctx, db)
}

func applyAssetEvent(ctx context.Context, db bun.IDB, e ledger.Entry) error {
	var d eventData
	if err := decode(e, &d); err != nil {
		return err
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO registry.asset_events (asset_id, seq, type, effective_on, payload)
		VALUES (?, ?, ?, ?, ?)`, d.AssetID.String(), e.Seq, d.Type, e.EffectiveDate(), string(e.Payload)); err != nil {
		return err
	}
	pol, err := loadPolicy(ctx, db)
	if err != nil {
		return err
	}
	tls, err := recompute(ctx, db, pol, e.Seq, `a.id = ?`, d.AssetID.String())
	if err != nil {
		return err
	}
	t := tls[d.AssetID]
	if t == nil {
		return fmt.Errorf("registry: %s #%d: no asset %s", e.Kind, e.Seq, d.AssetID)
	}
	// The current columns of registry.assets follow the timeline's latest state.
	cur := t.at(term.New(9999, 12, 31))
	if _, err := db.ExecContext(ctx, `UPDATE registry.assets SET granted_on = ?, region_code = ?,
		region_explicit = region_explicit OR ?, updated_seq = ? WHERE id = ?`,
		dateArg(t.granted), cur.Region, d.Type == EventSetRegion, e.Seq, d.AssetID.String()); err != nil {
		return err
	}
	if d.Type == EventTransfer {
		if _, err := db.ExecContext(ctx, `DELETE FROM registry.asset_owners WHERE asset_id = ?`, d.AssetID.String()); err != nil {
			return err
		}
		ids := make([]string, len(cur.Owners))
		for i, o := range cur.Owners {
			ids[i] = o.String()
		}
		if _, err := db.ExecContext(ctx, `INSERT INTO registry.asset_owners (asset_id, position, party_id)
			SELECT ?, o.ord - 1, o.id FROM unnest(?::uuid[]) WITH ORDINALITY AS o(id, ord)`,
			d.AssetID.String(), pgdialect.Array(ids)); err != nil {
			return err
		}
	}
	return nil
}
