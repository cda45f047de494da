package registry

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"ipledger/ledger"
	"ipledger/registry/ident"
)

// applyPledge projects every pledge.* entry; live writes and Rebuild run exactly this.
func applyPledge(ctx context.Context, db bun.IDB, e ledger.Entry) error {
	if e.Kind == kindPledgeRegistered {
		return applyPledgeRegistered(ctx, db, e)
	}
	var ev pledgeEventPayload
	if err := decode(e, &ev); err != nil {
		return err
	}
	id := ev.PledgeID.String()
	switch e.Kind {
	case kindPledgeAmended, kindPledgeExtended, kindPledgeDefaulted: // a run of one: the batch's statements
		assets, err := queryIDs(ctx, db, `SELECT asset_id FROM registry.pledge_assets WHERE pledge_id = ?`, id)
		if err != nil {
			return fmt.Errorf("registry: project %s: %w", e.Kind, err)
		}
		var r pledgeEventRun
		r.add(e, ev, &pledgeRow{id: ev.PledgeID, assets: assets})
		return r.flush(ctx, db)
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO registry.pledge_events (pledge_id, seq, type, effective_on, payload)
		VALUES (?, ?, ?, ?, ?)`, id, e.Seq, ev.Type, e.EffectiveDate(), string(e.Payload)); err != nil {
		return err
	}
	var err error
	switch e.Kind {
	case kindPledgeAssetsReleased:
		_, err = db.ExecContext(ctx, `UPDATE registry.pledge_assets SET active = false, released_on = ?, released_seq = ?
			WHERE pledge_id = ? AND active AND asset_id = ANY(?::uuid[])`, e.EffectiveDate(), e.Seq, id, pgdialect.Array(uuidStrings(ev.AssetIDs)))
		if err == nil {
			_, err = db.ExecContext(ctx, `UPDATE registry.pledges SET updated_seq = ? WHERE id = ?`, e.Seq, id)
		}
	case kindPledgeReleased, kindPledgeRealised:
		status := PledgeReleased
		if e.Kind == kindPledgeRealised {
			status = PledgeRealised
		}
		_, err = db.ExecContext(ctx, `UPDATE registry.pledges SET status = ?, ended_on = ?, realisation_method = ?,
			proceeds_fen = ?, updated_seq = ? WHERE id = ?`,
			status, e.EffectiveDate(), pledgeNullStr(ev.Method), pledgeNullInt(ev.ProceedsFen), e.Seq, id)
		if err == nil {
			_, err = db.ExecContext(ctx, `UPDATE registry.pledge_assets SET active = false, released_on = ?, released_seq = ?
				WHERE pledge_id = ? AND active`, e.EffectiveDate(), e.Seq, id)
		}
	}
	if err != nil {
		return fmt.Errorf("registry: project %s: %w", e.Kind, err)
	}
	if err := applyPledgeServices(ctx, db, e, ev); err != nil { // pledge_realise.go, pledge_valuation.go
		return fmt.Errorf("registry: project %s: %w", e.Kind, err)
	}
	return recomputePledgeAssets(ctx, db, ev.PledgeID, e.Seq)
}

func applyPledgeRegistered(ctx context.Context, db bun.IDB, e ledger.Entry) error {
	var p pledgePayload
	if err := decode(e, &p); err != nil {
		return err
	}
	pledgors := make([]string, len(p.PledgorIDs))
	for i, id := range p.PledgorIDs {
		pledgors[i] = id.String()
	}
	assets := make([]string, len(p.AssetIDs))
	for i, id := range p.AssetIDs {
		assets[i] = id.String()
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO registry.pledges (id, pledgee_id, pledgor_ids, region_code, contract_no,
		amount_fen, registered_on, starts_on, ends_on, status, registered_seq, updated_seq)
		VALUES (?, ?, ?::uuid[], ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		p.ID.String(), p.PledgeeID.String(), pgdialect.Array(pledgors), p.RegionCode, p.ContractNo, p.AmountFen,
		p.RegisteredOn.String(), p.StartsOn.String(), p.EndsOn.String(), PledgeActive, e.Seq, e.Seq); err != nil {
		return fmt.Errorf("registry: insert pledge: %w", err)
	}
	// Postgres arbitrates "no right in two pledges at once" through the exclusion constraint
	// pledge_assets_no_overlap: a right it skips is in another pledge during this one's period.
	// A finished pledge's rows carry their end from the start (its release or realisation
	// entry follows).
	rows, err := db.QueryContext(ctx, `INSERT INTO registry.pledge_assets (pledge_id, asset_id, active, position, added_seq, pledged_on, released_on)
		SELECT ?, a.id, true, a.ord - 1, ?, ?::date, ?::date FROM unnest(?::uuid[]) WITH ORDINALITY AS a(id, ord)
		ON CONFLICT DO NOTHING RETURNING asset_id`,
		p.ID.String(), e.Seq, p.RegisteredOn.String(), pledgeDateArg(p.end()), pgdialect.Array(assets))
	if err != nil {
		return fmt.Errorf("registry: insert pledge assets: %w", err)
	}
	inserted := map[uuid.UUID]bool{}
	for rows.Next() {
		var id uuid.UUID
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		inserted[id] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for i, a := range p.AssetIDs {
		if inserted[a] {
			continue
		}
		var holder uuid.UUID
		if err := db.QueryRowContext(ctx, `SELECT pledge_id FROM registry.pledge_assets WHERE asset_id = ? AND pledge_id <> ?
			AND daterange(pledged_on, released_on, '[)') && daterange(?::date, ?::date, '[)') ORDER BY active DESC LIMIT 1`,
			a.String(), p.ID.String(), p.RegisteredOn.String(), pledgeDateArg(p.end())).Scan(&holder); err != nil {
			return fmt.Errorf("registry: pledge %s: asset %s not inserted: %w", p.ID, a, err)
		}
		return assetPledged(a, holder, i)
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO registry.pledge_financing
		(pledge_id, seq, effective_on, region_code, pledgor_id, amount_fen, is_registration)
		VALUES (?, ?, ?, ?, ?, ?, true)`,
		p.ID.String(), e.Seq, p.RegisteredOn.String(), p.RegionCode, p.PledgorIDs[0].String(), p.AmountFen); err != nil {
		return fmt.Errorf("registry: insert pledge financing: %w", err)
	}
	if err := insertFinancingKinds(ctx, db, []string{p.ID.String()}, []int64{e.Seq}); err != nil {
		return err
	}
	if err := insertAppraisals(ctx, db, p.ID, e.Seq, p.Appraisals); err != nil {
		return err
	}
	return recomputePledgeAssets(ctx, db, p.ID, e.Seq)
}

