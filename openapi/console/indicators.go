package console

import (
	"encoding/json"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"ipledger/registry"
	"ipledger/registry/indicator"
	"ipledger/registry/term"
)

type indicatorsData struct {
	Regions []registry.Region
	Units   []registry.Region
	Form    *form
	Report  *indicator.Report
	Rows    []indicatorRow
	// Query repeats the region, as_of and known_at for the download links and the charts.
	Query   template.URL
	KnownAt string
}

type indicatorRow struct {
	indicator.Value
	StatusKey string
	UnitKey   string
}

// indicatorsPage is the plan's table for a region on a date, as the API computes it: the
// figures are the report's strings, unchanged.
func (c *Console) indicatorsPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := newForm(q)
	if f.V("region") == "" {
		f.Values.Set("region", registry.CityCode)
	}
	d := indicatorsData{Form: f}
	regions, err := c.Registry.Regions(r.Context())
	if err != nil {
		c.render(w, r, c.refuse(r, f, err), "indicators", "title_indicators", d)
		return
	}
	for _, x := range regions {
		if x.ParentCode == "" || x.IsUnit {
			d.Regions = append(d.Regions, x)
		}
		if x.IsUnit {
			d.Units = append(d.Units, x)
		}
	}
	asOf, knownAt, err := c.indicatorDates(f.V("as_of"), f.V("known_at"))
	if err != nil {
		c.render(w, r, c.refuse(r, f, err, "as_of", "known_at"), "indicators", "title_indicators", d)
		return
	}
	rep, err := c.ind.Compute(r.Context(), f.V("region"), asOf, knownAt)
	if err != nil {
		c.render(w, r, c.refuse(r, f, err, "region", "as_of", "known_at"), "indicators", "title_indicators", d)
		return
	}
	d.Report = &rep
	if f.V("as_of") == "" {
		f.Values.Set("as_of", rep.AsOf.String())
	}
	if !knownAt.IsZero() {
		d.KnownAt = knownAt.Format(time.RFC3339)
	}
	q = url.Values{"region": {rep.Region}, "as_of": {rep.AsOf.String()}}
	if d.KnownAt != "" {
		q.Set("known_at", d.KnownAt)
	}
	d.Query = template.URL(q.Encode())
	for _, v := range rep.Indicators {
		d.Rows = append(d.Rows, indicatorRow{Value: v, StatusKey: statusKey(v, rep.AsOf), UnitKey: "unit_" + v.Unit})
	}
	c.render(w, r, http.StatusOK, "indicators", "title_indicators", d)
}

// statusKey names the colour and word of a status: 达标, 按期, 落后 (behind the straight line to
// a target still ahead) and 未达标 (missed: the target's due date has passed).
func statusKey(v indicator.Value, _ term.Date) string {
	switch v.Status {
	case indicator.StatusMet:
		return "status_met"
	case indicator.StatusOnTrack:
		return "status_on_track"
	case indicator.StatusBehind:
		return "status_behind"
	case indicator.StatusMissed:
		return "status_missed"
	}
	return ""
}

// indicatorDates reads as_of (default today, office time; 2000-01-01 to today) and known_at
// (RFC 3339, or a date and time without zone, taken as office time, as a date picker sends),
// by the API's rules.
func (c *Console) indicatorDates(asOf, knownAt string) (term.Date, time.Time, error) {
	today := c.Registry.Today()
	d := today
	if asOf = strings.TrimSpace(asOf); asOf != "" {
		var err error
		if d, err = term.ParseDate(asOf); err != nil {
			return d, time.Time{}, &refusal{Field: "as_of", Code: "as_of_invalid"}
		}
		if d.Before(term.New(2000, 1, 1)) || d.After(today) {
			return d, time.Time{}, &refusal{Field: "as_of", Code: "as_of_out_of_range"}
		}
	}
	var t time.Time
	if knownAt = strings.TrimSpace(knownAt); knownAt != "" {
		var err error
		if t, err = time.Parse(time.RFC3339Nano, knownAt); err != nil {
			if t, err = time.ParseInLocation("2006-01-02T15:04", knownAt, registry.Office); err != nil {
				if t, err = time.ParseInLocation("2006-01-02T15:04:05", knownAt, registry.Office); err != nil {
					return d, t, &refusal{Field: "known_at", Code: "known_at_invalid"}
				}
			}
		}
	}
	return d, t, nil
}

// indicatorsExport is the API's XLSX or CSV of the same report.
func (c *Console) indicatorsExport(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	region := q.Get("region")
	if region == "" {
		region = registry.CityCode
	}
	asOf, knownAt, err := c.indicatorDates(q.Get("as_of"), q.Get("known_at"))
	if err != nil {
		c.errorPage(w, r, http.StatusUnprocessableEntity, "err_form")
		return
	}
	rep, err := c.ind.Compute(r.Context(), region, asOf, knownAt)
	if err != nil {
		f := newForm(nil)
		status := c.refuse(r, f, err)
		c.render(w, r, status, "error", "title_error", errorData{Status: status, Message: f.General})
		return
	}
	name := "indicators-" + rep.Region + "-" + rep.AsOf.String()
	var body []byte
	if q.Get("format") == "csv" {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		name += ".csv"
		body = rep.CSV()
	} else {
		if body, err = rep.XLSX(); err != nil {
			c.Log.ErrorContext(r.Context(), "console export", "err", err)
			c.errorPage(w, r, http.StatusInternalServerError, "err_internal")
			return
		}
		w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
		name += ".xlsx"
	}
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	_, _ = w.Write(body)
}

// indicatorSeries is one indicator's year-end values, the API's series as JSON, for a chart.
func (c *Console) indicatorSeries(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	region := q.Get("region")
	if region == "" {
		region = registry.CityCode
	}
	_, knownAt, err := c.indicatorDates("", q.Get("known_at"))
	if err != nil {
		http.Error(w, "bad known_at", http.StatusUnprocessableEntity)
		return
	}
	to := min(2025, c.Registry.Today().Year())
	rep, err := c.ind.Series(r.Context(), q.Get("code"), region, 2021, to, knownAt)
	if err != nil {
		f := newForm(nil)
		status := c.refuse(r, f, err)
		http.Error(w, f.General, status)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(rep)
}
