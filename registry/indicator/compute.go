package indicator

import (
	"context"
	"database/sql"
	"fmt"
	"math/big"
	"sort"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"ipledger/registry"
	"ipledger/registry/ident"
	"ipledger/registry/term"
)

// Statuses of an indicator against its target.
const (
	StatusMet     = "met"
	StatusOnTrack = "on_track"
	StatusBehind  = "behind"
	StatusMissed  = "missed" // after the due date, not met
)

// Report is every indicator for a region on an as-of date, as known at a recording time.
type Report struct {
	Region     string          `json:"region"`
	AsOf       term.Date       `json:"as_of"`
	KnownAt    *time.Time      `json:"known_at"`
	KnownSeq   int64           `json:"known_seq" doc:"The last ledger entry taken into account"`
	Population *PopulationUsed `json:"population"`
	Indicators []Value         `json:"indicators"`

	units []string              // the units region sums, for the exports
	names map[string]regionName // region and unit names, for the exports
	recon []yearRecon           // the reconciliation with official values, for the XLSX export
}

// yearRecon is one year's reconciliation in a report.
type yearRecon struct {
	year  int
	asOf  term.Date
	items []ReconItem
}

// PopulationUsed names the population figure the per-10k values divide by.
type PopulationUsed struct {
	Year      int   `json:"year"`
	Residents int64 `json:"residents"`
}

// Value is one indicator's figure.
type Value struct {
	Code      string       `json:"code"`
	NameZH    string       `json:"name_zh"`
	NameEN    string       `json:"name_en"`
	Unit      string       `json:"unit"`
	Value     *string      `json:"value" doc:"Exact decimal string; null when it cannot be computed (see note)"`
	Span      *SpanRef     `json:"span,omitempty" doc:"Yearly and period figures: the dates counted and the years they cover"`
	Breakdown []KindAmount `json:"breakdown,omitempty" doc:"Financing figures: the value by kind of right (equal shares of each amount among the rights in its pledge); the parts sum to value"`
	Baseline  *BaselineRef `json:"baseline,omitempty"`
	Target    *TargetRef   `json:"target,omitempty"`
	Progress  *string      `json:"progress,omitempty" doc:"value ÷ target, 4 decimals (after the due date: the value on the due date ÷ target)"`
	Status    string       `json:"status,omitempty" enum:"met,on_track,behind,missed"`
	Note      string       `json:"note,omitempty"`
}

// SpanRef is the span of dates a yearly or period figure counts.
type SpanRef struct {
	From  term.Date `json:"from"`
	To    term.Date `json:"to"`
	Label string    `json:"label" doc:"The years covered, e.g. 2021–2025 or 2023"`
}

// KindAmount is the part of a financing figure carried by one kind of right.
type KindAmount struct {
	Kind  string `json:"kind"`
	Value string `json:"value"`
}

// BaselineRef is the baseline shown with a value.
type BaselineRef struct {
	Value string    `json:"value"`
	On    term.Date `json:"on"`
}

// TargetRef is the target a value is measured against.
type TargetRef struct {
	Value  string    `json:"value"`
	Due    term.Date `json:"due"`
	Basis  string    `json:"basis"`
	Stated string    `json:"stated,omitempty" doc:"The relative target as recorded (percent or increase over the baseline)"`
	BaseOn term.Date `json:"base_on,omitzero"`
	// How the plan words it: at_least ("达到 X", "X 左右") is met at X, above ("超过 X") only above X.
	Comparison string `json:"comparison" enum:"at_least,above"`
}

// querier is what a computation reads through: one repeatable-read transaction, so that the
// chain head and every table are one snapshot.
type querier = bun.IDB

// Units returns the units a region sums: itself if it is a unit, the city's units for the city.
// regionUnits is units, refusing a region that has none (neither the city nor a unit).
func regionUnits(ctx context.Context, db querier, region string) ([]string, error) {
	us, err := units(ctx, db, region)
	if err != nil {
		return nil, fmt.Errorf("indicator: units: %w", err)
	}
	if len(us) == 0 {
		return nil, invalid("region_unknown", "query.region", "%q is neither the city %s nor one of its units", region, registry.CityCode)
	}
	return us, nil
}

// checkYears refuses a year range that ends before it starts or is longer than MaxDemandYears.
func checkYears(from, to int) error {
	if to < from {
		return invalid("year_range_invalid", "query.to", "the range ends (%d) before it starts (%d)", to, from)
	}
	if to-from >= MaxDemandYears {
		return invalid("year_range_invalid", "query.to", "at most %d years at once", MaxDemandYears)
	}
	return nil
}

