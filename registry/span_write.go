package registry

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/schema"

	"ipledger/ledger/pgcopy"
	"ipledger/ledger/sqlarray"
	"ipledger/registry/ident"
	"ipledger/registry/term"
)

// spanWrite is one projection step's change to registry.asset_spans — the assets whose
// current spans close at a seq, and new spans, each known from a seq — together with the
// indicator summaries that follow the spans (registry.indicator_counts, indicator_count_log
// and its checkpoints; docs/INDICATORS.md). exec writes it in a few statements whatever its
// size: the close (its RETURNING rows are what the summary takes back), then the spans' insert,
// the log's and the counts' changes and the checkpoint in one round trip, a bulk write's spans
// and new log rows copied ahead of it (spanStatements). The same code runs for live writes and
// for ledger.Rebuild, so a rebuilt summary equals the live one.
type spanWrite struct {
	closeIDs  []string
	closeSeqs []int64
	rows      []spanRow
}

// spanRow is a span to insert, known from seq (and, when to is set, until to: a change that a
// later entry of the same write superseded).
type spanRow struct {
	asset uuid.UUID
	seq   int64
	s     span
	to    int64 // known_to; 0: current
}

// close closes the asset's current spans at seq. Close before insert for the same asset.
func (w *spanWrite) close(asset uuid.UUID, seq int64) {
	w.closeIDs = append(w.closeIDs, asset.String())
	w.closeSeqs = append(w.closeSeqs, seq)
}

// insert adds spans of the asset known from seq.
func (w *spanWrite) insert(asset uuid.UUID, seq int64, ss []span) {
	for _, s := range ss {
		w.rows = append(w.rows, spanRow{asset: asset, seq: seq, s: s})
	}
}

func (w *spanWrite) exec(ctx context.Context, db bun.IDB) error {
	sum := newSpanSummary()
	if len(w.closeIDs) > 0 {
		closed, err := closeSpans(ctx, db, w.closeIDs, w.closeSeqs)
		if err != nil {
			return err
		}
		for _, c := range closed {
			sum.add(c.s, c.seq, -1)
		}
	}
	return w.statements(sum).exec(ctx, db)
}

// spanStatements write a spanWrite after its close. A bulk write (pgcopy.MinRows spans or
// more) copies the spans and, when no log row of their seqs exists yet (fresh), the log's rows;
// the rest goes in one text, as every row of a live write's few does (a COPY costs round trips
// of its own).
type spanStatements struct {
	spans, log pgcopy.Rows
	q          string // formatted
}

var spanColumns = []string{"asset_id", "kind", "region_code", "valid_from", "valid_to",
	"high_value_from", "well_known_from", "foreign_family_from", "known_from", "known_to"}

