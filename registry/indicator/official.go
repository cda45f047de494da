package indicator

import (
	"context"
	"fmt"
	"math/big"
	"time"

	"ipledger/ledger"
	"ipledger/registry/term"
)

// Official figures and the reconciliation of computed figures against them (RulesReconciliation).
// An official figure is what a published source (the city's statistical bulletin, CNIPA's
// statistics) states for an indicator, a region and a year-end. The office enters it like every
// other fact: a ledger entry, corrected by a later one, reproducible as known at any time.

// OfficialValue is an indicator's official value for a region at the end of a year.
type OfficialValue struct {
	Code        string    `json:"code"`
	RegionCode  string    `json:"region"`
	Year        int       `json:"year"`
	Value       string    `json:"value"`
	Source      string    `json:"source"`
	Note        string    `json:"note,omitempty"`
	EffectiveOn term.Date `json:"effective_on"`
	Seq         int64     `json:"seq"`
}

// OfficialInput records (or corrects) an official value.
type OfficialInput struct {
	Code       string
	RegionCode string
	Year       int
	Value      string
	Source     string
	Note       string
}

type officialPayload struct {
	Code       string `json:"code"`
	RegionCode string `json:"region_code"`
	Year       int    `json:"year"`
	Value      string `json:"value"`
	Source     string `json:"source"`
	Note       string `json:"note,omitempty"`
}

// RecordOfficial records an indicator's official value for a region and a year that has ended
// (admins and registrars); the same code, region and year again corrects it from then on.
func (s *Service) RecordOfficial(ctx context.Context, in OfficialInput) (OfficialValue, error) {
	def, ok := definitionOf(in.Code)
	if !ok {
		return OfficialValue{}, invalid("indicator_unknown", "code", "no indicator %q", in.Code)
	}
	today := s.reg.Today()
	if in.Year < 2000 || in.Year >= today.Year() {
		return OfficialValue{}, invalid("year_out_of_range", "year", "an official value is for a year that has ended: from 2000 to %d", today.Year()-1)
	}
	sc := scale(def.Unit)
	v, ok := parseDecimal(in.Value, sc)
	if !ok {
		return OfficialValue{}, invalid("value_invalid", "value", "want a non-negative decimal string with at most %d decimals", sc)
	}
	src := trim(in.Source, 500)
	if src == "" {
		return OfficialValue{}, invalid("source_required", "source", "name the publication the official value is taken from")
	}
	p := officialPayload{Code: in.Code, RegionCode: in.RegionCode, Year: in.Year, Value: v.FloatString(sc), Source: src, Note: trim(in.Note, 1000)}
	eff := term.New(in.Year, 12, 31)
	e, err := s.write(ctx, func(ctx context.Context, tx *ledger.Tx) error {
		if err := checkRegion(ctx, tx.DB(), in.RegionCode, "region"); err != nil {
			return err
		}
		return appendApply(ctx, tx, ledger.Draft{Kind: KindOfficialRecorded,
			Subject: fmt.Sprintf("official/%s/%s/%d", p.Code, p.RegionCode, p.Year), EffectiveOn: eff.Time(), Payload: p})
	})
	if err != nil {
		return OfficialValue{}, err
	}
	return OfficialValue{Code: p.Code, RegionCode: p.RegionCode, Year: p.Year, Value: p.Value, Source: p.Source, Note: p.Note,
		EffectiveOn: eff, Seq: e.Seq}, nil
}

// officials reads the region's official values as known at k for years from..to, by year and code.
func officials(ctx context.Context, q querier, region string, from, to int, k int64) (map[int]map[string]OfficialValue, error) {
	rows, err := q.QueryContext(ctx, `SELECT code, year, value::text, source, note, known_from FROM registry.official_values
		WHERE region_code = ? AND year BETWEEN ? AND ? AND known_from <= ? AND (known_to IS NULL OR known_to > ?)
		ORDER BY year, code`, region, from, to, k, k)
	if err != nil {
		return nil, fmt.Errorf("indicator: official values: %w", err)
	}
	defer rows.Close()
	out := map[int]map[string]OfficialValue{}
	for rows.Next() {
		o := OfficialValue{RegionCode: region}
		if err := rows.Scan(&o.Code, &o.Year, &o.Value, &o.Source, &o.Note, &o.Seq); err != nil {
			return nil, err
		}
		def, ok := definitionOf(o.Code)
		if !ok {
			continue
		}
		o.Value = ratOf(o.Value).FloatString(scale(def.Unit))
		o.EffectiveOn = term.New(o.Year, 12, 31)
		if out[o.Year] == nil {
			out[o.Year] = map[string]OfficialValue{}
		}
		out[o.Year][o.Code] = o
	}
	return out, rows.Err()
}

