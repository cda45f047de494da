package registry

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"ipledger/registry/term"
)

// familyKey names an overseas family member of a patent: its office and number.
type familyKey struct{ country, number string }

// familyState is a member as known at some seq: its filing day and the unit its patent was
// attributed to on that day (a row of registry.foreign_family_members, migration 0022).
type familyState struct {
	filed  term.Date
	region string
}

// familyMembers folds a patent's events (in any order) into its members: each office and
// number once at its earliest filing day (family_date, else the event's date), in the unit of
// the last change of unit in effect that day (set_region, or a transfer naming a region; the
// latest effective date, then seq), else reg, the registration's. It is what
// pct_foreign_applications_period counts (docs/INDICATORS.md, rule 4).
func familyMembers(reg string, evs []event) map[familyKey]familyState {
	var out map[familyKey]familyState
	for _, e := range evs {
		if e.Type != EventForeignFamily {
			continue
		}
		on := e.Data.FamilyDate
		if on.IsZero() {
			on = e.EffectiveOn
		}
		k := familyKey{e.Data.Country, e.Data.FamilyNumber}
		if out == nil {
			out = map[familyKey]familyState{}
		}
		if cur, ok := out[k]; !ok || on.Before(cur.filed) {
			out[k] = familyState{filed: on}
		}
	}
	for k, m := range out {
		m.region = reg
		var best *event
		for i := range evs {
			e := &evs[i]
			if !movesUnit(*e) || e.EffectiveOn.After(m.filed) {
				continue
			}
			if best == nil || e.EffectiveOn.After(best.EffectiveOn) || (e.EffectiveOn == best.EffectiveOn && e.Seq > best.Seq) {
				best = e
			}
		}
		if best != nil {
			m.region = best.Data.RegionCode
		}
		out[k] = m
	}
	return out
}

// movesUnit says whether e changes its asset's unit.
func movesUnit(e event) bool {
	return (e.Type == EventSetRegion || e.Type == EventTransfer) && e.Data.RegionCode != ""
}

// familyWrite is one projection step's change to registry.foreign_family_members: the
// members whose state an entry changed, closed at its seq, and their new rows known from it.
type familyWrite struct {
	cur  map[uuid.UUID]map[familyKey]familyState // the members as the run's entries so far leave them
	open map[uuid.UUID]map[familyKey]int         // the run's row of a member that is current
	// closes of the rows current before the run
	closeAssets, closeCountries, closeNumbers []string
	closeSeqs                                 []int64
	rows                                      []familyRow
}

type familyRow struct {
	asset   uuid.UUID
	key     familyKey
	state   familyState
	seq, to int64 // known_from, known_to (0: current)
}

// step follows the members of asset through e, the last of evs (every event of the asset
// known at e's seq); reg is the unit of the asset's registration.
func (w *familyWrite) step(asset uuid.UUID, reg string, evs []event) {
	e := evs[len(evs)-1]
	if e.Type != EventForeignFamily && !movesUnit(e) {
		return
	}
	if w.cur == nil {
		w.cur, w.open = map[uuid.UUID]map[familyKey]familyState{}, map[uuid.UUID]map[familyKey]int{}
	}
	cur, ok := w.cur[asset]
	if !ok {
		cur = familyMembers(reg, evs[:len(evs)-1])
	}
	want := familyMembers(reg, evs)
	for k, s := range want {
		was, had := cur[k]
		if had && was == s {
			continue
		}
		if w.open[asset] == nil {
			w.open[asset] = map[familyKey]int{}
		}
		if i, ok := w.open[asset][k]; ok {
			w.rows[i].to = e.Seq
		} else if had {
			w.closeAssets = append(w.closeAssets, asset.String())
			w.closeCountries = append(w.closeCountries, k.country)
			w.closeNumbers = append(w.closeNumbers, k.number)
			w.closeSeqs = append(w.closeSeqs, e.Seq)
		}
		w.open[asset][k] = len(w.rows)
		w.rows = append(w.rows, familyRow{asset: asset, key: k, state: s, seq: e.Seq})
	}
	w.cur[asset] = want
}

// exec writes the step in one statement: the closes, then the new rows.
func (w *familyWrite) exec(ctx context.Context, db bun.IDB) error {
	if len(w.rows) == 0 {
		return nil
	}
	n := len(w.rows)
	ids, countries, numbers, regions, seqs, tos := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]int64, n), make([]int64, n)
	var filed dateArray
	for i, r := range w.rows {
		ids[i], countries[i], numbers[i], regions[i], seqs[i], tos[i] = r.asset.String(), r.key.country, r.key.number, r.state.region, r.seq, r.to
		filed.add(r.state.filed)
	}
	q := ""
	var args []any
	if len(w.closeAssets) > 0 {
		// The closed rows are older versions (known_from before the run), never the new ones.
		q = `WITH closed AS (UPDATE registry.foreign_family_members m SET known_to = c.s
			  FROM unnest(?::uuid[], ?::text[], ?::text[], ?::bigint[]) AS c(a, c, n, s)
			  WHERE m.known_to IS NULL AND m.asset_id = c.a AND m.country = c.c AND m.family_number = c.n)
			`
		args = append(args, pgdialect.Array(w.closeAssets), pgdialect.Array(w.closeCountries),
			pgdialect.Array(w.closeNumbers), pgdialect.Array(w.closeSeqs))
	}
	q += `INSERT INTO registry.foreign_family_members (asset_id, country, family_number, filed_on, region_code, known_from, known_to)
		SELECT a, c, n, f, r, s, nullif(e, 0) FROM unnest(?::uuid[], ?::text[], ?::text[], ?::date[], ?::text[], ?::bigint[], ?::bigint[])
		  AS u(a, c, n, f, r, s, e)`
	args = append(args, pgdialect.Array(ids), pgdialect.Array(countries), pgdialect.Array(numbers), filed.String(),
		pgdialect.Array(regions), pgdialect.Array(seqs), pgdialect.Array(tos))
	if _, err := db.ExecContext(ctx, q, args...); err != nil {
		return fmt.Errorf("registry: write family members: %w", err)
	}
	return nil
}