// recomputePledgeAssets re-derives the spans of every right the pledge has covered, so that
// the high-value pledge-financing criterion follows the pledge, live and on replay alike.
func recomputePledgeAssets(ctx context.Context, db bun.IDB, pledgeID uuid.UUID, seq int64) error {
	pol, err := loadPolicy(ctx, db)
	if err != nil {
		return err
	}
	_, err = recompute(ctx, db, pol, seq,
		`a.id IN (SELECT asset_id FROM registry.pledge_assets WHERE pledge_id = ?)`, pledgeID.String())
	return err
}

// pledgesRegisteredSQL inserts a batch's registrations into the pledges, their rights and their
// financing in one statement of fixed text (so it is prepared once per connection): ?0–?9
// hold one element per pledge (pledgor_ids as array literals), ?10–?14 one per right.
const pledgesRegisteredSQL = `WITH t AS (
	  SELECT * FROM unnest(?0::uuid[], ?1::uuid[], ?2::text[], ?3::text[], ?4::text[], ?5::bigint[], ?6::date[], ?7::date[], ?8::date[], ?9::bigint[])
	    AS t(id, pledgee_id, pledgor_ids, region_code, contract_no, amount_fen, registered_on, starts_on, ends_on, seq)
	), p AS (
	  INSERT INTO registry.pledges (id, pledgee_id, pledgor_ids, region_code, contract_no,
	    amount_fen, registered_on, starts_on, ends_on, status, registered_seq, updated_seq)
	  SELECT id, pledgee_id, pledgor_ids::uuid[], region_code, contract_no, amount_fen, registered_on, starts_on, ends_on,
	    ?15::text, seq, seq FROM t
	), a AS (
	  INSERT INTO registry.pledge_assets (pledge_id, asset_id, active, position, added_seq, pledged_on)
	  SELECT pledge_id, asset_id, true, position, seq, pledged_on
	  FROM unnest(?10::uuid[], ?11::uuid[], ?12::int[], ?13::bigint[], ?14::date[]) AS a(pledge_id, asset_id, position, seq, pledged_on)
	)
	INSERT INTO registry.pledge_financing (pledge_id, seq, effective_on, region_code, pledgor_id, amount_fen, is_registration)
	SELECT id, seq, registered_on, region_code, (pledgor_ids::uuid[])[1], amount_fen, true FROM t`

