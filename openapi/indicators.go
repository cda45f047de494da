package openapi

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"ipledger/registry/access"
	"ipledger/registry/indicator"
	"ipledger/registry/term"
)

// Who reads indicators, and who records the plan's reference data.
var (
	indicatorReaders = roles(access.Planner, access.Admin, access.Auditor, access.Registrar)
	referenceWriters = roles(access.Admin)
	// Official figures come from the office's own publications: admins and registrars enter them.
	officialWriters = roles(access.Admin, access.Registrar)
)

type indicatorsInput struct {
	Region  string `query:"region" maxLength:"6" default:"150500" doc:"The city 150500 (the sum of its units) or one of its 9 units"`
	AsOf    string `query:"as_of" maxLength:"10" doc:"Business date YYYY-MM-DD, 2000-01-01 to today (office time, UTC+8); default today"`
	KnownAt string `query:"known_at" maxLength:"40" doc:"RFC 3339 time: count only what had been recorded by then; default now"`
}

type indicatorsOutput struct{ Body indicator.Report }

type seriesInput struct {
	Code    string `query:"code" required:"true" maxLength:"64"`
	Region  string `query:"region" maxLength:"6" default:"150500"`
	From    int    `query:"from" minimum:"2000" maximum:"2100" default:"2021"`
	To      int    `query:"to" minimum:"0" maximum:"2100" doc:"Last year; default the plan's last year (2025) or the current year, whichever is earlier"`
	KnownAt string `query:"known_at" maxLength:"40"`
}

type seriesOutput struct{ Body indicator.SeriesReport }

type exportInput struct {
	Format  string `query:"format" enum:"xlsx,csv" default:"xlsx"`
	Region  string `query:"region" maxLength:"6" default:"150500"`
	AsOf    string `query:"as_of" maxLength:"10" doc:"Default today"`
	KnownAt string `query:"known_at" maxLength:"40"`
}

type exportOutput struct {
	ContentType        string `header:"Content-Type"`
	ContentDisposition string `header:"Content-Disposition"`
	Body               []byte
}

type definitionsBody struct {
	Rules      map[string]string      `json:"rules" doc:"counting, known_at, population, rounding, targets, spans, reconciliation"`
	Indicators []indicator.Definition `json:"indicators"`
}

type definitionsOutput struct{ Body definitionsBody }

type populationInput struct {
	Body struct {
		Region    string `json:"region" minLength:"6" maxLength:"6"`
		Year      int    `json:"year" minimum:"2000" maximum:"2100"`
		Residents int64  `json:"residents" minimum:"1"`
		Source    string `json:"source,omitempty" maxLength:"500"`
	}
}

type populationOutput struct {
	Status int
	Body   indicator.Population
}

type targetInput struct {
	Body struct {
		Code   string `json:"code" maxLength:"64"`
		Region string `json:"region" minLength:"6" maxLength:"6"`
		Due    string `json:"due" format:"date"`
		Basis  string `json:"basis,omitempty" enum:"absolute,percent_over_baseline,increase_over_baseline" default:"absolute"`
		Value  string `json:"value" maxLength:"30" doc:"Decimal string in the indicator's unit (absolute, increase) or a percentage (percent_over_baseline)"`
		BaseOn string `json:"base_on,omitempty" format:"date" doc:"The baseline's date for a relative target; default 2020-12-31"`
		// How the plan words the target.
		Comparison string `json:"comparison,omitempty" enum:"at_least,above" default:"at_least" doc:"at_least: met at the value (达到 X, X 左右); above: met only above it (超过 X)"`
		Note       string `json:"note,omitempty" maxLength:"1000"`
	}
}

type targetOutput struct {
	Status int
	Body   indicator.Target
}

type baselineInput struct {
	Body struct {
		Code   string `json:"code" maxLength:"64"`
		Region string `json:"region" minLength:"6" maxLength:"6"`
		On     string `json:"on,omitempty" format:"date" doc:"Default 2020-12-31 (end of the 13th plan)"`
		Value  string `json:"value" maxLength:"30"`
		Note   string `json:"note,omitempty" maxLength:"1000"`
	}
}

type baselineOutput struct {
	Status int
	Body   indicator.Baseline
}

