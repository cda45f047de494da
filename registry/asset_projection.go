package registry

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"ipledger/ledger"
	"ipledger/ledger/pgcopy"
	"ipledger/ledger/sqlarray"
)

// applyAssetsRegistered projects asset.registered entries (ledger.Rebuild, and a registration
// that is not the registry's batch path): the payloads as recorded, then projectAssets.
func applyAssetsRegistered(ctx context.Context, db bun.IDB, es []ledger.Entry) error {
	if len(es) == 0 {
		return nil
	}
	pol, err := loadPolicy(ctx, db)
	if err != nil {
		return err
	}
	made := make([]*madeAsset, len(es))
	seqs := make([]int64, len(es))
	for i, e := range es {
		var p assetPayload
		if err := decode(e, &p); err != nil {
			return err
		}
		if made[i], err = makeAsset(p, pol, false); err != nil {
			return err
		}
		seqs[i] = e.Seq
	}
	return projectAssets(ctx, db, made, seqs, nil)
}

// projectAssets writes new assets' rows — registry.assets and asset_owners, then their spans
// with the indicator summaries; ms[i]'s entry has seqs[i]; rows, if not nil, are ms's rows made
// already (PrepareAssets). A bulk write's rows are copied (pgcopy), a few assets' go as
// arrays in one statement's text (a COPY costs round trips of its own). It reads nothing, so
// registerPrepared runs it on a goroutine of its own while it appends the entries; and the
// spans' statements (the summary, formatting) are made while the rows' go.
func projectAssets(ctx context.Context, db bun.IDB, ms []*madeAsset, seqs []int64, rows *assetRows) error {
	var spans *spanStatements
	built := background(func() error {
		// A new asset has no spans yet: they are known from its own registration entry.
		var w spanWrite
		for i, m := range ms {
			w.insert(m.p.ID, seqs[i], m.spans)
		}
		sum := newSpanSummary()
		sum.fresh = true // the seqs are the registrations' own
		spans = w.statements(sum)
		return nil
	})
	err := insertAssets(ctx, db, ms, seqs, rows)
	if berr := <-built; berr != nil {
		return berr
	}
	if err != nil {
		return err
	}
	return spans.exec(ctx, db)
}

// insertAssets inserts the rows of registry.assets and asset_owners of ms.
func insertAssets(ctx context.Context, db bun.IDB, ms []*madeAsset, seqs []int64, rows *assetRows) error {
	if len(ms) < pgcopy.MinRows {
		args := append(append(append(make([]any, 0, 14), assetArrays(ms)...), pgdialect.Array(seqs)), ownerArrays(ms)...)
		if _, err := db.ExecContext(ctx, `INSERT INTO registry.assets (id, kind, number, title, region_code, region_explicit,
				filed_on, granted_on, attributes, registered_owners, registered_region, registered_granted_on, registered_seq, updated_seq)
			SELECT id, kind, number, title, region_code, region_explicit, filed_on, granted_on, attributes::jsonb, owners::uuid[], region_code, granted_on, seq, seq
			FROM unnest(?::uuid[], ?::text[], ?::text[], ?::text[], ?::text[], ?::boolean[], ?::date[], ?::date[], ?::text[], ?::text[], ?::bigint[])
				AS u(id, kind, number, title, region_code, region_explicit, filed_on, granted_on, attributes, owners, seq);
			INSERT INTO registry.asset_owners (asset_id, position, party_id)
			SELECT * FROM unnest(?::uuid[], ?::int[], ?::uuid[])`, args...); err != nil {
			return fmt.Errorf("registry: insert assets and owners: %w", err)
		}
		return nil
	}
	if rows == nil {
		rows = newAssetRows(ms)
	}
	var assets pgcopy.Rows
	for i, h := range rows.assets {
		assets.Continue(h)
		assets.Int(seqs[i])
		assets.Int(seqs[i])
		assets.End()
	}
	if err := pgcopy.Copy(ctx, db, "registry.assets", assetColumns, &assets); err != nil {
		return fmt.Errorf("registry: insert assets: %w", err)
	}
	if err := pgcopy.Copy(ctx, db, "registry.asset_owners", ownerColumns, &rows.owners); err != nil {
		return fmt.Errorf("registry: insert owners: %w", err)
	}
	return nil
}