// statements makes the write's statements, sum holding the changes of the closed spans already.
// It reads nothing, so a caller can make them while another statement runs (projectAssets).
func (w *spanWrite) statements(sum *spanSummary) *spanStatements {
	for _, r := range w.rows {
		sum.add(r.s, r.seq, 1)
		if r.to != 0 {
			sum.add(r.s, r.to, -1)
		}
	}
	st := &spanStatements{}
	var q strings.Builder
	var args []any
	if len(w.rows) >= pgcopy.MinRows {
		for _, r := range w.rows {
			c := &st.spans
			c.Text(r.asset.String())
			c.Text(string(r.s.Kind))
			c.Text(r.s.Region)
			copyDate(c, r.s.ValidFrom)
			copyDate(c, r.s.ValidTo)
			copyDate(c, r.s.HighValueFrom)
			copyDate(c, r.s.WellKnownFrom)
			copyDate(c, r.s.ForeignFamilyFrom)
			c.Int(r.seq)
			if r.to == 0 {
				c.Null()
			} else {
				c.Int(r.to)
			}
			c.End()
		}
	} else if len(w.rows) > 0 {
		n := len(w.rows)
		ids, kinds, regions, seqs, tos := make([]string, n), make([]string, n), make([]string, n), make([]int64, n), make([]int64, n)
		var from, to, hv, wk, ff dateArray
		for i, r := range w.rows {
			ids[i], kinds[i], regions[i], seqs[i], tos[i] = r.asset.String(), string(r.s.Kind), r.s.Region, r.seq, r.to
			from.add(r.s.ValidFrom)
			to.add(r.s.ValidTo)
			hv.add(r.s.HighValueFrom)
			wk.add(r.s.WellKnownFrom)
			ff.add(r.s.ForeignFamilyFrom)
		}
		q.WriteString(`INSERT INTO registry.asset_spans (asset_id, kind, region_code, valid_from, valid_to,
			high_value_from, well_known_from, foreign_family_from, known_from, known_to)
			SELECT a, k, r, f, t, h, w, ff, s, nullif(e, 0)
			FROM unnest(?::uuid[], ?::text[], ?::text[], ?::date[], ?::date[], ?::date[], ?::date[], ?::date[], ?::bigint[], ?::bigint[])
			  AS u(a, k, r, f, t, h, w, ff, s, e);`)
		args = append(args, sqlarray.Text(ids), sqlarray.Text(kinds), sqlarray.Text(regions),
			from.String(), to.String(), hv.String(), wk.String(), ff.String(), pgdialect.Array(seqs), pgdialect.Array(tos))
	}
	var log *pgcopy.Rows
	if sum.fresh && len(w.rows) >= pgcopy.MinRows {
		log = &st.log
	}
	sum.statements(log, &q, &args)
	if q.Len() > 0 {
		st.q = schema.NewQueryGen(pgdialect.New()).FormatQuery(q.String(), args...)
	}
	return st
}

func (st *spanStatements) exec(ctx context.Context, db bun.IDB) error {
	if err := pgcopy.Copy(ctx, db, "registry.asset_spans", spanColumns, &st.spans); err != nil {
		return fmt.Errorf("registry: write spans: %w", err)
	}
	if err := pgcopy.Copy(ctx, db, "registry.indicator_count_log", logColumns, &st.log); err != nil {
		return fmt.Errorf("registry: write the indicator log: %w", err)
	}
	if st.q == "" {
		return nil
	}
	// Several commands in one text, which Postgres does not prepare (txprepared.go); formatted
	// already, so bun sends it as it is.
	if _, err := unprepared(db).ExecContext(ctx, st.q); err != nil {
		return fmt.Errorf("registry: write spans: %w", err)
	}
	return nil
}

// copyDate adds d to a copied row, NULL for the zero Date.
func copyDate(r *pgcopy.Rows, d term.Date) {
	if d.IsZero() {
		r.Null()
		return
	}
	r.Text(d.String())
}

// closedSpan is a span that was current until seq.
type closedSpan struct {
	seq int64
	s   span
}

// closeSpans sets known_to of the current spans of ids[i] to seqs[i] and returns them.
func closeSpans(ctx context.Context, db bun.IDB, ids []string, seqs []int64) ([]closedSpan, error) {
	rows, err := db.QueryContext(ctx, `UPDATE registry.asset_spans s SET known_to = c.seq
		FROM unnest(?::uuid[], ?::bigint[]) AS c(asset_id, seq)
		WHERE s.known_to IS NULL AND s.asset_id = c.asset_id
		RETURNING s.known_to, s.kind, s.region_code, s.valid_from::text, s.valid_to::text,
			s.high_value_from::text, s.well_known_from::text, s.foreign_family_from::text`,
		pgdialect.Array(ids), pgdialect.Array(seqs))
	if err != nil {
		return nil, fmt.Errorf("registry: close spans: %w", err)
	}
	defer rows.Close()
	var out []closedSpan
	for rows.Next() {
		var c closedSpan
		var kind string
		var from, to, hv, wk, ff *string
		if err := rows.Scan(&c.seq, &kind, &c.s.Region, &from, &to, &hv, &wk, &ff); err != nil {
			return nil, fmt.Errorf("registry: close spans: %w", err)
		}
		c.s.Kind = ident.Kind(kind)
		c.s.ValidFrom, c.s.ValidTo = parseDateCol(from), parseDateCol(to)
		c.s.HighValueFrom, c.s.WellKnownFrom, c.s.ForeignFamilyFrom = parseDateCol(hv), parseDateCol(wk), parseDateCol(ff)
		out = append(out, c)
	}
	return out, rows.Err()
}