type officialInput struct {
	Body struct {
		Code   string `json:"code" maxLength:"64"`
		Region string `json:"region" minLength:"6" maxLength:"6"`
		Year   int    `json:"year" minimum:"2000" maximum:"2100" doc:"A year that has ended; the value is for its 31 December"`
		Value  string `json:"value" maxLength:"30" doc:"Decimal string in the indicator's unit"`
		Source string `json:"source" minLength:"1" maxLength:"500" doc:"The publication it is taken from, e.g. 通辽市2020年国民经济和社会发展统计公报"`
		Note   string `json:"note,omitempty" maxLength:"1000"`
	}
}

type officialOutput struct {
	Status int
	Body   indicator.OfficialValue
}

type reconciliationInput struct {
	Year    int    `query:"year" required:"true" minimum:"2000" maximum:"2100"`
	Region  string `query:"region" maxLength:"6" default:"150500"`
	KnownAt string `query:"known_at" maxLength:"40"`
}

type reconciliationOutput struct{ Body indicator.Reconciliation }

const indicatorsDoc = `The plan's indicators for a region on an as-of date. Counts are of rights valid on the as-of date in the region's units; the city is the sum of its 9 units. Money is a decimal string in CNY; per-10k figures have 4 decimals, rounded half away from zero. Financing counts each registration once at its registered amount on its registration date, plus each amendment's increase on its date, in the first pledgor's unit; releases do not subtract. ` +
	"`known_at`" + ` reproduces a figure as published: only entries recorded by then count. ` +
	"GET /v1/indicators/definitions and docs/INDICATORS.md say how each figure is computed."

