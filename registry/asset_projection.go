package registry

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"ipledger/ledger"
	"ipledger/registry/term"
)

// applyAssetsRegistered projects asset.registered entries, many rows per statement.
func applyAssetsRegistered(ctx context.Context, db bun.IDB, es []ledger.Entry) error {
	if len(es) == 0 {
		return nil
	}
	var ab, ob strings.Builder
	var aargs, oargs []any
	ab.WriteString(`INSERT INTO registry.assets (id, kind, number, title, region_code, region_explicit, filed_on, granted_on,
		attributes, registration, registered_seq, updated_seq) VALUES `)
	ob.WriteString(`INSERT INTO registry.asset_owners (asset_id, position, party_id) VALUES `)
	ps := make([]assetPayload, len(es))
	for i, e := range es {
		p := &ps[i]
		if err := decode(e, p); err != nil {
			return err
		}
		attrs, _ := json.Marshal(p.Attributes)
		if i > 0 {
			ab.WriteByte(',')
		}
		ab.WriteString(`(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
		aargs = append(aargs, p.ID.String(), string(p.Kind), p.Number, p.Title, p.RegionCode, p.RegionExplicit,
			dateArg(p.FiledOn), dateArg(p.GrantedOn), string(attrs), string(e.Payload), e.Seq, e.Seq)
		for j, o := range p.OwnerIDs {
			if len(oargs) > 0 {
				ob.WriteByte(',')
			}
			ob.WriteString(`(?, ?, ?)`)
			oargs = append(oargs, p.ID.String(), j, o.String())
		}
	}
	if _, err := db.ExecContext(ctx, ab.String(), aargs...); err != nil {
		return fmt.Errorf("registry: insert assets: %w", err)
	}
	if _, err := db.ExecContext(ctx, ob.String(), oargs...); err != nil {
		return fmt.Errorf("registry: insert owners: %w", err)
	}
	pol, err := loadPolicy(ctx, db)
	if err != nil {
		return err
	}
	// A new asset has no events, no pledges and no spans: its timeline folds from the payload
	// alone, and its spans are known from its own registration entry.
	seqOf := make(map[uuid.UUID]int64, len(es))
	want := make(map[uuid.UUID][]span, len(es))
	for i := range ps {
		p := &ps[i]
		seqOf[p.ID] = es[i].Seq
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
