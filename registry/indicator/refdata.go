package indicator

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"ipledger/ledger"
	"ipledger/registry"
	"ipledger/registry/term"
)

// Entry kinds of the plan's reference data; subjects are population/<region>/<year>,
// target/<code>/<region> and baseline/<code>/<region>.
const (
	KindPopulationRecorded = "population.recorded"
	KindTargetSet          = "target.set"
	KindBaselineSet        = "baseline.set"
	KindOfficialRecorded   = "official_value.recorded" // subject official/<code>/<region>/<year>
)

// Target comparisons: how the plan words a target.
const (
	CompareAtLeast = "at_least" // "达到 X", "X 左右": met at X
	CompareAbove   = "above"    // "超过 X": met only above X
)

// Target bases.
const (
	BasisAbsolute = "absolute"               // value in the indicator's unit
	BasisPercent  = "percent_over_baseline"  // value is a percentage over the baseline of base_on
	BasisIncrease = "increase_over_baseline" // value is added to the baseline of base_on
)

// Service computes indicators and records the plan's reference data.
type Service struct {
	reg *registry.Service
	l   *ledger.Ledger
	db  bun.IDB
}

// Option configures New.
type Option func(*Service)

// WithReadDB sends reads (indicators) to db, e.g. a replica.
func WithReadDB(db bun.IDB) Option { return func(s *Service) { s.db = db } }