func (s *Server) registerIndicators() {
	var ind *indicator.Service
	if s.Registry != nil {
		ind = indicator.New(s.Registry, indicator.WithReadDB(s.ReadDB))
	}
	tags := []string{"indicators"}

	register(s, huma.Operation{
		OperationID: "get-indicators", Method: http.MethodGet, Path: "/v1/indicators", Tags: tags,
		Summary: "Every indicator for a region and date", Description: indicatorsDoc,
		Errors: []int{http.StatusUnprocessableEntity},
	}, indicatorReaders, func(ctx context.Context, in *indicatorsInput) (*indicatorsOutput, error) {
		asOf, knownAt, err := s.indicatorDates(in.AsOf, in.KnownAt)
		if err != nil {
			return nil, err
		}
		r, err := ind.Compute(ctx, in.Region, asOf, knownAt)
		if err != nil {
			return nil, s.problemFrom(ctx, err)
		}
		return &indicatorsOutput{Body: r}, nil
	})

	register(s, huma.Operation{
		OperationID: "get-indicator-series", Method: http.MethodGet, Path: "/v1/indicators/series", Tags: tags,
		Summary:     "One indicator's year-end values",
		Description: "Values on 31 December of each year from `from` to `to` (the current year: as of today, marked partial), all from one snapshot.",
		Errors:      []int{http.StatusUnprocessableEntity},
	}, indicatorReaders, func(ctx context.Context, in *seriesInput) (*seriesOutput, error) {
		_, knownAt, err := s.indicatorDates("", in.KnownAt)
		if err != nil {
			return nil, err
		}
		to := in.To
		if to == 0 {
			to = min(2025, s.Registry.Today().Year())
		}
		r, err := ind.Series(ctx, in.Code, in.Region, in.From, to, knownAt)
		if err != nil {
			return nil, s.problemFrom(ctx, err)
		}
		return &seriesOutput{Body: r}, nil
	})

	register(s, huma.Operation{
		OperationID: "export-indicators", Method: http.MethodGet, Path: "/v1/indicators/export", Tags: tags,
		Summary:     "The plan's indicator table as a spreadsheet",
		Description: "XLSX (default) or CSV (UTF-8 with BOM): the region named (and, for the city, the units it sums); per indicator its Chinese and English names, unit, value, baseline, target, progress, and status and note in Chinese beside the English (状态 达标/按期/落后/未达标 for met/on_track/behind/missed), each yearly or period figure's span, and the financing figures by kind of right. Numbers are the exact decimal strings of GET /v1/indicators. The XLSX workbook has a second sheet, 对账 reconciliation, when official values are recorded for the region for a year ended by the as-of date (as GET /v1/indicators/reconciliation, every such year).",
		Errors:      []int{http.StatusUnprocessableEntity},
		Responses: map[string]*huma.Response{"200": {Description: "The table", Content: map[string]*huma.MediaType{
			"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {Schema: &huma.Schema{Type: "string", Format: "binary"}},
			"text/csv": {Schema: &huma.Schema{Type: "string"}},
		}}},
	}, indicatorReaders, func(ctx context.Context, in *exportInput) (*exportOutput, error) {
		asOf, knownAt, err := s.indicatorDates(in.AsOf, in.KnownAt)
		if err != nil {
			return nil, err
		}
		r, err := ind.Compute(ctx, in.Region, asOf, knownAt)
		if err != nil {
			return nil, s.problemFrom(ctx, err)
		}
		name := "indicators-" + r.Region + "-" + r.AsOf.String()
		if in.Format == "csv" {
			return &exportOutput{ContentType: "text/csv; charset=utf-8",
				ContentDisposition: `attachment; filename="` + name + `.csv"`, Body: r.CSV()}, nil
		}
		b, err := r.XLSX()
		if err != nil {
			return nil, s.problemFrom(ctx, err)
		}
		return &exportOutput{ContentType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
			ContentDisposition: `attachment; filename="` + name + `.xlsx"`, Body: b}, nil
	})

	register(s, huma.Operation{
		OperationID: "get-indicator-definitions", Method: http.MethodGet, Path: "/v1/indicators/definitions", Tags: tags,
		Summary: "How each indicator is computed", Description: "The same text as docs/INDICATORS.md.",
	}, indicatorReaders, func(ctx context.Context, _ *struct{}) (*definitionsOutput, error) {
		out := &definitionsOutput{Body: definitionsBody{Rules: map[string]string{}, Indicators: indicator.Definitions()}}
		for _, r := range indicator.Rules() {
			out.Body.Rules[r[0]] = r[1]
		}
		return out, nil
	})

	register(s, huma.Operation{
		OperationID: "record-population", Method: http.MethodPost, Path: "/v1/indicators/population", Tags: tags,
		Summary:       "Record a year-end resident population",
		Description:   "Recording the same region and year again corrects the figure from now on; indicators asked with an earlier known_at keep the earlier one.",
		DefaultStatus: http.StatusCreated,
	}, referenceWriters, func(ctx context.Context, in *populationInput) (*populationOutput, error) {
		p, err := ind.RecordPopulation(ctx, indicator.PopulationInput{RegionCode: in.Body.Region, Year: in.Body.Year,
			Residents: in.Body.Residents, Source: strings.TrimSpace(in.Body.Source)})
		if err != nil {
			return nil, s.problemFrom(ctx, err)
		}
		return &populationOutput{Status: http.StatusCreated, Body: p}, nil
	})

	register(s, huma.Operation{
		OperationID: "set-indicator-target", Method: http.MethodPost, Path: "/v1/indicators/targets", Tags: tags,
		Summary:       "Set or revise a target",
		Description:   "One target per indicator, region and due date; setting it again revises it. A relative target (percent_over_baseline, increase_over_baseline) has a value once the baseline of base_on is recorded.",
		DefaultStatus: http.StatusCreated,
	}, referenceWriters, func(ctx context.Context, in *targetInput) (*targetOutput, error) {
		due, err := parseDate("body.due", in.Body.Due)
		if err != nil {
			return nil, err
		}
		base, err := parseDate("body.base_on", in.Body.BaseOn)
		if err != nil {
			return nil, err
		}
		t, err := ind.SetTarget(ctx, indicator.TargetInput{Code: in.Body.Code, RegionCode: in.Body.Region, Due: due,
			Basis: in.Body.Basis, Value: in.Body.Value, BaseOn: base, Comparison: in.Body.Comparison, Note: in.Body.Note})
		if err != nil {
			return nil, s.problemFrom(ctx, err)
		}
		return &targetOutput{Status: http.StatusCreated, Body: t}, nil
	})

	register(s, huma.Operation{
		OperationID: "set-indicator-baseline", Method: http.MethodPost, Path: "/v1/indicators/baselines", Tags: tags,
		Summary:       "Set or correct a baseline",
		Description:   "An indicator's value on a date as the plan states it (default 2020-12-31, the end of the 13th plan).",
		DefaultStatus: http.StatusCreated,
	}, referenceWriters, func(ctx context.Context, in *baselineInput) (*baselineOutput, error) {
		on, err := parseDate("body.on", in.Body.On)
		if err != nil {
			return nil, err
		}
		b, err := ind.SetBaseline(ctx, indicator.BaselineInput{Code: in.Body.Code, RegionCode: in.Body.Region, On: on,
			Value: in.Body.Value, Note: in.Body.Note})
		if err != nil {
			return nil, s.problemFrom(ctx, err)
		}
		return &baselineOutput{Status: http.StatusCreated, Body: b}, nil
	})

	register(s, huma.Operation{
		OperationID: "record-official-value", Method: http.MethodPost, Path: "/v1/indicators/officials", Tags: tags,
		Summary:       "Record an official figure",
		Description:   "An indicator's value for a region at the end of a year that has ended, as a publication states it (`source` required): a ledger entry `official_value.recorded`; the same code, region and year again corrects it from now on. GET /v1/indicators/reconciliation compares the computed figures with these.",
		DefaultStatus: http.StatusCreated,
	}, officialWriters, func(ctx context.Context, in *officialInput) (*officialOutput, error) {
		o, err := ind.RecordOfficial(ctx, indicator.OfficialInput{Code: in.Body.Code, RegionCode: in.Body.Region, Year: in.Body.Year,
			Value: in.Body.Value, Source: strings.TrimSpace(in.Body.Source), Note: in.Body.Note})
		if err != nil {
			return nil, s.problemFrom(ctx, err)
		}
		return &officialOutput{Status: http.StatusCreated, Body: o}, nil
	})

	register(s, huma.Operation{
		OperationID: "get-indicator-reconciliation", Method: http.MethodGet, Path: "/v1/indicators/reconciliation", Tags: tags,
		Summary:     "Computed figures beside the official ones",
		Description: "For each figure with an official value recorded for the region and year: the value computed on 31 December of the year (as known at `known_at`), the official value, the difference (computed − official) and the ratio (computed ÷ official, 4 decimals). When the value computed on 2020-12-31 is under 90% of the official one, GET /v1/indicators notes on every status of that figure that the load looks incomplete.",
		Errors:      []int{http.StatusUnprocessableEntity},
	}, indicatorReaders, func(ctx context.Context, in *reconciliationInput) (*reconciliationOutput, error) {
		_, knownAt, err := s.indicatorDates("", in.KnownAt)
		if err != nil {
			return nil, err
		}
		r, err := ind.Reconcile(ctx, in.Region, in.Year, knownAt)
		if err != nil {
			return nil, s.problemFrom(ctx, err)
		}
		return &reconciliationOutput{Body: r}, nil
	})
}