// applyPledgesRegistered projects accepted registrations with one statement for the pledges,
// their rights and financing, one for the financing's parts by kind and one for the rights'
// spans. It is what applyPledgeRegistered does entry by entry on replay: the rights of the
// registrations of one batch are distinct (a right in an earlier one is refused), so each
// right's spans change once, known from its own pledge's seq.
func applyPledgesRegistered(ctx context.Context, db bun.IDB, v *pledgeView, es []ledger.Entry, ps []*pledgePayload) error {
	if len(es) == 0 {
		return nil
	}
	n := len(ps)
	ids, pledgees, pledgors, regions, contracts := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	amounts, seqs := make([]int64, n), make([]int64, n)
	var reg, starts, ends, pledgedOn dateArray
	var aPledges, aAssets []string
	var aPos []int
	var aSeqs []int64
	seqOf := map[uuid.UUID]int64{}
	for k, p := range ps {
		seq := es[k].Seq
		var pl strings.Builder
		pl.WriteByte('{')
		for i, id := range p.PledgorIDs {
			if i > 0 {
				pl.WriteByte(',')
			}
			pl.WriteString(id.String())
		}
		pl.WriteByte('}')
		ids[k], pledgees[k], pledgors[k], regions[k], contracts[k] = p.ID.String(), p.PledgeeID.String(), pl.String(), p.RegionCode, p.ContractNo
		amounts[k], seqs[k] = p.AmountFen, seq
		reg.add(p.RegisteredOn)
		starts.add(p.StartsOn)
		ends.add(p.EndsOn)
		for i, a := range p.AssetIDs {
			aPledges = append(aPledges, ids[k])
			aAssets = append(aAssets, a.String())
			aPos = append(aPos, i)
			aSeqs = append(aSeqs, seq)
			pledgedOn.add(p.RegisteredOn)
			seqOf[a] = seq
		}
	}
	if _, err := db.ExecContext(ctx, pledgesRegisteredSQL,
		pgdialect.Array(ids), pgdialect.Array(pledgees), pgdialect.Array(pledgors), pgdialect.Array(regions), pgdialect.Array(contracts),
		pgdialect.Array(amounts), reg.String(), starts.String(), ends.String(), pgdialect.Array(seqs),
		pgdialect.Array(aPledges), pgdialect.Array(aAssets), pgdialect.Array(aPos), pgdialect.Array(aSeqs), pledgedOn.String(),
		PledgeActive); err != nil {
		return fmt.Errorf("registry: insert pledges: %w", err)
	}
	if err := insertFinancingKinds(ctx, db, ids, seqs); err != nil {
		return err
	}
	for k, p := range ps {
		if err := insertAppraisals(ctx, db, p.ID, es[k].Seq, p.Appraisals); err != nil {
			return err
		}
	}
	// The rights' spans: the high-value criterion follows the financing. What they are now is
	// in the view, unless a pledge recorded with its history rewrote them.
	var unknown []uuid.UUID
	var strs []string
	for a := range seqOf {
		if _, ok := v.spans[a]; !ok {
			unknown, strs = append(unknown, a), append(strs, a.String())
		}
	}
	if len(unknown) > 0 {
		have, err := currentSpans(ctx, db, strs)
		if err != nil {
			return err
		}
		for _, a := range unknown {
			v.spans[a] = have[a]
		}
	}
	var sw spanWrite
	for a, seq := range seqOf {
		l := v.assets[a]
		w := fold(l.f, l.evs, v.pol, l.fin).spans()
		if slices.Equal(v.spans[a], w) {
			continue
		}
		if len(v.spans[a]) > 0 {
			sw.close(a, seq)
		}
		sw.insert(a, seq, w)
		v.spans[a] = w
	}
	return sw.exec(ctx, unprepared(db)) // its text follows the changes
}