// New returns the indicators over the registry (its ledger and its clock).
func New(reg *registry.Service, opts ...Option) *Service {
	s := &Service{reg: reg, l: reg.Ledger(), db: reg.Ledger().DB()}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Population is a region's resident population at the end of a year.
type Population struct {
	RegionCode  string    `json:"region"`
	Year        int       `json:"year"`
	Residents   int64     `json:"residents"`
	Source      string    `json:"source,omitempty"`
	EffectiveOn term.Date `json:"effective_on"`
	Seq         int64     `json:"seq"`
}

// PopulationInput records (or corrects) a population figure.
type PopulationInput struct {
	RegionCode string
	Year       int
	Residents  int64
	Source     string
}

// Target is one target of an indicator for a region, due on a date.
type Target struct {
	Code        string    `json:"code"`
	RegionCode  string    `json:"region"`
	Due         term.Date `json:"due"`
	Basis       string    `json:"basis"`
	Value       string    `json:"value"`
	BaseOn      term.Date `json:"base_on,omitzero"`
	Comparison  string    `json:"comparison" enum:"at_least,above"`
	Note        string    `json:"note,omitempty"`
	EffectiveOn term.Date `json:"effective_on"`
	Seq         int64     `json:"seq"`
}

// TargetInput sets (or revises) a target. BaseOn defaults to 2020-12-31 for relative bases.
type TargetInput struct {
	Code       string
	RegionCode string
	Due        term.Date
	Basis      string
	Value      string
	BaseOn     term.Date
	Comparison string // CompareAtLeast (default) or CompareAbove
	Note       string
}

// Baseline is an indicator's value on a date as the plan states it.
type Baseline struct {
	Code        string    `json:"code"`
	RegionCode  string    `json:"region"`
	On          term.Date `json:"on"`
	Value       string    `json:"value"`
	Note        string    `json:"note,omitempty"`
	EffectiveOn term.Date `json:"effective_on"`
	Seq         int64     `json:"seq"`
}

// BaselineInput sets (or corrects) a baseline.
type BaselineInput struct {
	Code       string
	RegionCode string
	On         term.Date
	Value      string
	Note       string
}

type populationPayload struct {
	RegionCode string `json:"region_code"`
	Year       int    `json:"year"`
	Residents  int64  `json:"residents"`
	Source     string `json:"source,omitempty"`
}

type targetPayload struct {
	Code       string    `json:"code"`
	RegionCode string    `json:"region_code"`
	Due        term.Date `json:"due"`
	Basis      string    `json:"basis"`
	Value      string    `json:"value"`
	BaseOn     term.Date `json:"base_on,omitzero"`
	Comparison string    `json:"comparison,omitempty"` // absent: at_least (entries recorded before it existed)
	Note       string    `json:"note,omitempty"`
}

type baselinePayload struct {
	Code       string    `json:"code"`
	RegionCode string    `json:"region_code"`
	On         term.Date `json:"base_on"`
	Value      string    `json:"value"`
	Note       string    `json:"note,omitempty"`
}

func invalid(code, field, format string, args ...any) error {
	return registry.Errorf(registry.Invalid, code, field, format, args...)
}

// checkRegion accepts the city or one of its units.
func checkRegion(ctx context.Context, db bun.IDB, code, field string) error {
	var n int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM registry.regions WHERE code = ?`, code).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return invalid("region_unknown", field, "%q is neither the city %s nor one of its units", code, registry.CityCode)
	}
	return nil
}

func (s *Service) write(ctx context.Context, fn func(context.Context, *ledger.Tx) error) (ledger.Entry, error) {
	es, err := s.l.Write(ctx, fn)
	if err != nil {
		if de, ok := registry.AsError(err); ok {
			return ledger.Entry{}, de
		}
		return ledger.Entry{}, err
	}
	if len(es) == 0 {
		return ledger.Entry{}, nil
	}
	return es[len(es)-1], nil
}

// RecordPopulation records a region's year-end resident population (admins). Recording the
// same region and year again corrects it from then on; the earlier figure stays what was known
// before.
func (s *Service) RecordPopulation(ctx context.Context, in PopulationInput) (Population, error) {
	today := s.reg.Today()
	if in.Year < 2000 || in.Year > today.Year() {
		return Population{}, invalid("year_out_of_range", "year", "year %d is not from 2000 to %d", in.Year, today.Year())
	}
	if in.Residents <= 0 || in.Residents > 2_000_000_000 {
		return Population{}, invalid("residents_invalid", "residents", "residents must be a positive number of people")
	}
	p := populationPayload{RegionCode: in.RegionCode, Year: in.Year, Residents: in.Residents, Source: trim(in.Source, 500)}
	eff := minDate(term.New(in.Year, 12, 31), today)
	e, err := s.write(ctx, func(ctx context.Context, tx *ledger.Tx) error {
		if err := checkRegion(ctx, tx.DB(), in.RegionCode, "region"); err != nil {
			return err
		}
		return appendApply(ctx, tx, ledger.Draft{Kind: KindPopulationRecorded,
			Subject: fmt.Sprintf("population/%s/%d", p.RegionCode, p.Year), EffectiveOn: eff.Time(), Payload: p})
	})
	if err != nil {
		return Population{}, err
	}
	return Population{RegionCode: p.RegionCode, Year: p.Year, Residents: p.Residents, Source: p.Source, EffectiveOn: eff, Seq: e.Seq}, nil
}

// SetTarget records a target (admins); the same code, region and due date again revises it.
func (s *Service) SetTarget(ctx context.Context, in TargetInput) (Target, error) {
	def, ok := definitionOf(in.Code)
	if !ok {
		return Target{}, invalid("indicator_unknown", "code", "no indicator %q", in.Code)
	}
	if in.Due.IsZero() || in.Due.Year() < 2000 || in.Due.Year() > 2100 {
		return Target{}, invalid("due_invalid", "due", "a target needs a due date from 2000 to 2100")
	}
	if in.Basis == "" {
		in.Basis = BasisAbsolute
	}
	sc := scale(def.Unit)
	switch in.Basis {
	case BasisAbsolute, BasisIncrease:
		if in.BaseOn.IsZero() && in.Basis == BasisIncrease {
			in.BaseOn = term.MustParseDate(PlanBaseOn)
		}
	case BasisPercent:
		sc = 2
		if in.BaseOn.IsZero() {
			in.BaseOn = term.MustParseDate(PlanBaseOn)
		}
	default:
		return Target{}, invalid("basis_unknown", "basis", "basis is %s, %s or %s", BasisAbsolute, BasisPercent, BasisIncrease)
	}
	if in.Basis == BasisAbsolute && !in.BaseOn.IsZero() {
		return Target{}, invalid("base_on_not_applicable", "base_on", "an absolute target has no base date")
	}
	switch in.Comparison {
	case "":
		in.Comparison = CompareAtLeast
	case CompareAtLeast, CompareAbove:
	default:
		return Target{}, invalid("comparison_unknown", "comparison", "comparison is %s (达到 X, X 左右) or %s (超过 X)", CompareAtLeast, CompareAbove)
	}
	v, ok := parseDecimal(in.Value, sc)
	if !ok {
		return Target{}, invalid("value_invalid", "value", "want a non-negative decimal string with at most %d decimals", sc)
	}
	p := targetPayload{Code: in.Code, RegionCode: in.RegionCode, Due: in.Due, Basis: in.Basis,
		Value: v.FloatString(sc), BaseOn: in.BaseOn, Comparison: in.Comparison, Note: trim(in.Note, 1000)}
	today := s.reg.Today()
	e, err := s.write(ctx, func(ctx context.Context, tx *ledger.Tx) error {
		if err := checkRegion(ctx, tx.DB(), in.RegionCode, "region"); err != nil {
			return err
		}
		return appendApply(ctx, tx, ledger.Draft{Kind: KindTargetSet,
			Subject: "target/" + p.Code + "/" + p.RegionCode, EffectiveOn: today.Time(), Payload: p})
	})
	if err != nil {
		return Target{}, err
	}
	return Target{Code: p.Code, RegionCode: p.RegionCode, Due: p.Due, Basis: p.Basis, Value: p.Value, BaseOn: p.BaseOn,
		Comparison: p.Comparison, Note: p.Note, EffectiveOn: today, Seq: e.Seq}, nil
}

// SetBaseline records a baseline (admins); the same code, region and date again corrects it.
func (s *Service) SetBaseline(ctx context.Context, in BaselineInput) (Baseline, error) {
	def, ok := definitionOf(in.Code)
	if !ok {
		return Baseline{}, invalid("indicator_unknown", "code", "no indicator %q", in.Code)
	}
	today := s.reg.Today()
	if in.On.IsZero() {
		in.On = term.MustParseDate(PlanBaseOn)
	}
	if in.On.After(today) || in.On.Year() < 2000 {
		return Baseline{}, invalid("date_out_of_range", "on", "a baseline's date is from 2000 to today (%s)", today)
	}
	sc := scale(def.Unit)
	v, ok := parseDecimal(in.Value, sc)
	if !ok {
		return Baseline{}, invalid("value_invalid", "value", "want a non-negative decimal string with at most %d decimals", sc)
	}
	p := baselinePayload{Code: in.Code, RegionCode: in.RegionCode, On: in.On, Value: v.FloatString(sc), Note: trim(in.Note, 1000)}
	e, err := s.write(ctx, func(ctx context.Context, tx *ledger.Tx) error {
		if err := checkRegion(ctx, tx.DB(), in.RegionCode, "region"); err != nil {
			return err
		}
		return appendApply(ctx, tx, ledger.Draft{Kind: KindBaselineSet,
			Subject: "baseline/" + p.Code + "/" + p.RegionCode, EffectiveOn: in.On.Time(), Payload: p})
	})
	if err != nil {
		return Baseline{}, err
	}
	return Baseline{Code: p.Code, RegionCode: p.RegionCode, On: p.On, Value: p.Value, Note: p.Note, EffectiveOn: in.On, Seq: e.Seq}, nil
}

func appendApply(ctx context.Context, tx *ledger.Tx, d ledger.Draft) error {
	e, err := tx.Append(d)
	if err != nil {
		return err
	}
	return apply(ctx, tx.DB(), e)
}

// apply projects one entry of this area; other kinds are ignored. It never refuses.
func apply(ctx context.Context, db bun.IDB, e ledger.Entry) error {
	var err error
	switch e.Kind {
	case KindPopulationRecorded:
		var p populationPayload
		if err = decode(e, &p); err != nil {
			return err
		}
		if _, err = db.ExecContext(ctx, `UPDATE registry.population SET known_to = ?
			WHERE region_code = ? AND year = ? AND known_to IS NULL`, e.Seq, p.RegionCode, p.Year); err != nil {
			return err
		}
		_, err = db.ExecContext(ctx, `INSERT INTO registry.population (region_code, year, residents, source, effective_on, known_from)
			VALUES (?, ?, ?, ?, ?, ?)`, p.RegionCode, p.Year, p.Residents, p.Source, e.EffectiveDate(), e.Seq)
	case KindTargetSet:
		var p targetPayload
		if err = decode(e, &p); err != nil {
			return err
		}
		if _, err = db.ExecContext(ctx, `UPDATE registry.targets SET known_to = ?
			WHERE code = ? AND region_code = ? AND due = ? AND known_to IS NULL`, e.Seq, p.Code, p.RegionCode, p.Due.String()); err != nil {
			return err
		}
		var base any
		if !p.BaseOn.IsZero() {
			base = p.BaseOn.String()
		}
		cmp := p.Comparison
		if cmp == "" {
			cmp = CompareAtLeast
		}
		_, err = db.ExecContext(ctx, `INSERT INTO registry.targets (code, region_code, due, basis, value, base_on, comparison, note, effective_on, known_from)
			VALUES (?, ?, ?, ?, ?::numeric, ?, ?, ?, ?, ?)`, p.Code, p.RegionCode, p.Due.String(), p.Basis, p.Value, base, cmp, p.Note, e.EffectiveDate(), e.Seq)
	case KindBaselineSet:
		var p baselinePayload
		if err = decode(e, &p); err != nil {
			return err
		}
		if _, err = db.ExecContext(ctx, `UPDATE registry.baselines SET known_to = ?
			WHERE code = ? AND region_code = ? AND base_on = ? AND known_to IS NULL`, e.Seq, p.Code, p.RegionCode, p.On.String()); err != nil {
			return err
		}
		_, err = db.ExecContext(ctx, `INSERT INTO registry.baselines (code, region_code, base_on, value, note, effective_on, known_from)
			VALUES (?, ?, ?, ?::numeric, ?, ?, ?)`, p.Code, p.RegionCode, p.On.String(), p.Value, p.Note, e.EffectiveDate(), e.Seq)
	case KindOfficialRecorded:
		var p officialPayload
		if err = decode(e, &p); err != nil {
			return err
		}
		if _, err = db.ExecContext(ctx, `UPDATE registry.official_values SET known_to = ?
			WHERE code = ? AND region_code = ? AND year = ? AND known_to IS NULL`, e.Seq, p.Code, p.RegionCode, p.Year); err != nil {
			return err
		}
		_, err = db.ExecContext(ctx, `INSERT INTO registry.official_values (code, region_code, year, value, source, note, effective_on, known_from)
			VALUES (?, ?, ?, ?::numeric, ?, ?, ?, ?)`, p.Code, p.RegionCode, p.Year, p.Value, p.Source, p.Note, e.EffectiveDate(), e.Seq)
	}
	if err != nil {
		return fmt.Errorf("indicator: apply %s #%d: %w", e.Kind, e.Seq, err)
	}
	return nil
}

// Projection is this area's projection: population figures, targets, baselines and official values. (The
// span summary is written with registry.asset_spans by the registry and rebuilt with it.)
var Projection ledger.Projection = &projection{}

type projection struct{}

func (*projection) Owns(kind string) bool {
	return kind == KindPopulationRecorded || kind == KindTargetSet || kind == KindBaselineSet || kind == KindOfficialRecorded
}

func (*projection) Tables() []string {
	return []string{"registry.population", "registry.targets", "registry.baselines", "registry.official_values"}
}

func (*projection) Apply(ctx context.Context, db bun.IDB, es []ledger.Entry) error {
	for _, e := range es {
		if err := apply(ctx, db, e); err != nil {
			return err
		}
	}
	return nil
}

// Rebuild empties this area's projections and replays the ledger into them (ledger.Rebuild).
func (s *Service) Rebuild(ctx context.Context) error {
	if err := ledger.Rebuild(ctx, s.l.DB(), Projection); err != nil {
		return fmt.Errorf("indicator: %w", err)
	}
	return nil
}

// Seed records the population figures, baselines and targets of docs/DOMAIN.md as ledger entries,
// skipping each one already recorded (in any revision), so it may run at every start.
func (s *Service) Seed(ctx context.Context) error {
	_, err := s.write(ctx, func(ctx context.Context, tx *ledger.Tx) error {
		db := tx.DB()
		exists := func(q string, args ...any) (bool, error) {
			var n int
			err := db.QueryRowContext(ctx, `SELECT count(*) FROM `+q, args...).Scan(&n)
			return n > 0, err
		}
		today := s.reg.Today()
		for _, p := range seedPopulation {
			ok, err := exists(`registry.population WHERE region_code = ? AND year = ?`, p.RegionCode, p.Year)
			if err != nil {
				return err
			}
			eff := term.MustParseDate(p.on)
			if ok || eff.After(today) {
				continue
			}
			if err := appendApply(ctx, tx, ledger.Draft{Kind: KindPopulationRecorded,
				Subject: fmt.Sprintf("population/%s/%d", p.RegionCode, p.Year), EffectiveOn: eff.Time(), Payload: p.populationPayload}); err != nil {
				return err
			}
		}
		for _, b := range seedBaselines {
			ok, err := exists(`registry.baselines WHERE code = ? AND region_code = ? AND base_on = ?`, b.Code, b.RegionCode, b.On.String())
			if err != nil {
				return err
			}
			if ok || b.On.After(today) {
				continue
			}
			if err := appendApply(ctx, tx, ledger.Draft{Kind: KindBaselineSet,
				Subject: "baseline/" + b.Code + "/" + b.RegionCode, EffectiveOn: b.On.Time(), Payload: b}); err != nil {
				return err
			}
		}
		for _, t := range seedTargets {
			ok, err := exists(`registry.targets WHERE code = ? AND region_code = ? AND due = ?`, t.Code, t.RegionCode, t.Due.String())
			if err != nil {
				return err
			}
			eff := term.MustParseDate(t.on)
			if ok {
				// A seeded target recorded before comparisons existed, never revised since, is
				// revised to the plan's wording ("超过 X").
				stale, err := exists(`registry.targets WHERE code = ? AND region_code = ? AND due = ? AND known_to IS NULL
					AND note = ? AND value = ?::numeric AND comparison <> ?`, t.Code, t.RegionCode, t.Due.String(), t.Note, t.Value, t.Comparison)
				if err != nil {
					return err
				}
				if !stale {
					continue
				}
				eff = today
			}
			if eff.After(today) {
				continue
			}
			if err := appendApply(ctx, tx, ledger.Draft{Kind: KindTargetSet,
				Subject: "target/" + t.Code + "/" + t.RegionCode, EffectiveOn: eff.Time(), Payload: t.targetPayload}); err != nil {
				return err
			}
		}
		return nil
	})
	return err
}

type seedPop struct {
	populationPayload
	on string
}

type seedTarget struct {
	targetPayload
	on string
}

const (
	srcCityYearEnd = "通辽市年末常住人口 (docs/DOMAIN.md, Regions and population)"
	srcCensus      = "第七次全国人口普查 2020-11-01, as the unit's 2020 population (docs/DOMAIN.md, Regions and population)"
)

var seedPopulation = []seedPop{
	{populationPayload{registry.CityCode, 2020, 2_867_500, srcCityYearEnd}, "2020-12-31"},
	{populationPayload{registry.CityCode, 2021, 2_853_100, srcCityYearEnd}, "2021-12-31"},
	{populationPayload{registry.CityCode, 2022, 2_834_600, srcCityYearEnd}, "2022-12-31"},
	{populationPayload{"150502", 2020, 718_700, srcCensus + "; without the development zone"}, "2020-11-01"},
	{populationPayload{"150571", 2020, 203_100, srcCensus + "; counted apart from 科尔沁区"}, "2020-11-01"},
	{populationPayload{"150521", 2020, 399_600, srcCensus}, "2020-11-01"},
	{populationPayload{"150522", 2020, 321_438, srcCensus}, "2020-11-01"},
	{populationPayload{"150523", 2020, 313_400, srcCensus}, "2020-11-01"},
	{populationPayload{"150524", 2020, 151_133, srcCensus}, "2020-11-01"},
	{populationPayload{"150525", 2020, 375_300, srcCensus}, "2020-11-01"},
	{populationPayload{"150526", 2020, 251_806, srcCensus}, "2020-11-01"},
	{populationPayload{"150581", 2020, 138_676, srcCensus}, "2020-11-01"},
}

const (
	srcPlan = "通辽市“十四五”知识产权发展规划"
	srcAct  = "2023年优化营商环境行动方案"
)

var planBase = term.MustParseDate(PlanBaseOn)

var seedBaselines = []baselinePayload{
	{ValidTrademarks, registry.CityCode, planBase, "15100", srcPlan + ": 有效注册商标总量达到15100件"},
	{WellKnownMarks, registry.CityCode, planBase, "12", srcPlan + ": 12件商标获得驰名商标认定"},
	{GIMarks, registry.CityCode, planBase, "16", srcPlan + ": 拥有地理标志证明商标16件 (collective marks not stated)"},
	{GIProducts, registry.CityCode, planBase, "4", srcPlan + ": 地理标志保护产品4种"},
}

func tgt(code, due, basis, value, baseOn, note, on string) seedTarget {
	t := seedTarget{targetPayload{Code: code, RegionCode: registry.CityCode, Due: term.MustParseDate(due), Basis: basis, Value: value,
		Comparison: CompareAtLeast, Note: note}, on}
	if baseOn != "" {
		t.BaseOn = term.MustParseDate(baseOn)
	}
	return t
}

// above marks a target the plan words "超过 X".
func above(t seedTarget) seedTarget {
	t.Comparison = CompareAbove
	return t
}

var seedTargets = []seedTarget{
	tgt(ValidInventionPatents, PlanEnd, BasisPercent, "20.00", PlanBaseOn, srcPlan+": 有效发明专利总量较“十三五”增加20% (needs the end-2020 baseline)", PlanStart),
	tgt(ValidInventionPatentsPer10k, "2023-12-31", BasisAbsolute, "1.8000", "", srcAct+" (278): 每万人有效发明专利数为1.8件", "2023-01-01"),
	tgt(HighValueInventionPatents, PlanEnd, BasisAbsolute, "175", "", srcPlan+": 高价值专利拥有量达到175件左右", PlanStart),
	tgt(HighValueInventionPatentsPer10k, "2023-12-31", BasisAbsolute, "0.5500", "", srcAct+" (278): 每万人高价值发明专利数为0.55件", "2023-01-01"),
	tgt(HighValueInventionPatentsPer10k, PlanEnd, BasisAbsolute, "0.6000", "", srcPlan+": 每万人拥有高价值发明专利0.6件", PlanStart),
	tgt(ValidTrademarks, PlanEnd, BasisAbsolute, "20000", "", srcPlan+": 有效注册商标总量达到20000件", PlanStart),
	tgt(GIMarksNewPeriod, PlanEnd, BasisAbsolute, "10", "", srcPlan+": 新增10个左右地理标志证明商标和地理标志集体商标", PlanStart),
	tgt(GIMarksNewYear, "2023-12-31", BasisAbsolute, "7", "", srcAct+" (276): 增加7件地理标志商标", "2023-01-01"),
	above(tgt(PledgeAmountPeriod, PlanEnd, BasisAbsolute, "150000000.00", "", srcPlan+": 融资金额超过1.5亿元", PlanStart)),
	tgt(PledgeAmountYear, "2023-12-31", BasisAbsolute, "20000000.00", "", srcAct+" (291): 全年质押融资额达到2000万元", "2023-01-01"),
	tgt(PledgeGrowthYoY, "2023-12-31", BasisAbsolute, "100.00", "", srcAct+" (292): 质押融资水平同比增加100%", "2023-01-01"),
	tgt(ForeignApplicationsPeriod, PlanEnd, BasisAbsolute, "1", "", srcPlan+": PCT和外国专利申请取得突破 (> 0)", PlanStart),
	tgt(SoftwareCopyrightsPer10k, "2023-12-31", BasisAbsolute, "1.0000", "", srcAct+" (278): 计算机著作权数为1个 (read as per 10,000 residents)", "2023-01-01"),
}

func decode(e ledger.Entry, v any) error {
	if err := json.Unmarshal(e.Payload, v); err != nil {
		return fmt.Errorf("indicator: %s #%d payload: %w", e.Kind, e.Seq, err)
	}
	return nil
}

func trim(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		r = r[:n]
	}
	return string(r)
}

func minDate(a, b term.Date) term.Date {
	if b.Before(a) {
		return b
	}
	return a
}

// knownSeq is K for a recording time: the last seq recorded at or before t (0 when none);
// for the zero time, the chain's head.
func knownSeq(ctx context.Context, db bun.IDB, t time.Time) (int64, error) {
	var k int64
	if t.IsZero() {
		err := db.QueryRowContext(ctx, `SELECT seq FROM ledger.head`).Scan(&k)
		return k, err
	}
	// recorded_at never decreases along the chain: the last seq of the last instant at or before
	// t. (Ordered by recorded_at, then seq: the recorded_at index and an incremental sort of the
	// one instant's entries. max(seq) WHERE recorded_at = that instant was planned as a backward
	// walk of the whole seq index: 147 ms at mid-history with 1.3 million entries.)
	err := db.QueryRowContext(ctx, `SELECT coalesce((SELECT seq FROM ledger.entries WHERE recorded_at <= ?
		ORDER BY recorded_at DESC, seq DESC LIMIT 1), 0)`, t.UTC()).Scan(&k)
	return k, err
}