func units(ctx context.Context, db querier, region string) ([]string, error) {
	rows, err := db.QueryContext(ctx, `SELECT code FROM registry.regions
		WHERE (code = ? AND is_unit) OR (parent_code = ? AND is_unit) ORDER BY code`, region, region)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// snapshot runs fn in one read-only repeatable-read transaction.
func (s *Service) snapshot(ctx context.Context, fn func(q querier) error) error {
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return fmt.Errorf("indicator: begin: %w", err)
	}
	defer tx.Rollback()
	return fn(tx)
}

// Compute returns every indicator for region (the city or a unit) on asOf, as known at
// knownAt (zero: everything recorded so far).
func (s *Service) Compute(ctx context.Context, region string, asOf term.Date, knownAt time.Time) (Report, error) {
	var r Report
	err := s.snapshot(ctx, func(q querier) error {
		var err error
		r, err = s.compute(ctx, q, region, asOf, knownAt)
		return err
	})
	return r, err
}

// scope is one computation's fixed inputs.
type scope struct {
	region string
	units  []string
	k      int64
	head   int64
}

func (s *Service) newScope(ctx context.Context, q querier, region string, knownAt time.Time) (scope, error) {
	sc := scope{region: region}
	us, err := regionUnits(ctx, q, region)
	if err != nil {
		return sc, err
	}
	sc.units = us
	if sc.head, err = knownSeq(ctx, q, time.Time{}); err != nil {
		return sc, fmt.Errorf("indicator: head: %w", err)
	}
	sc.k = sc.head
	if !knownAt.IsZero() {
		if sc.k, err = knownSeq(ctx, q, knownAt); err != nil {
			return sc, fmt.Errorf("indicator: known_at: %w", err)
		}
	}
	return sc, nil
}

func (s *Service) compute(ctx context.Context, q querier, region string, asOf term.Date, knownAt time.Time) (Report, error) {
	sc, err := s.newScope(ctx, q, region, knownAt)
	if err != nil {
		return Report{}, err
	}
	fig, err := figuresAt(ctx, q, sc, asOf)
	if err != nil {
		return Report{}, err
	}
	r := Report{Region: region, AsOf: asOf, KnownSeq: sc.k, Population: fig.pop, units: sc.units}
	if r.names, err = regionNames(ctx, q, append([]string{region}, sc.units...)); err != nil {
		return Report{}, err
	}
	if !knownAt.IsZero() {
		t := knownAt.UTC()
		r.KnownAt = &t
	}
	targets, baselines, err := loadGoals(ctx, q, region, sc.k)
	if err != nil {
		return Report{}, err
	}
	// Figures on other dates (the plan's base, a past due date, a reconciled year-end), each
	// part computed once, when a figure of it is needed.
	others := map[term.Date]*figures{asOf: &fig}
	figuresOn := func(d term.Date, parts part) (*figures, error) {
		f, ok := others[d]
		if !ok {
			f = newFigures()
			others[d] = f
		}
		return f, f.fill(ctx, q, sc, d, parts)
	}
	for _, def := range definitions {
		v := Value{Code: def.Code, NameZH: def.NameZH, NameEN: def.NameEN, Unit: def.Unit, Note: fig.notes[def.Code],
			Span: spanOf(def, asOf), Breakdown: fig.breakdown[def.Code]}
		if x, ok := fig.values[def.Code]; ok {
			v.Value = &x
		}
		if err := judge(&v, def, asOf, targets[def.Code], baselines[def.Code], figuresOn); err != nil {
			return Report{}, err
		}
		r.Indicators = append(r.Indicators, v)
	}
	if err := s.reconcileReport(ctx, q, sc, &r, figuresOn); err != nil {
		return Report{}, err
	}
	return r, nil
}

// reconcileReport adds the reconciliation with the official values of every year ended by the
// as-of date, and notes every status of a figure whose value computed on the plan's base date
// is under 90% of the official one (RulesReconciliation).
func (s *Service) reconcileReport(ctx context.Context, q querier, sc scope, r *Report, figuresOn func(term.Date, part) (*figures, error)) error {
	last := r.AsOf.Year()
	if r.AsOf != term.New(last, 12, 31) {
		last--
	}
	off, err := officials(ctx, q, sc.region, 2000, last, sc.k)
	if err != nil || len(off) == 0 {
		return err
	}
	years := make([]int, 0, len(off))
	for y := range off {
		years = append(years, y)
	}
	sort.Ints(years)
	for _, y := range years {
		on := term.New(y, 12, 31)
		f, err := figuresOn(on, allParts)
		if err != nil {
			return err
		}
		r.recon = append(r.recon, yearRecon{year: y, asOf: on, items: reconItems(*f, off[y])})
	}
	base := off[planBase.Year()]
	if len(base) == 0 {
		return nil
	}
	for i := range r.Indicators {
		v := &r.Indicators[i]
		o, ok := base[v.Code]
		if !ok || v.Status == "" {
			continue
		}
		f, err := figuresOn(planBase, partOf(v.Code))
		if err != nil {
			return err
		}
		var c *string
		if x, ok := f.values[v.Code]; ok {
			c = &x
		}
		if n := incompleteNote(c, o); n != "" {
			addNote(v, n)
		}
	}
	return nil
}