// PlanLineKinds are the kinds of right that put a pledge's financing on the plan's line
// (专利商标质押融资): patents and trademarks (docs/INDICATORS.md, Counting, as decided, rule 2).
var PlanLineKinds = func() []string {
	var out []string
	for _, k := range ident.Kinds() {
		if k.IsPatent() || k.IsTrademarkLike() {
			out = append(out, string(k))
		}
	}
	return out
}()

// financingKindsSQL divides the counted amounts (pledge_id ?0[i], seq ?1[i]) among the rights
// in their pledges at that seq and stores each kind's part with the amount's line (?2: the
// plan's kinds). Migration 0019 runs the same statement over every row to backfill.
const financingKindsSQL = `INSERT INTO registry.pledge_financing_kinds
	  (pledge_id, seq, kind, region_code, effective_on, plan_line, share_fen)
	SELECT pledge_id, seq, kind, region_code, effective_on, plan_line, sum(share)
	FROM (
	  SELECT f.pledge_id, f.seq, f.region_code, f.effective_on, a.kind,
	    f.amount_fen / count(*) OVER p + CASE WHEN row_number() OVER o <= f.amount_fen % count(*) OVER p THEN 1 ELSE 0 END AS share,
	    bool_or(a.kind = ANY(?2::text[])) OVER p AS plan_line
	  FROM registry.pledge_financing f
	  JOIN registry.pledge_assets pa ON pa.pledge_id = f.pledge_id
	    AND f.seq >= pa.added_seq AND (pa.released_seq IS NULL OR f.seq < pa.released_seq)
	  JOIN registry.assets a ON a.id = pa.asset_id
	  WHERE (f.pledge_id, f.seq) IN (SELECT * FROM unnest(?0::uuid[], ?1::bigint[]))
	  WINDOW p AS (PARTITION BY f.pledge_id, f.seq), o AS (PARTITION BY f.pledge_id, f.seq ORDER BY pa.position, pa.asset_id)
	) s
	GROUP BY pledge_id, seq, kind, region_code, effective_on, plan_line`

// insertFinancingKinds stores the parts by kind of right of the amounts just counted for the
// pledges at the seqs (pairwise); an amount not counted (an amendment below the highest amount)
// has no row in registry.pledge_financing and so no parts.
func insertFinancingKinds(ctx context.Context, db bun.IDB, pledgeIDs []string, seqs []int64) error {
	if len(pledgeIDs) == 0 {
		return nil
	}
	if _, err := db.ExecContext(ctx, financingKindsSQL, pgdialect.Array(pledgeIDs), pgdialect.Array(seqs),
		pgdialect.Array(PlanLineKinds)); err != nil {
		return fmt.Errorf("registry: insert pledge financing kinds: %w", err)
	}
	return nil
}

// applyPledgeServices projects what the financing services add to a pledge entry: a
// realisation's terms and an appraisal.
func applyPledgeServices(ctx context.Context, db bun.IDB, e ledger.Entry, ev pledgeEventPayload) error {
	switch e.Kind {
	case kindPledgeRealised:
		if ev.EquityHolderID == nil && ev.LicenseeID == nil {
			return nil
		}
		var holder, licensee any
		if ev.EquityHolderID != nil {
			holder = ev.EquityHolderID.String()
		}
		if ev.LicenseeID != nil {
			licensee = ev.LicenseeID.String()
		}
		_, err := db.ExecContext(ctx, `UPDATE registry.pledges SET equity_holder_id = ?, equity_share = ?::numeric, licensee_id = ?,
			licence_ends_on = ?::date WHERE id = ?`, holder, pledgeNullStr(ev.EquityShare), licensee, pledgeDateArg(ev.LicenceEndsOn), ev.PledgeID.String())
		return err
	case kindPledgeAppraised:
		if err := insertAppraisals(ctx, db, ev.PledgeID, e.Seq, ev.Appraisals); err != nil {
			return err
		}
		_, err := db.ExecContext(ctx, `UPDATE registry.pledges SET updated_seq = ? WHERE id = ?`, e.Seq, ev.PledgeID.String())
		return err
	}
	return nil
}