var (
	assetColumns = []string{"id", "kind", "number", "title", "region_code", "region_explicit", "filed_on", "granted_on",
		"attributes", "registered_owners", "registered_region", "registered_granted_on", "registered_seq", "updated_seq"}
	ownerColumns = []string{"asset_id", "position", "party_id"}
)

// assetRows are a bulk write's rows of new assets made ahead: each asset's row but its seqs
// (the last two columns), and the owners' rows.
type assetRows struct {
	assets []pgcopy.Head
	owners pgcopy.Rows
}

func newAssetRows(ms []*madeAsset) *assetRows {
	rows := &assetRows{assets: make([]pgcopy.Head, len(ms))}
	var r pgcopy.Rows
	for i, m := range ms {
		p := &m.p
		id := p.ID.String()
		r.Text(id)
		r.Text(string(p.Kind))
		r.Text(p.Number)
		r.Text(p.Title)
		r.Text(p.RegionCode)
		r.Bool(p.RegionExplicit)
		copyDate(&r, p.FiledOn)
		copyDate(&r, p.GrantedOn)
		r.Text(m.attrs)
		r.Text(uuidArray(p.OwnerIDs))
		r.Text(p.RegionCode)
		copyDate(&r, p.GrantedOn)
		rows.assets[i] = r.Head()
		for j, o := range p.OwnerIDs {
			rows.owners.Text(id)
			rows.owners.Int(int64(j))
			rows.owners.Text(o.String())
			rows.owners.End()
		}
	}
	return rows
}

// assetArrays are the arguments of a few assets' insert but the seqs.
func assetArrays(ms []*madeAsset) []any {
	n := len(ms)
	ids, kinds, numbers, titles, regions := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	explicit := make([]bool, n)
	attrs, owners := make([]string, n), make([]string, n)
	var filed, granted dateArray
	for i, m := range ms {
		p := &m.p
		ids[i], kinds[i], numbers[i], titles[i], regions[i] = p.ID.String(), string(p.Kind), p.Number, p.Title, p.RegionCode
		explicit[i], attrs[i], owners[i] = p.RegionExplicit, m.attrs, uuidArray(p.OwnerIDs)
		filed.add(p.FiledOn)
		granted.add(p.GrantedOn)
	}
	return []any{sqlarray.Text(ids), sqlarray.Text(kinds), sqlarray.Text(numbers), sqlarray.Text(titles), sqlarray.Text(regions),
		pgdialect.Array(explicit), filed.String(), granted.String(), sqlarray.Text(attrs), sqlarray.Text(owners)}
}

// ownerArrays are the arguments of a few assets' owners' insert.
func ownerArrays(ms []*madeAsset) []any {
	var assets, parties []string
	var pos []int
	for _, m := range ms {
		for j, o := range m.p.OwnerIDs {
			assets, pos, parties = append(assets, m.p.ID.String()), append(pos, j), append(parties, o.String())
		}
	}
	return []any{sqlarray.Text(assets), pgdialect.Array(pos), sqlarray.Text(parties)}
}

// uuidArray is ids as a uuid[] literal.
func uuidArray(ids []uuid.UUID) string {
	os := make([]string, len(ids))
	for j, o := range ids {
		os[j] = o.String()
	}
	return "{" + strings.Join(os, ",") + "}"
}

// background runs f on a goroutine of its own; a panic in it is its error, as the ledger makes
// a write's panic that write's error (one bad batch must not take the process down).
func background(f func() error) <-chan error {
	done := make(chan error, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				done <- fmt.Errorf("registry: panicked: %v", p)
			}
		}()
		done <- f()
	}()
	return done
}
