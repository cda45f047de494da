package indicator

import (
	"context"
	"time"

	"ipledger/registry/term"
)

// SeriesPoint is an indicator's value at the end of a year (or today, for the current year).
type SeriesPoint struct {
	Year    int       `json:"year"`
	AsOf    term.Date `json:"as_of"`
	Partial bool      `json:"partial" doc:"The year is not over: the value is as of today"`
	Value   *string   `json:"value"`
	Note    string    `json:"note,omitempty"`
}

// SeriesReport is one indicator over years.
type SeriesReport struct {
	Code     string        `json:"code"`
	Region   string        `json:"region"`
	Unit     string        `json:"unit"`
	KnownAt  *time.Time    `json:"known_at"`
	KnownSeq int64         `json:"known_seq"`
	Items    []SeriesPoint `json:"items"`
}

// Series returns code's year-end values for region from year from to year to (inclusive),
// all from one snapshot, as known at knownAt.
func (s *Service) Series(ctx context.Context, code, region string, from, to int, knownAt time.Time) (SeriesReport, error) {
	def, ok := definitionOf(code)
	if !ok {
		return SeriesReport{}, invalid("indicator_unknown", "query.code", "no indicator %q", code)
	}
	today := s.reg.Today()
	if from < 2000 || to > today.Year() || from > to || to-from > 50 {
		return SeriesReport{}, invalid("years_out_of_range", "query.to", "want 2000 ≤ from ≤ to ≤ %d", today.Year())
	}
	out := SeriesReport{Code: code, Region: region, Unit: def.Unit, Items: []SeriesPoint{}}
	err := s.snapshot(ctx, func(q querier) error {
		sc, err := s.newScope(ctx, q, region, knownAt)
		if err != nil {
			return err
		}
		out.KnownSeq = sc.k
		for y := from; y <= to; y++ {
			p := SeriesPoint{Year: y, AsOf: term.New(y, 12, 31)}
			if p.AsOf.After(today) {
				p.AsOf, p.Partial = today, true
			}
			f, err := figuresAt(ctx, q, sc, p.AsOf)
			if err != nil {
				return err
			}
			if v, ok := f.values[code]; ok {
				p.Value = &v
			}
			p.Note = f.notes[code]
			out.Items = append(out.Items, p)
		}
		return nil
	})
	if !knownAt.IsZero() {
		t := knownAt.UTC()
		out.KnownAt = &t
	}
	return out, err
}