// insertAppraisals projects the appraisals an entry (seq) recorded for a pledge.
func insertAppraisals(ctx context.Context, db bun.IDB, pledge uuid.UUID, seq int64, as []appraisalPayload) error {
	for i, a := range as {
		if _, err := db.ExecContext(ctx, `INSERT INTO registry.pledge_appraisals (pledge_id, seq, position, value_fen, appraiser,
			appraised_on, method) VALUES (?, ?, ?, ?, ?, ?, ?)`, pledge.String(), seq, i, a.ValueFen, a.Appraiser, a.AppraisedOn.String(), a.Method); err != nil {
			return fmt.Errorf("registry: insert appraisal: %w", err)
		}
	}
	return nil
}

// pledgeProjection: pledges, their rights and financing (and, through the financing, the
// rights' spans).
type pledgeProjection struct{}

var pledgeKinds = []string{kindPledgeRegistered, kindPledgeAmended, kindPledgeExtended, kindPledgeAssetsReleased,
	kindPledgeReleased, kindPledgeDefaulted, kindPledgeRealised, kindPledgeAppraised}

func (*pledgeProjection) Owns(kind string) bool { return slices.Contains(pledgeKinds, kind) }

func (*pledgeProjection) Tables() []string {
	return []string{"registry.pledges", "registry.pledge_events", "registry.pledge_assets", "registry.pledge_financing",
		"registry.pledge_financing_kinds", "registry.pledge_appraisals"}
}

func (*pledgeProjection) Apply(ctx context.Context, db bun.IDB, es []ledger.Entry) error {
	ctx = withPolicyMemo(ctx)
	for _, e := range es {
		if err := applyPledge(ctx, db, e); err != nil {
			return fmt.Errorf("registry: apply %s #%d: %w", e.Kind, e.Seq, err)
		}
	}
	return nil
}

// pledgeEventRun is a run of accepted amendments, extensions and defaults of one write,
// projected together: one statement per table, then the spans of the rights they touch. It
// holds at most one entry per pledge, and pledges with no right in common, so that each
// pledge's row and each right's spans change once, from its own entry's seq — what projecting
// the entries one by one writes (applyPledge, and so Rebuild, projects each as a run of one).
type pledgeEventRun struct {
	es      []ledger.Entry
	evs     []pledgeEventPayload
	pledges map[uuid.UUID]bool
	assets  map[uuid.UUID]int64 // every right of the run's pledges → the seq of its pledge's entry
}

// takes says whether an event of kind on pledge p can join the run.
func (r *pledgeEventRun) takes(kind string, p *pledgeRow) bool {
	switch kind {
	case kindPledgeAmended, kindPledgeExtended, kindPledgeDefaulted:
	default:
		return false
	}
	if r.pledges[p.id] {
		return false
	}
	for _, a := range p.assets {
		if _, ok := r.assets[a]; ok {
			return false
		}
	}
	return true
}

// add adds an appended entry (its payload ev) on pledge p.
func (r *pledgeEventRun) add(e ledger.Entry, ev pledgeEventPayload, p *pledgeRow) {
	if r.pledges == nil {
		r.pledges, r.assets = map[uuid.UUID]bool{}, map[uuid.UUID]int64{}
	}
	r.es, r.evs = append(r.es, e), append(r.evs, ev)
	r.pledges[p.id] = true
	for _, a := range p.assets {
		r.assets[a] = e.Seq
	}
}

// pledgeEventsSQL inserts a run's events and updates their pledges (?0–?10, one element per
// entry; an empty string or 0 leaves the column as it is).
const pledgeEventsSQL = `WITH t AS (
	  SELECT * FROM unnest(?0::uuid[], ?1::bigint[], ?2::text[], ?3::date[], ?4::text[], ?5::bigint[], ?6::text[], ?7::text[],
	    ?8::text[], ?9::text[]) AS t(pledge_id, seq, type, effective_on, payload, amount_fen, starts_on, ends_on, contract_no, defaulted_on)
	), e AS (
	  INSERT INTO registry.pledge_events (pledge_id, seq, type, effective_on, payload)
	  SELECT pledge_id, seq, type, effective_on, payload::jsonb FROM t
	)
	UPDATE registry.pledges p SET amount_fen = coalesce(nullif(t.amount_fen, 0), p.amount_fen),
	  starts_on = coalesce(nullif(t.starts_on, '')::date, p.starts_on), ends_on = coalesce(nullif(t.ends_on, '')::date, p.ends_on),
	  contract_no = coalesce(nullif(t.contract_no, ''), p.contract_no),
	  defaulted_on = coalesce(nullif(t.defaulted_on, '')::date, p.defaulted_on), updated_seq = t.seq
	FROM t WHERE p.id = t.pledge_id`