// spanOf is the span a yearly or period figure on asOf counts (RulesSpans); nil for stocks and
// for a period figure before the period starts.
func spanOf(def Definition, asOf term.Date) *SpanRef {
	var from, to term.Date
	switch def.Scope {
	case ScopeYear:
		from, to = term.New(asOf.Year(), 1, 1), asOf
	case ScopePeriod:
		from, to = term.MustParseDate(PlanStart), minDate(asOf, term.MustParseDate(PlanEnd))
		if to.Before(from) {
			return nil
		}
	default:
		return nil
	}
	label := fmt.Sprint(from.Year())
	if to.Year() != from.Year() {
		label += fmt.Sprintf("–%d", to.Year())
	}
	return &SpanRef{From: from, To: to, Label: label}
}

// figures are every indicator's value (as shown) on one date; a code missing from values is null.
type figures struct {
	values    map[string]string
	notes     map[string]string
	breakdown map[string][]KindAmount
	pop       *PopulationUsed
	have      part // the parts computed so far
}

// part is a group of figures read from the same tables, so that a figure needed on another
// date (a past due date, the plan's base) costs only its own reads.
type part uint8

const (
	partCounts  part = 1 << iota // the span summary and population
	partPledges                  // registry.pledge_financing
	partGI                       // new GI marks
	partApps                     // PCT and foreign applications
	allParts    = partCounts | partPledges | partGI | partApps
)

// partOf is the part that computes code.
func partOf(code string) part {
	switch code {
	case PledgeAmountPeriod, PledgeAmountYear, PledgeGrowthYoY, PledgeCountYear, PledgedEnterprisesYear,
		PledgeOtherAmountPeriod, PledgeOtherAmountYear:
		return partPledges
	case GIMarksNewPeriod, GIMarksNewYear:
		return partGI
	case ForeignApplicationsPeriod:
		return partApps
	}
	return partCounts
}

func newFigures() *figures {
	return &figures{values: map[string]string{}, notes: map[string]string{}, breakdown: map[string][]KindAmount{}}
}

// figuresAt computes the values on d as known at sc.k.
func figuresAt(ctx context.Context, q querier, sc scope, d term.Date) (figures, error) {
	f := newFigures()
	err := f.fill(ctx, q, sc, d, allParts)
	return *f, err
}

// fill computes the parts of f on d not computed yet.
func (f *figures) fill(ctx context.Context, q querier, sc scope, d term.Date, parts part) error {
	todo := parts &^ f.have
	for _, p := range []struct {
		part part
		fn   func(context.Context, querier, scope, term.Date) error
	}{{partCounts, f.fillCounts}, {partPledges, f.fillPledges}, {partGI, f.fillGI}, {partApps, f.fillApps}} {
		if todo&p.part == 0 {
			continue
		}
		if err := p.fn(ctx, q, sc, d); err != nil {
			return err
		}
		f.have |= p.part
	}
	return nil
}

func (f *figures) fillCounts(ctx context.Context, q querier, sc scope, d term.Date) error {
	c, err := spanCounts(ctx, q, sc, d)
	if err != nil {
		return err
	}
	sum := func(metrics ...string) int64 {
		var n int64
		for _, m := range metrics {
			n += c[m]
		}
		return n
	}
	inv := string(ident.InventionPatent)
	tm, gic, gil := string(ident.Trademark), string(ident.GICertificationMark), string(ident.GICollectiveMark)
	counts := map[string]int64{
		ValidInventionPatents:     sum(inv),
		HighValueInventionPatents: sum(inv + "/high_value"),
		ValidTrademarks:           sum(tm, gic, gil),
		WellKnownMarks:            sum(tm+"/well_known", gic+"/well_known", gil+"/well_known"),
		GIMarks:                   sum(gic, gil),
		GIProducts:                sum(string(ident.GIProduct)),
		ForeignFamilyPatents:      sum(inv + "/foreign_family"),
		SoftwareCopyrights:        sum(string(ident.SoftwareCopyright)),
		PlantVarieties:            sum(string(ident.PlantVariety)),
	}
	for code, n := range counts {
		f.values[code] = fmt.Sprint(n)
	}
	pop, err := populationAt(ctx, q, sc.region, d.Year(), sc.k)
	if err != nil {
		return err
	}
	f.pop = pop
	per10k := map[string]string{
		ValidInventionPatentsPer10k:     ValidInventionPatents,
		HighValueInventionPatentsPer10k: HighValueInventionPatents,
		SoftwareCopyrightsPer10k:        SoftwareCopyrights,
	}
	for code, of := range per10k {
		if pop == nil {
			f.notes[code] = fmt.Sprintf("no resident population recorded for %s in %d or earlier", sc.region, d.Year())
			continue
		}
		f.values[code] = roundHalfAway(big.NewRat(counts[of]*10_000, pop.Residents), 4)
	}
	return nil
}