// indicatorDates reads as_of (default today, office time; 2000-01-01 to today) and known_at.
func (s *Server) indicatorDates(asOf, knownAt string) (term.Date, time.Time, error) {
	today := s.Registry.Today()
	d := today
	if asOf != "" {
		var err error
		if d, err = term.ParseDate(asOf); err != nil {
			return d, time.Time{}, fieldProblem("query.as_of", "as_of_invalid", "as_of is a date YYYY-MM-DD", asOf)
		}
		if d.Before(term.New(2000, 1, 1)) || d.After(today) {
			return d, time.Time{}, fieldProblem("query.as_of", "as_of_out_of_range",
				"as_of must be from 2000-01-01 to today ("+today.String()+")", asOf)
		}
	}
	var t time.Time
	if knownAt != "" {
		var err error
		if t, err = time.Parse(time.RFC3339Nano, knownAt); err != nil {
			return d, t, fieldProblem("query.known_at", "known_at_invalid", "known_at is an RFC 3339 time, e.g. 2024-01-31T18:00:00+08:00", knownAt)
		}
	}
	return d, t, nil
}

func fieldProblem(location, code, msg, value string) *Problem {
	p := newProblem(http.StatusUnprocessableEntity, code, msg)
	p.Errors = []FieldError{{Location: location, Message: msg, Value: value}}
	return p
}