// amendedFinancingSQL counts the part of each amended amount (?0–?3: pledge, seq, date, amount)
// above the highest amount counted for the pledge so far (see applyPledge).
const amendedFinancingSQL = `INSERT INTO registry.pledge_financing
	  (pledge_id, seq, effective_on, region_code, pledgor_id, amount_fen, is_registration)
	SELECT p.id, t.seq, t.effective_on, p.region_code, p.pledgor_ids[1], t.amount_fen - c.counted, false
	FROM unnest(?0::uuid[], ?1::bigint[], ?2::date[], ?3::bigint[]) AS t(pledge_id, seq, effective_on, amount_fen)
	JOIN registry.pledges p ON p.id = t.pledge_id,
	  LATERAL (SELECT coalesce(sum(f.amount_fen), 0) AS counted FROM registry.pledge_financing f WHERE f.pledge_id = p.id) c
	WHERE t.amount_fen > c.counted`

// flush projects the run and empties it.
func (r *pledgeEventRun) flush(ctx context.Context, db bun.IDB) error {
	if len(r.es) == 0 {
		return nil
	}
	n := len(r.es)
	ids, types, effs, payloads := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	starts, ends, contracts, defaulted := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	seqs, amounts := make([]int64, n), make([]int64, n)
	var finIDs, finEffs []string
	var finSeqs, finAmounts []int64
	for i, e := range r.es {
		ev := r.evs[i]
		ids[i], seqs[i], types[i], effs[i], payloads[i] = ev.PledgeID.String(), e.Seq, ev.Type, e.EffectiveDate(), string(e.Payload)
		switch e.Kind {
		case kindPledgeAmended:
			amounts[i], contracts[i] = ev.AmountFen, ev.ContractNo
			if ev.AmountFen > 0 {
				finIDs, finSeqs, finEffs, finAmounts = append(finIDs, ids[i]), append(finSeqs, e.Seq), append(finEffs, effs[i]), append(finAmounts, ev.AmountFen)
			}
			if ev.StartsOn != nil {
				starts[i] = ev.StartsOn.String()
			}
			if ev.EndsOn != nil {
				ends[i] = ev.EndsOn.String()
			}
		case kindPledgeExtended:
			ends[i] = ev.EndsOn.String()
		case kindPledgeDefaulted:
			defaulted[i] = effs[i]
		}
	}
	if _, err := db.ExecContext(ctx, pledgeEventsSQL, pgdialect.Array(ids), pgdialect.Array(seqs), pgdialect.Array(types),
		pgdialect.Array(effs), pgdialect.Array(payloads), pgdialect.Array(amounts), pgdialect.Array(starts), pgdialect.Array(ends),
		pgdialect.Array(contracts), pgdialect.Array(defaulted)); err != nil {
		return fmt.Errorf("registry: project pledge events: %w", err)
	}
	if len(finIDs) > 0 {
		if _, err := db.ExecContext(ctx, amendedFinancingSQL, pgdialect.Array(finIDs), pgdialect.Array(finSeqs),
			pgdialect.Array(finEffs), pgdialect.Array(finAmounts)); err != nil {
			return fmt.Errorf("registry: project amended financing: %w", err)
		}
		if err := insertFinancingKinds(ctx, db, finIDs, finSeqs); err != nil {
			return err
		}
	}
	pol, err := loadPolicy(ctx, db)
	if err != nil {
		return err
	}
	if err := recomputeEach(ctx, db, pol, r.assets); err != nil {
		return err
	}
	*r = pledgeEventRun{}
	return nil
}