func (f *figures) fillPledges(ctx context.Context, q querier, sc scope, d term.Date) error {
	p, err := pledgeFigures(ctx, q, sc, d)
	if err != nil {
		return err
	}
	f.values[PledgeAmountPeriod] = fenString(p.plan.period)
	f.values[PledgeAmountYear] = fenString(p.plan.year)
	f.values[PledgeOtherAmountPeriod] = fenString(p.other.period)
	f.values[PledgeOtherAmountYear] = fenString(p.other.year)
	f.breakdown[PledgeAmountPeriod] = p.plan.byKindPeriod
	f.breakdown[PledgeAmountYear] = p.plan.byKindYear
	f.breakdown[PledgeOtherAmountPeriod] = p.other.byKindPeriod
	f.breakdown[PledgeOtherAmountYear] = p.other.byKindYear
	f.values[PledgeCountYear] = fmt.Sprint(p.count)
	f.values[PledgedEnterprisesYear] = fmt.Sprint(p.enterprises)
	if p.plan.prev.Sign() == 0 {
		f.notes[PledgeGrowthYoY] = fmt.Sprintf("no pledge financing registered from %d-01-01 to %s: growth over a zero base is undefined",
			d.Year()-1, d.AddYears(-1))
	} else {
		g := new(big.Rat).SetFrac(new(big.Int).Sub(p.plan.year, p.plan.prev), p.plan.prev)
		g.Mul(g, big.NewRat(100, 1))
		f.values[PledgeGrowthYoY] = roundHalfAway(g, 2)
	}
	return nil
}

func (f *figures) fillGI(ctx context.Context, q querier, sc scope, d term.Date) error {
	gi, err := newGIMarks(ctx, q, sc, d)
	if err != nil {
		return err
	}
	f.values[GIMarksNewPeriod] = fmt.Sprint(gi.period)
	f.values[GIMarksNewYear] = fmt.Sprint(gi.year)
	return nil
}

func (f *figures) fillApps(ctx context.Context, q querier, sc scope, d term.Date) error {
	apps, err := foreignApplications(ctx, q, sc, d)
	if err != nil {
		return err
	}
	f.values[ForeignApplicationsPeriod] = fmt.Sprint(apps)
	return nil
}