// spanSummary is what a set of span changes does to the indicator summaries. Metrics: the
// asset kind (valid on the day) and "<kind>/high_value", "<kind>/well_known",
// "<kind>/foreign_family" (from the span's *_from day); a span adds +1 on its first day and
// -1 on valid_to. A span that becomes current at seq S adds its deltas to the log at S and to
// the counts; one closed at seq T takes them back, in the log at T and in the counts. The
// counts are by year and month only: the days of a month are read from the log (migration
// 0020), since a day row per change was most of what a write cost (docs/BENCHMARKS.md).
type spanSummary struct {
	log    map[logKey]int64
	counts map[countKey]int64
	hi     int64 // the latest seq with a change
	// fresh: no seq of this summary has log rows yet (new assets' own registrations, a run of
	// asset events), so the log's rows are inserted without ON CONFLICT (a fifth of the
	// insert's time) or, in bulk, copied; a row that did exist would fail the write rather
	// than be added to.
	fresh bool
}

type logKey struct {
	seq    int64
	region string
	metric string
	day    term.Date
}

type countKey struct {
	region string
	grain  byte // 'y', 'm': period is the first day of the year or month
	period term.Date
	metric string
}

func newSpanSummary() *spanSummary {
	return &spanSummary{log: map[logKey]int64{}, counts: map[countKey]int64{}}
}

// add records span s becoming current (sign +1) or being closed (sign -1) at seq.
func (m *spanSummary) add(s span, seq int64, sign int64) {
	m.hi = max(m.hi, seq)
	k := string(s.Kind)
	until := func(from term.Date) term.Date { // an attribute ends with the span
		if from.IsZero() {
			return term.Date{}
		}
		return s.ValidTo
	}
	for _, x := range [...]struct {
		metric string
		day    term.Date
		d      int64
	}{
		{k, s.ValidFrom, 1}, {k, s.ValidTo, -1},
		{k + "/high_value", s.HighValueFrom, 1}, {k + "/high_value", until(s.HighValueFrom), -1},
		{k + "/well_known", s.WellKnownFrom, 1}, {k + "/well_known", until(s.WellKnownFrom), -1},
		{k + "/foreign_family", s.ForeignFamilyFrom, 1}, {k + "/foreign_family", until(s.ForeignFamilyFrom), -1},
	} {
		if x.day.IsZero() {
			continue
		}
		delta := sign * x.d
		m.log[logKey{seq, s.Region, x.metric, x.day}] += delta
		y, mo := x.day.Year(), x.day.Month()
		m.counts[countKey{s.Region, 'y', term.New(y, time.January, 1), x.metric}] += delta
		m.counts[countKey{s.Region, 'm', term.New(y, mo, 1), x.metric}] += delta
	}
}

// logKeys are the log's rows with a change, in its primary key's order rather than the map's
// random one: seq leads, so the log's inserts land in the key's rightmost leaf one after
// another (docs/BENCHMARKS.md, fifth session: import).
func (m *spanSummary) logKeys() []logKey {
	return changed(m.log, func(a, b logKey) int {
		return cmp.Or(cmp.Compare(a.seq, b.seq), strings.Compare(a.region, b.region),
			strings.Compare(a.metric, b.metric), a.day.Compare(b.day))
	})
}

// countKeys are the counts with a change, in the counts' primary key order, so the merge
// visits the key in order.
func (m *spanSummary) countKeys() []countKey {
	return changed(m.counts, func(a, b countKey) int {
		return cmp.Or(strings.Compare(a.region, b.region), cmp.Compare(a.grain, b.grain),
			a.period.Compare(b.period), strings.Compare(a.metric, b.metric))
	})
}

// changed is the keys of m with a non-zero delta, sorted by order.
func changed[K comparable](m map[K]int64, order func(a, b K) int) []K {
	ks := make([]K, 0, len(m))
	for k, d := range m {
		if d != 0 {
			ks = append(ks, k)
		}
	}
	slices.SortFunc(ks, order)
	return ks
}