// Reconciliation compares the computed figures at a year-end with the official ones.
type Reconciliation struct {
	Region   string      `json:"region"`
	Year     int         `json:"year"`
	AsOf     term.Date   `json:"as_of" doc:"31 December of the year (today for the current year)"`
	KnownAt  *time.Time  `json:"known_at"`
	KnownSeq int64       `json:"known_seq"`
	Items    []ReconItem `json:"items" nullable:"false"`
}

// ReconItem is one figure with an official value.
type ReconItem struct {
	Code       string  `json:"code"`
	NameZH     string  `json:"name_zh"`
	NameEN     string  `json:"name_en"`
	Unit       string  `json:"unit"`
	Computed   *string `json:"computed" doc:"The value computed at the year-end; null when it cannot be computed"`
	Official   string  `json:"official"`
	Difference *string `json:"difference" doc:"computed − official, in the indicator's unit"`
	Ratio      *string `json:"ratio" doc:"computed ÷ official, 4 decimals; null over a zero official value"`
	Source     string  `json:"source"`
	Note       string  `json:"note,omitempty"`
}

// Reconcile lists, for region and year, each figure with an official value: the value computed
// at the year-end as known at knownAt, the official value, difference and ratio.
func (s *Service) Reconcile(ctx context.Context, region string, year int, knownAt time.Time) (Reconciliation, error) {
	today := s.reg.Today()
	if year < 2000 || year > today.Year() {
		return Reconciliation{}, invalid("year_out_of_range", "query.year", "year is from 2000 to %d", today.Year())
	}
	out := Reconciliation{Region: region, Year: year, AsOf: minDate(term.New(year, 12, 31), today), Items: []ReconItem{}}
	err := s.snapshot(ctx, func(q querier) error {
		sc, err := s.newScope(ctx, q, region, knownAt)
		if err != nil {
			return err
		}
		out.KnownSeq = sc.k
		items, err := reconcileYear(ctx, q, sc, out.AsOf, year)
		out.Items = items
		return err
	})
	if !knownAt.IsZero() {
		t := knownAt.UTC()
		out.KnownAt = &t
	}
	return out, err
}

// reconcileYear compares the figures on asOf with the official values of year.
func reconcileYear(ctx context.Context, q querier, sc scope, asOf term.Date, year int) ([]ReconItem, error) {
	off, err := officials(ctx, q, sc.region, year, year, sc.k)
	if err != nil || len(off[year]) == 0 {
		return []ReconItem{}, err
	}
	fig, err := figuresAt(ctx, q, sc, asOf)
	if err != nil {
		return nil, err
	}
	return reconItems(fig, off[year]), nil
}

func reconItems(fig figures, off map[string]OfficialValue) []ReconItem {
	items := []ReconItem{}
	for _, def := range definitions {
		o, ok := off[def.Code]
		if !ok {
			continue
		}
		it := ReconItem{Code: def.Code, NameZH: def.NameZH, NameEN: def.NameEN, Unit: def.Unit, Official: o.Value, Source: o.Source,
			Note: fig.notes[def.Code]}
		if v, ok := fig.values[def.Code]; ok {
			it.Computed = &v
			c, w := ratOf(v), ratOf(o.Value)
			diff := new(big.Rat).Sub(c, w).FloatString(scale(def.Unit))
			it.Difference = &diff
			if w.Sign() > 0 {
				r := roundHalfAway(new(big.Rat).Quo(c, w), 4)
				it.Ratio = &r
			} else {
				addNoteTo(&it.Note, "the official value is zero: no ratio")
			}
		}
		items = append(items, it)
	}
	return items
}

// incompleteShare: a computed baseline-year value under this share of the official one marks
// the load as incomplete.
var incompleteShare = big.NewRat(9, 10)

// incompleteNote says the load looks incomplete when the value computed on the plan's baseline
// date is under 90% of the official one; "" otherwise.
func incompleteNote(computed *string, o OfficialValue) string {
	if computed == nil {
		return ""
	}
	c, w := ratOf(*computed), ratOf(o.Value)
	if c.Cmp(new(big.Rat).Mul(w, incompleteShare)) >= 0 {
		return ""
	}
	return fmt.Sprintf("the load looks incomplete: the value computed on %s, %s, is under 90%% of the official %s", PlanBaseOn, *computed, o.Value)
}

func addNoteTo(note *string, s string) {
	if *note != "" {
		*note += "; "
	}
	*note += s
}
