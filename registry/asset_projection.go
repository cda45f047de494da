package registry

import (
	"context"
	"fmt"
	"strings"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/schema"

	"ipledger/ledger"
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

// projectAssets writes new assets' rows — registry.assets and asset_owners in one statement
// (arrays unnested, not a VALUES list of twelve arguments a row; the JSON columns sent as
// text[] and cast row by row, which Postgres reads in a fraction of the time it takes over a
// jsonb[] literal: docs/BENCHMARKS.md, fifth session), then their spans with the
// indicator summaries; ms[i]'s entry has seqs[i]; rows, if not nil, are ms's rows made already
// (PrepareAssets). It reads nothing, so registerPrepared runs
// it on a goroutine of its own while it appends the entries; and the spans' statement (the
// summary, formatting) is built while the rows' one runs.
func projectAssets(ctx context.Context, db bun.IDB, ms []*madeAsset, seqs []int64, rows *assetRows) error {
	gen := schema.NewQueryGen(db.Dialect())
	var spansSQL string
	built := background(func() error {
		// A new asset has no spans yet: they are known from its own registration entry.
		var w spanWrite
		for i, m := range ms {
			w.insert(m.p.ID, seqs[i], m.spans)
		}
		sum := newSpanSummary()
		sum.fresh = true // the seqs are the registrations' own
		q, args := w.statement(sum)
		spansSQL = gen.FormatQuery(q, args...)
		return nil
	})
	if rows == nil {
		rows = newAssetRows(ms)
	}
	args := append(append(append(make([]any, 0, 14), rows.assets...), pgdialect.Array(seqs)), rows.owners...)
	_, err := db.ExecContext(ctx, `INSERT INTO registry.assets (id, kind, number, title, region_code, region_explicit,
			filed_on, granted_on, attributes, registered_owners, registered_region, registered_granted_on, registered_seq, updated_seq)
		SELECT id, kind, number, title, region_code, region_explicit, filed_on, granted_on, attributes::jsonb, owners::uuid[], region_code, granted_on, seq, seq
		FROM unnest(?::uuid[], ?::text[], ?::text[], ?::text[], ?::text[], ?::boolean[], ?::date[], ?::date[], ?::text[], ?::text[], ?::bigint[])
			AS u(id, kind, number, title, region_code, region_explicit, filed_on, granted_on, attributes, owners, seq);
		INSERT INTO registry.asset_owners (asset_id, position, party_id)
		SELECT * FROM unnest(?::uuid[], ?::int[], ?::uuid[])`, args...)
	if berr := <-built; berr != nil {
		return berr
	}
	if err != nil {
		return fmt.Errorf("registry: insert assets and owners: %w", err)
	}
	if spansSQL == "" {
		return nil
	}
	// Formatted already: with no arguments bun sends the text as it is.
	if _, err := db.ExecContext(ctx, spansSQL); err != nil {
		return fmt.Errorf("registry: write spans: %w", err)
	}
	return nil
}

// assetRows are the arguments of projectAssets' insert but the seqs, as text: the assets'
// columns and their owners'.
type assetRows struct{ assets, owners []any }

func newAssetRows(ms []*madeAsset) *assetRows {
	n := len(ms)
	ids, kinds, numbers, titles, regions := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	explicit := make([]bool, n)
	attrs, owners := make([]string, n), make([]string, n)
	var filed, granted dateArray
	var oAsset, oParty []string
	var oPos []int
	for i, m := range ms {
		p := &m.p
		ids[i], kinds[i], numbers[i], titles[i], regions[i] = p.ID.String(), string(p.Kind), p.Number, p.Title, p.RegionCode
		explicit[i], attrs[i] = p.RegionExplicit, m.attrs
		filed.add(p.FiledOn)
		granted.add(p.GrantedOn)
		os := make([]string, len(p.OwnerIDs))
		for j, o := range p.OwnerIDs {
			os[j] = o.String()
			oAsset, oPos, oParty = append(oAsset, ids[i]), append(oPos, j), append(oParty, os[j])
		}
		owners[i] = "{" + strings.Join(os, ",") + "}" // a uuid[] literal, cast row by row
	}
	gen := schema.NewQueryGen(pgdialect.New())
	text := func(a any) any { return bun.Safe(gen.FormatQuery("?", a)) } // as bun would write it, once
	return &assetRows{
		assets: []any{sqlarray.Text(ids), sqlarray.Text(kinds), sqlarray.Text(numbers), sqlarray.Text(titles), sqlarray.Text(regions),
			text(pgdialect.Array(explicit)), text(filed.String()), text(granted.String()), sqlarray.Text(attrs), sqlarray.Text(owners)},
		owners: []any{sqlarray.Text(oAsset), text(pgdialect.Array(oPos)), sqlarray.Text(oParty)},
	}
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