var logColumns = []string{"seq", "region_code", "metric", "day", "delta"}

// statements writes the summary's statements: the log's new rows (netted: no zero delta) —
// into log if not nil (copied: rows of seqs that have none yet), else into q — the counts (a
// count that reaches zero is deleted, so the table does not depend on how changes were grouped
// into writes), and the checkpoints due up to hi.
func (m *spanSummary) statements(log *pgcopy.Rows, q *strings.Builder, args *[]any) {
	lkeys := m.logKeys()
	if log != nil {
		for _, k := range lkeys {
			log.Int(k.seq)
			log.Text(k.region)
			log.Text(k.metric)
			copyDate(log, k.day)
			log.Int(m.log[k])
			log.End()
		}
	} else if len(lkeys) > 0 {
		lseq, lreg, lmet, ldelta := make([]int64, len(lkeys)), make([]string, len(lkeys)), make([]string, len(lkeys)), make([]int64, len(lkeys))
		var lday dateArray
		for i, k := range lkeys {
			lseq[i], lreg[i], lmet[i], ldelta[i] = k.seq, k.region, k.metric, m.log[k]
			lday.add(k.day)
		}
		q.WriteString(`INSERT INTO registry.indicator_count_log AS t (seq, region_code, metric, day, delta)
			SELECT * FROM unnest(?::bigint[], ?::text[], ?::text[], ?::date[], ?::bigint[])`)
		if !m.fresh {
			q.WriteString(` ON CONFLICT (seq, region_code, metric, day) DO UPDATE SET delta = t.delta + EXCLUDED.delta`)
		}
		q.WriteString(`;`)
		*args = append(*args, pgdialect.Array(lseq), sqlarray.Text(lreg), sqlarray.Text(lmet), lday.String(), pgdialect.Array(ldelta))
	}
	ckeys := m.countKeys()
	creg, cgrain, cmet, cdelta := make([]string, len(ckeys)), make([]string, len(ckeys)), make([]string, len(ckeys)), make([]int64, len(ckeys))
	var cperiod dateArray
	for i, k := range ckeys {
		creg[i], cgrain[i], cmet[i], cdelta[i] = k.region, string(k.grain), k.metric, m.counts[k]
		cperiod.add(k.period)
	}
	if len(creg) > 0 {
		q.WriteString(`MERGE INTO registry.indicator_counts t
			USING unnest(?::text[], ?::"char"[], ?::date[], ?::text[], ?::bigint[]) AS c(region_code, grain, period, metric, delta)
			ON t.region_code = c.region_code AND t.grain = c.grain AND t.period = c.period AND t.metric = c.metric
			WHEN MATCHED AND t.delta + c.delta = 0 THEN DELETE
			WHEN MATCHED THEN UPDATE SET delta = t.delta + c.delta
			WHEN NOT MATCHED THEN INSERT (region_code, grain, period, metric, delta)
				VALUES (c.region_code, c.grain, c.period, c.metric, c.delta);`)
		*args = append(*args, sqlarray.Text(creg), pgdialect.Array(cgrain), cperiod.String(), sqlarray.Text(cmet), pgdialect.Array(cdelta))
	}
	if len(lkeys) > 0 {
		// Entries are applied in seq order, so every entry up to hi has its log rows: the
		// checkpoints due up to hi can be made.
		q.WriteString(`SELECT registry.indicator_checkpoint(?);`)
		*args = append(*args, m.hi+1)
	}
}

// dateArray builds a Postgres date[] literal, NULL for the zero Date (dates need no quoting).
type dateArray struct{ b []byte }

func (a *dateArray) add(d term.Date) {
	if len(a.b) == 0 {
		a.b = append(a.b, '{')
	} else {
		a.b = append(a.b, ',')
	}
	if d.IsZero() {
		a.b = append(a.b, "NULL"...)
		return
	}
	a.b = d.AppendTo(a.b)
}

func (a *dateArray) String() string {
	if len(a.b) == 0 {
		return "{}"
	}
	return string(a.b) + "}"
}