// spanCounts sums the span summary by metric for the units on d as known at sc.k: the current
// count of the years before d's year and the months of its year before its month, minus the
// changes to them recorded after k, plus the log up to k on the days of d's month up to d — or,
// when k is in the older half of the chain, the log's changes up to k — or, when a checkpoint
// of the log is nearer to k than either end, the checkpoint plus the log between it and k.
func spanCounts(ctx context.Context, q querier, sc scope, d term.Date) (map[string]int64, error) {
	ys := term.New(d.Year(), 1, 1)
	ms := term.New(d.Year(), d.Month(), 1)
	arr := pgdialect.Array(sc.units)
	out := map[string]int64{}
	read := func(query string, sign int64, args ...any) error {
		rows, err := q.QueryContext(ctx, query, args...)
		if err != nil {
			return fmt.Errorf("indicator: counts: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var m string
			var n int64
			if err := rows.Scan(&m, &n); err != nil {
				return err
			}
			out[m] += sign * n
		}
		return rows.Err()
	}
	if sc.k < sc.head {
		// A count as known in the past: from the nearest of the chain's start, its head and the
		// checkpoints in between, plus the log between it and k.
		lo, hi, err := checkpointsAround(ctx, q, sc.k)
		if err != nil {
			return nil, err
		}
		dist := min(sc.k, sc.head-sc.k)
		var cp, sign int64
		if lo > 0 && sc.k-lo < dist {
			cp, sign, dist = lo, 1, sc.k-lo
		}
		if hi > 0 && hi-sc.k < dist {
			cp, sign, dist = hi, -1, hi-sc.k
		}
		if cp > 0 {
			return out, checkpointCounts(ctx, read, sc, d, cp, sc.k, sign)
		}
		if dist > naiveAbove {
			// No checkpoint near k (they are made every registry.indicator_checkpoint_every
			// seqs): count the spans directly (bounded by the naive query's cost).
			return naiveCounts(ctx, q, sc, d)
		}
	}
	if sc.k < sc.head-sc.k {
		// Less was known at k than has been recorded since: sum the log up to k directly.
		err := read(`SELECT metric, sum(delta)::bigint FROM registry.indicator_count_log
			WHERE seq <= ? AND region_code = ANY(?::text[]) AND day <= ?::date GROUP BY metric`, 1, sc.k, arr, d.String())
		return out, err
	}
	if err := read(`SELECT metric, sum(delta)::bigint FROM registry.indicator_counts
		WHERE region_code = ANY(?::text[]) AND (
		  (grain = 'y' AND period < ?::date) OR
		  (grain = 'm' AND period >= ?::date AND period < ?::date))
		GROUP BY metric`, 1, arr, ys.String(), ys.String(), ms.String()); err != nil {
		return nil, err
	}
	if err := monthDays(read, sc, d); err != nil {
		return nil, err
	}
	if sc.k < sc.head {
		if err := read(`SELECT metric, sum(delta)::bigint FROM registry.indicator_count_log
			WHERE seq > ? AND region_code = ANY(?::text[]) AND day < ?::date GROUP BY metric`,
			-1, sc.k, arr, ms.String()); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// monthDays adds the log's changes up to sc.k on the days of d's month up to d (through the
// log's index by unit and day).
func monthDays(read func(query string, sign int64, args ...any) error, sc scope, d term.Date) error {
	return read(`SELECT metric, sum(delta)::bigint FROM registry.indicator_count_log
		WHERE region_code = ANY(?::text[]) AND day >= ?::date AND day <= ?::date AND seq <= ?
		GROUP BY metric`, 1, pgdialect.Array(sc.units), term.New(d.Year(), d.Month(), 1).String(), d.String(), sc.k)
}

// checkpointsAround returns the checkpoints (migration 0006) nearest to k: the last at or before
// it and the first after it, 0 where there is none.
func checkpointsAround(ctx context.Context, q querier, k int64) (lo, hi int64, err error) {
	err = q.QueryRowContext(ctx, `SELECT
		  coalesce((SELECT max(seq) FROM registry.indicator_checkpoints WHERE seq <= ?0), 0),
		  coalesce((SELECT min(seq) FROM registry.indicator_checkpoints WHERE seq > ?0), 0)`, k).Scan(&lo, &hi)
	if err != nil {
		return 0, 0, fmt.Errorf("indicator: checkpoints: %w", err)
	}
	return lo, hi, nil
}

// checkpointCounts adds the counts on d as known at k from the checkpoint at c (sign 1: c <= k,
// the log in (c, k] is added; -1: c > k, the log in (k, c] is taken back): the checkpoint's
// years and months before d's month, the log up to k on the days of d's month, and the tail.
func checkpointCounts(ctx context.Context, read func(query string, sign int64, args ...any) error, sc scope, d term.Date, c, k, sign int64) error {
	ys := term.New(d.Year(), 1, 1)
	ms := term.New(d.Year(), d.Month(), 1)
	arr := pgdialect.Array(sc.units)
	if err := read(`SELECT metric, sum(delta)::bigint FROM registry.indicator_checkpoint_counts
		WHERE seq = ? AND region_code = ANY(?::text[]) AND (
		  (grain = 'y' AND period < ?::date) OR
		  (grain = 'm' AND period >= ?::date AND period < ?::date))
		GROUP BY metric`, 1, c, arr, ys.String(), ys.String(), ms.String()); err != nil {
		return err
	}
	if err := monthDays(read, sc, d); err != nil {
		return err
	}
	from, to := min(c, k), max(c, k)
	return read(`SELECT metric, sum(delta)::bigint FROM registry.indicator_count_log
		WHERE seq > ? AND seq <= ? AND region_code = ANY(?::text[]) AND day < ?::date GROUP BY metric`,
		sign, from, to, arr, ms.String())
}

// naiveAbove is how many entries away from both the start and the head of the chain a known_at
// may be before spanCounts counts the spans directly instead of summing the log.
var naiveAbove int64 = 50_000

// financingLine is one line of financing (the plan's patent-and-trademark line, or the line of
// pledges of copyrights and plant varieties only), in fen, with its parts by kind of right.
type financingLine struct {
	period, year, prev       *big.Int
	byKindPeriod, byKindYear []KindAmount
}

type pledgeSums struct {
	plan, other        financingLine
	count, enterprises int64
}

// pledgeSharesSQL sums each line's financing by kind of right over the plan period (?0..?1),
// the year (?2..?3) and the same span a year earlier (?4..?5), for the units ?6 as known at ?7:
// the pledge projection stored each counted amount's line and equal shares by kind of right
// (registry.pledge_financing_kinds, migration 0019).
const pledgeSharesSQL = `SELECT plan_line, kind,
		  coalesce(sum(share_fen) FILTER (WHERE effective_on BETWEEN ?0::date AND ?1::date), 0)::text,
		  coalesce(sum(share_fen) FILTER (WHERE effective_on BETWEEN ?2::date AND ?3::date), 0)::text,
		  coalesce(sum(share_fen) FILTER (WHERE effective_on BETWEEN ?4::date AND ?5::date), 0)::text
		FROM registry.pledge_financing_kinds
		WHERE region_code = ANY(?6::text[]) AND seq <= ?7 AND effective_on <= ?3::date
		  AND effective_on >= least(?0::date, ?4::date)
		GROUP BY plan_line, kind ORDER BY plan_line, kind`

// pledgeFigures reads the financing counted for the units (rows with seq <= k): each counted
// amount divided into equal shares among the rights in its pledge when it was recorded (the
// remainder's fen one each to the first rights in the pledge's order), on the plan's line when
// one of those rights is a patent or a trademark — as the pledge projection stored them.
func pledgeFigures(ctx context.Context, q querier, sc scope, d term.Date) (pledgeSums, error) {
	p0, p1 := term.MustParseDate(PlanStart), minDate(d, term.MustParseDate(PlanEnd))
	y0 := term.New(d.Year(), 1, 1)
	py0, py1 := term.New(d.Year()-1, 1, 1), d.AddYears(-1)
	out := pledgeSums{}
	for _, l := range []*financingLine{&out.plan, &out.other} {
		l.period, l.year, l.prev = new(big.Int), new(big.Int), new(big.Int)
	}
	rows, err := q.QueryContext(ctx, pledgeSharesSQL,
		p0.String(), p1.String(), y0.String(), d.String(), py0.String(), py1.String(), pgdialect.Array(sc.units), sc.k)
	if err != nil {
		return out, fmt.Errorf("indicator: pledge financing: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var plan bool
		var kind string
		var sums [3]string
		if err := rows.Scan(&plan, &kind, &sums[0], &sums[1], &sums[2]); err != nil {
			return out, err
		}
		l := &out.other
		if plan {
			l = &out.plan
		}
		var n [3]*big.Int
		for i, x := range sums {
			var ok bool
			if n[i], ok = new(big.Int).SetString(x, 10); !ok {
				return out, fmt.Errorf("indicator: pledge financing: unreadable sum %q", x)
			}
		}
		l.period.Add(l.period, n[0])
		l.year.Add(l.year, n[1])
		l.prev.Add(l.prev, n[2])
		if n[0].Sign() > 0 {
			l.byKindPeriod = append(l.byKindPeriod, KindAmount{Kind: kind, Value: fenString(n[0])})
		}
		if n[1].Sign() > 0 {
			l.byKindYear = append(l.byKindYear, KindAmount{Kind: kind, Value: fenString(n[1])})
		}
	}
	if err := rows.Err(); err != nil {
		return out, fmt.Errorf("indicator: pledge financing: %w", err)
	}
	// Registrations of any kind of right, and the distinct enterprises among all their pledgors.
	// The registrations are read once, and their pledges looked up by key from the aggregated
	// ids: a join with the registrations as a set had the planner read every pledge.
	err = q.QueryRowContext(ctx, `SELECT count(*),
		  (SELECT count(*) FROM registry.parties pt WHERE pt.kind = ?4 AND pt.id IN (
		     SELECT x.id FROM unnest(array_agg(r.pledge_id)) AS rp(id)
		       JOIN registry.pledges p ON p.id = rp.id
		       CROSS JOIN LATERAL unnest(p.pledgor_ids) AS x(id)))
		FROM registry.pledge_financing r
		WHERE r.is_registration AND r.region_code = ANY(?2::text[]) AND r.seq <= ?3
		  AND r.effective_on BETWEEN ?0::date AND ?1::date`,
		y0.String(), d.String(), pgdialect.Array(sc.units), sc.k, string(registry.Enterprise)).Scan(&out.count, &out.enterprises)
	if err != nil {
		return out, fmt.Errorf("indicator: pledge registrations: %w", err)
	}
	return out, nil
}

type giCounts struct{ period, year int64 }

// newGIMarks counts GI certification and collective marks registered in the plan period (to d,
// capped at its end) and in d's year to d, from the spans as known at k: each mark's first
// span starts on its registration date, in the unit it was then attributed to.
func newGIMarks(ctx context.Context, q querier, sc scope, d term.Date) (giCounts, error) {
	p0, p1 := term.MustParseDate(PlanStart), minDate(d, term.MustParseDate(PlanEnd))
	var out giCounts
	err := q.QueryRowContext(ctx, `SELECT
		  count(*) FILTER (WHERE first BETWEEN ?0::date AND ?1::date),
		  count(*) FILTER (WHERE first BETWEEN ?2::date AND ?3::date)
		FROM (SELECT DISTINCT ON (asset_id) valid_from AS first, region_code FROM registry.asset_spans
		  WHERE kind = ANY(?4::text[]) AND known_from <= ?5 AND (known_to IS NULL OR known_to > ?5)
		  ORDER BY asset_id, valid_from) m
		WHERE region_code = ANY(?6::text[])`,
		p0.String(), p1.String(), term.New(d.Year(), 1, 1).String(), d.String(),
		pgdialect.Array([]string{string(ident.GICertificationMark), string(ident.GICollectiveMark)}), sc.k,
		pgdialect.Array(sc.units)).Scan(&out.period, &out.year)
	if err != nil {
		return out, fmt.Errorf("indicator: new GI marks: %w", err)
	}
	return out, nil
}

// foreignApplications counts the overseas family members (PCT and foreign applications,
// pending or granted) recorded as known at k, each office and number once, filed in the plan
// period to d (family_date, else the event's date), in the unit their patent was attributed to
// on that day: its registration's unit, or that of the last change of unit (set_region, or a
// transfer that moved it) in effect by then. The asset-event projection keeps each member's
// filing day and unit as known at every seq (registry.foreign_family_members, migration
// 0022), so this is one read of the units' members in the period (index only).
func foreignApplications(ctx context.Context, q querier, sc scope, d term.Date) (int64, error) {
	p0, p1 := term.MustParseDate(PlanStart), minDate(d, term.MustParseDate(PlanEnd))
	var n int64
	err := q.QueryRowContext(ctx, `SELECT count(*) FROM registry.foreign_family_members
		WHERE region_code = ANY(?0::text[]) AND filed_on BETWEEN ?1::date AND ?2::date
		  AND known_from <= ?3 AND (known_to IS NULL OR known_to > ?3)`,
		pgdialect.Array(sc.units), p0.String(), p1.String(), sc.k).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("indicator: foreign applications: %w", err)
	}
	return n, nil
}

// populationAt is the region's population of year, or of the latest earlier year, as known at k.
func populationAt(ctx context.Context, q querier, region string, year int, k int64) (*PopulationUsed, error) {
	var p PopulationUsed
	err := q.QueryRowContext(ctx, `SELECT year, residents FROM registry.population
		WHERE region_code = ? AND year <= ? AND known_from <= ? AND (known_to IS NULL OR known_to > ?)
		ORDER BY year DESC LIMIT 1`, region, year, k, k).Scan(&p.Year, &p.Residents)
	if err == sql.ErrNoRows {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("indicator: population: %w", err)
	}
	return &p, nil
}

// loadGoals reads the region's targets and baselines as known at k, by indicator code.
func loadGoals(ctx context.Context, q querier, region string, k int64) (map[string][]Target, map[string][]Baseline, error) {
	targets := map[string][]Target{}
	baselines := map[string][]Baseline{}
	rows, err := q.QueryContext(ctx, `SELECT code, due::text, basis, value::text, coalesce(base_on::text, ''), comparison, note, known_from
		FROM registry.targets WHERE region_code = ? AND known_from <= ? AND (known_to IS NULL OR known_to > ?)
		ORDER BY code, due`, region, k, k)
	if err != nil {
		return nil, nil, fmt.Errorf("indicator: targets: %w", err)
	}
	for rows.Next() {
		t := Target{RegionCode: region}
		var due, base string
		if err := rows.Scan(&t.Code, &due, &t.Basis, &t.Value, &base, &t.Comparison, &t.Note, &t.Seq); err != nil {
			rows.Close()
			return nil, nil, err
		}
		t.Due = term.MustParseDate(due)
		if base != "" {
			t.BaseOn = term.MustParseDate(base)
		}
		targets[t.Code] = append(targets[t.Code], t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	rows, err = q.QueryContext(ctx, `SELECT code, base_on::text, value::text, note, known_from
		FROM registry.baselines WHERE region_code = ? AND known_from <= ? AND (known_to IS NULL OR known_to > ?)
		ORDER BY code, base_on`, region, k, k)
	if err != nil {
		return nil, nil, fmt.Errorf("indicator: baselines: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		b := Baseline{RegionCode: region}
		var on string
		if err := rows.Scan(&b.Code, &on, &b.Value, &b.Note, &b.Seq); err != nil {
			return nil, nil, err
		}
		b.On = term.MustParseDate(on)
		baselines[b.Code] = append(baselines[b.Code], b)
	}
	return targets, baselines, rows.Err()
}

// judge sets the value's baseline, target, progress and status (RulesTargets).
func judge(v *Value, def Definition, asOf term.Date, ts []Target, bs []Baseline, figuresOn func(term.Date, part) (*figures, error)) error {
	sc := scale(def.Unit)
	baselineOn := func(d term.Date) *BaselineRef {
		for _, b := range bs {
			if b.On == d {
				return &BaselineRef{Value: ratOf(b.Value).FloatString(sc), On: b.On}
			}
		}
		return nil
	}
	// Which target: by RulesTargets, skipping a relative one whose baseline is missing.
	sort.Slice(ts, func(i, j int) bool { return ts[i].Due.Before(ts[j].Due) })
	var cands []Target
	for _, x := range ts {
		if def.Scope != ScopeYear || x.Due.Year() == asOf.Year() {
			cands = append(cands, x)
		}
	}
	var t *Target
	var target *big.Rat
	var ref *TargetRef
	for len(cands) > 0 && t == nil {
		i := len(cands) - 1
		for j := range cands {
			if !cands[j].Due.Before(asOf) {
				i = j
				break
			}
		}
		c := cands[i]
		cands = append(cands[:i:i], cands[i+1:]...)
		r := &TargetRef{Due: c.Due, Basis: c.Basis, BaseOn: c.BaseOn, Comparison: c.Comparison}
		switch c.Basis {
		case BasisAbsolute:
			r.Value = ratOf(c.Value).FloatString(sc)
		default:
			if c.Basis == BasisPercent {
				r.Stated = "+" + c.Value + "%"
			} else {
				r.Stated = "+" + c.Value
			}
			b := baselineOn(c.BaseOn)
			if b == nil {
				addNote(v, fmt.Sprintf("the target %s over the baseline of %s, due %s, has no value until that baseline is recorded", r.Stated, c.BaseOn, c.Due))
				continue
			}
			base := ratOf(b.Value)
			if c.Basis == BasisPercent {
				f := new(big.Rat).Add(big.NewRat(1, 1), new(big.Rat).Quo(ratOf(c.Value), big.NewRat(100, 1)))
				r.Value = roundUp(new(big.Rat).Mul(base, f), sc)
			} else {
				r.Value = roundUp(new(big.Rat).Add(base, ratOf(c.Value)), sc)
			}
		}
		t, ref, target = &c, r, ratOf(r.Value)
	}
	// Which baseline is shown.
	if t != nil && t.Basis != BasisAbsolute {
		v.Baseline = baselineOn(t.BaseOn)
	}
	if v.Baseline == nil {
		v.Baseline = baselineOn(planBase)
	}
	if v.Baseline == nil {
		for _, b := range bs {
			if !b.On.After(asOf) {
				v.Baseline = &BaselineRef{Value: ratOf(b.Value).FloatString(sc), On: b.On}
			}
		}
	}
	if t == nil {
		return nil
	}
	v.Target = ref
	if v.Value == nil {
		return nil
	}
	reaches := func(x *big.Rat) bool {
		if t.Comparison == CompareAbove {
			return x.Cmp(target) > 0
		}
		return x.Cmp(target) >= 0
	}
	val := ratOf(*v.Value)
	if asOf.After(t.Due) {
		// Past its due date a target was met or missed, on the value of that day.
		f, err := figuresOn(t.Due, partOf(def.Code))
		if err != nil {
			return err
		}
		x, ok := f.values[def.Code]
		if !ok {
			v.Status = StatusMissed
			addNote(v, fmt.Sprintf("the target was due %s, when the value could not be computed", t.Due))
			return nil
		}
		addNote(v, fmt.Sprintf("the target was due %s: judged on the value then, %s", t.Due, x))
		val = ratOf(x)
		if target.Sign() > 0 {
			p := roundHalfAway(new(big.Rat).Quo(val, target), 4)
			v.Progress = &p
		}
		v.Status = StatusMissed
		if reaches(val) {
			v.Status = StatusMet
		}
		return nil
	}
	if target.Sign() > 0 {
		p := roundHalfAway(new(big.Rat).Quo(val, target), 4)
		v.Progress = &p
	}
	switch {
	case reaches(val):
		v.Status = StatusMet
		return nil
	case def.Code == PledgeGrowthYoY:
		v.Status = StatusBehind
		return nil
	}
	// Linear projection from the origin through today's value to the due date.
	var oDate term.Date
	o := new(big.Rat)
	switch def.Scope {
	case ScopePeriod:
		oDate = planBase
	case ScopeYear:
		oDate = term.New(asOf.Year()-1, 12, 31)
	default:
		switch {
		case t.Basis != BasisAbsolute:
			oDate, o = t.BaseOn, ratOf(v.Baseline.Value)
		case baselineOn(planBase) != nil:
			oDate, o = planBase, ratOf(baselineOn(planBase).Value)
		default:
			bf, err := figuresOn(planBase, partOf(def.Code))
			if err != nil {
				return err
			}
			x, ok := bf.values[def.Code]
			if !ok {
				v.Status = StatusBehind
				return nil
			}
			oDate, o = planBase, ratOf(x)
		}
	}
	elapsed := days(oDate, asOf)
	if elapsed <= 0 {
		v.Status = StatusBehind
		return nil
	}
	proj := new(big.Rat).Sub(val, o)
	proj.Mul(proj, big.NewRat(days(oDate, t.Due), elapsed))
	proj.Add(proj, o)
	if reaches(proj) {
		v.Status = StatusOnTrack
	} else {
		v.Status = StatusBehind
	}
	return nil
}

func days(a, b term.Date) int64 { return int64(b.Time().Sub(a.Time()) / (24 * time.Hour)) }

func addNote(v *Value, s string) {
	if v.Note != "" {
		v.Note += "; "
	}
	v.Note += s
}
