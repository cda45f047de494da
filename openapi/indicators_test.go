package openapi_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"ipledger/ledger"
	"ipledger/registry/access"
	"ipledger/registry/indicator"
)

func TestIndicators(t *testing.T) {
	e := newEnv(t)
	ind := indicator.New(e.reg)
	if err := ind.Seed(ledger.WithActor(t.Context(), "system")); err != nil {
		t.Fatal(err)
	}
	planner, admin := e.tokens[access.Planner], e.tokens[access.Admin]
	today := e.reg.Today().String()

	t.Run("Report", func(t *testing.T) {
		m := e.do("GET", "/v1/indicators?region=150500&as_of=2023-06-30", planner, nil).status(http.StatusOK).json()
		if m["region"] != "150500" || m["as_of"] != "2023-06-30" || m["known_at"] != nil {
			t.Fatalf("report = %v", m)
		}
		pop := m["population"].(map[string]any)
		if pop["year"].(float64) != 2022 || pop["residents"].(float64) != 2834600 {
			t.Errorf("population = %v", pop)
		}
		codes := map[string]map[string]any{}
		for _, x := range m["indicators"].([]any) {
			v := x.(map[string]any)
			codes[v["code"].(string)] = v
		}
		for _, c := range []string{"valid_invention_patents", "valid_invention_patents_per_10k", "high_value_invention_patents",
			"high_value_invention_patents_per_10k", "valid_trademarks", "well_known_marks", "gi_marks", "gi_products",
			"pledge_financing_amount_period", "pledge_financing_amount_year", "pledge_financing_growth_yoy", "pledge_count_year",
			"pledged_enterprises_year", "foreign_family_patents", "software_copyrights", "plant_varieties"} {
			if codes[c] == nil {
				t.Errorf("no %s", c)
			}
		}
		if v := codes["pledge_financing_amount_period"]; v["value"] != "0.00" || v["target"].(map[string]any)["value"] != "150000000.00" {
			t.Errorf("period = %v", v)
		}
		if v := codes["valid_invention_patents_per_10k"]; v["value"] != "0.0000" {
			t.Errorf("per 10k = %v", v)
		}
		if v := codes["pledge_financing_growth_yoy"]; v["value"] != nil || v["note"] == "" {
			t.Errorf("growth = %v", v)
		}
		d := e.do("GET", "/v1/indicators", planner, nil).status(http.StatusOK).json()
		if d["as_of"] != today || d["region"] != "150500" {
			t.Errorf("defaults: %v %v", d["as_of"], d["region"])
		}
		e.do("GET", "/v1/indicators?region=150571&known_at=2024-01-31T18:00:00%2B08:00", e.tokens[access.Auditor], nil).status(http.StatusOK)
	})
	t.Run("Refused", func(t *testing.T) {
		p := e.do("GET", "/v1/indicators?region=999999", planner, nil).problem(http.StatusUnprocessableEntity, "region_unknown")
		if !strings.Contains(string(mustJSON(t, p["errors"])), "query.region") {
			t.Errorf("problem does not name query.region: %v", p)
		}
		e.do("GET", "/v1/indicators?as_of=1999-12-31", planner, nil).problem(http.StatusUnprocessableEntity, "as_of_out_of_range")
		e.do("GET", "/v1/indicators?as_of=2999-01-01", planner, nil).problem(http.StatusUnprocessableEntity, "as_of_out_of_range")
		e.do("GET", "/v1/indicators?as_of=2023-02-29", planner, nil).problem(http.StatusUnprocessableEntity, "as_of_invalid")
		e.do("GET", "/v1/indicators?known_at=yesterday", planner, nil).problem(http.StatusUnprocessableEntity, "known_at_invalid")
		e.do("GET", "/v1/indicators", e.tokens[access.Bank], nil).problem(http.StatusForbidden, "forbidden")
		e.do("POST", "/v1/indicators/population", planner, map[string]any{"region": "150500", "year": 2023, "residents": 1}).problem(http.StatusForbidden, "forbidden")
	})
	t.Run("AdminReferenceData", func(t *testing.T) {
		e.do("POST", "/v1/indicators/population", admin, map[string]any{"region": "150500", "year": 2023, "residents": 2815000}).status(http.StatusCreated)
		m := e.do("GET", "/v1/indicators?as_of=2024-01-02", planner, nil).status(http.StatusOK).json()
		if pop := m["population"].(map[string]any); pop["year"].(float64) != 2023 || pop["residents"].(float64) != 2815000 {
			t.Errorf("population = %v", pop)
		}
		e.do("POST", "/v1/indicators/baselines", admin, map[string]any{"code": "valid_invention_patents", "region": "150500", "value": "1000"}).status(http.StatusCreated)
		e.do("POST", "/v1/indicators/targets", admin, map[string]any{"code": "gi_products", "region": "150500", "due": "2025-12-31", "value": "6"}).status(http.StatusCreated)
		e.do("POST", "/v1/indicators/targets", admin, map[string]any{"code": "nope", "region": "150500", "due": "2025-12-31", "value": "6"}).problem(http.StatusUnprocessableEntity, "indicator_unknown")
		e.do("POST", "/v1/indicators/targets", admin, map[string]any{"code": "gi_products", "region": "150500", "due": "2025-12-31", "value": "6.5"}).problem(http.StatusUnprocessableEntity, "value_invalid")
		m = e.do("GET", "/v1/indicators?as_of=2024-01-02", planner, nil).status(http.StatusOK).json()
		for _, x := range m["indicators"].([]any) {
			v := x.(map[string]any)
			switch v["code"] {
			case "valid_invention_patents":
				if tg := v["target"].(map[string]any); tg["value"] != "1200" {
					t.Errorf("relative target = %v", tg)
				}
			case "gi_products":
				if tg := v["target"].(map[string]any); tg["value"] != "6" {
					t.Errorf("target = %v", tg)
				}
			}
		}
	})
	t.Run("Series", func(t *testing.T) {
		m := e.do("GET", "/v1/indicators/series?code=valid_trademarks&from=2021&to=2023", planner, nil).status(http.StatusOK).json()
		if items := m["items"].([]any); len(items) != 3 || items[2].(map[string]any)["as_of"] != "2023-12-31" {
			t.Errorf("series = %v", m)
		}
		e.do("GET", "/v1/indicators/series?code=nope", planner, nil).problem(http.StatusUnprocessableEntity, "indicator_unknown")
	})
	t.Run("Export", func(t *testing.T) {
		r := e.do("GET", "/v1/indicators/export?format=xlsx&as_of=2023-12-31", planner, nil).status(http.StatusOK)
		if ct := r.Header.Get("Content-Type"); ct != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" {
			t.Errorf("Content-Type = %q", ct)
		}
		if cd := r.Header.Get("Content-Disposition"); !strings.Contains(cd, `filename="indicators-150500-2023-12-31.xlsx"`) {
			t.Errorf("Content-Disposition = %q", cd)
		}
		f, err := excelize.OpenReader(bytes.NewReader(r.Body))
		if err != nil {
			t.Fatalf("not a workbook: %v", err)
		}
		rows, err := f.GetRows(f.GetSheetName(0))
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, row := range rows {
			if len(row) > 7 && row[0] == "pledge_financing_amount_period" && row[1] != "" && row[2] != "" {
				found = true
			}
		}
		if !found {
			t.Errorf("no indicator row in %v", rows)
		}
		c := e.do("GET", "/v1/indicators/export?format=csv&as_of=2023-12-31", planner, nil).status(http.StatusOK)
		if ct := c.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
			t.Errorf("Content-Type = %q", ct)
		}
		if !strings.Contains(string(c.Body), "有效注册商标总量") || !strings.Contains(c.Header.Get("Content-Disposition"), ".csv") {
			t.Errorf("csv = %s", c.Body)
		}
	})
	t.Run("Reconciliation", func(t *testing.T) {
		registrar := e.tokens[access.Registrar]
		body := map[string]any{"code": "valid_trademarks", "region": "150500", "year": 2020, "value": "15100", "source": "2020年统计公报"}
		e.do("POST", "/v1/indicators/officials", planner, body).problem(http.StatusForbidden, "forbidden")
		p := e.do("POST", "/v1/indicators/officials", registrar, map[string]any{"code": "valid_trademarks", "region": "150500",
			"year": 2020, "value": "15100", "source": " "}).problem(http.StatusUnprocessableEntity, "source_required")
		if !strings.Contains(string(mustJSON(t, p["errors"])), "body.source") {
			t.Errorf("problem does not name body.source: %v", p)
		}
		e.do("POST", "/v1/indicators/officials", registrar, map[string]any{"code": "valid_trademarks", "region": "150500",
			"year": e.reg.Today().Year(), "value": "1", "source": "x"}).problem(http.StatusUnprocessableEntity, "year_out_of_range")
		o := e.do("POST", "/v1/indicators/officials", registrar, body).status(http.StatusCreated).json()
		if o["value"] != "15100" || o["year"].(float64) != 2020 || o["effective_on"] != "2020-12-31" {
			t.Errorf("official = %v", o)
		}
		m := e.do("GET", "/v1/indicators/reconciliation?year=2020", planner, nil).status(http.StatusOK).json()
		items := m["items"].([]any)
		if len(items) != 1 {
			t.Fatalf("reconciliation = %v", m)
		}
		it := items[0].(map[string]any)
		if it["code"] != "valid_trademarks" || it["computed"] != "0" || it["official"] != "15100" || it["difference"] != "-15100" ||
			it["ratio"] != "0.0000" || it["source"] != "2020年统计公报" || m["as_of"] != "2020-12-31" {
			t.Errorf("item = %v", it)
		}
		e.do("GET", "/v1/indicators/reconciliation?year=1999", planner, nil).problem(http.StatusUnprocessableEntity, "validation_failed")
		e.do("GET", "/v1/indicators/reconciliation?year=2020", e.tokens[access.Bank], nil).problem(http.StatusForbidden, "forbidden")
		// The load is incomplete (0 of 15,100 at end-2020): every status of the figure says so.
		r := e.do("GET", "/v1/indicators?as_of=2023-06-30", planner, nil).status(http.StatusOK).json()
		for _, x := range r["indicators"].([]any) {
			v := x.(map[string]any)
			if v["code"] == "valid_trademarks" && (v["status"] == nil || !strings.Contains(v["note"].(string), "the load looks incomplete")) {
				t.Errorf("valid_trademarks = %v", v)
			}
		}
		x := e.do("GET", "/v1/indicators/export?format=xlsx&as_of=2023-12-31", planner, nil).status(http.StatusOK)
		f, err := excelize.OpenReader(bytes.NewReader(x.Body))
		if err != nil {
			t.Fatal(err)
		}
		if rows, err := f.GetRows(indicator.XLSXReconSheet); err != nil || len(rows) < 4 || rows[3][1] != "valid_trademarks" {
			t.Errorf("reconciliation sheet = %v, %v", rows, err)
		}
	})
	t.Run("Comparison", func(t *testing.T) {
		tg := e.do("POST", "/v1/indicators/targets", admin, map[string]any{"code": "gi_products", "region": "150500", "due": "2025-12-31",
			"value": "6", "comparison": "above"}).status(http.StatusCreated).json()
		if tg["comparison"] != "above" {
			t.Errorf("target = %v", tg)
		}
		e.do("POST", "/v1/indicators/targets", admin, map[string]any{"code": "gi_products", "region": "150500", "due": "2025-12-31",
			"value": "6", "comparison": "over"}).problem(http.StatusUnprocessableEntity, "validation_failed")
	})
	t.Run("ForeignFamily", func(t *testing.T) {
		// add_foreign_family carries family_status and family_granted_on; only a granted
		// family patent counts, from its grant.
		reg := e.tokens[access.Registrar]
		owner := e.do("POST", "/v1/parties", reg, map[string]any{"name": "通辽同族测试有限公司", "kind": "enterprise",
			"region_code": "150502"}).status(http.StatusCreated).json()["id"].(string)
		asset := e.do("POST", "/v1/assets", reg, map[string]any{"kind": "invention_patent", "number": "201910345678.6", "title": "同族",
			"owner_ids": []string{owner}, "filed_on": "2019-05-06", "granted_on": "2021-08-10"}).status(http.StatusCreated).json()["id"].(string)
		path := "/v1/assets/" + asset + "/events"
		p := e.do("POST", path, reg, map[string]any{"type": "add_foreign_family", "effective_on": "2023-06-01", "country": "US",
			"family_number": "US1", "family_status": "granted"}).problem(http.StatusUnprocessableEntity, "family_granted_on_required")
		if !strings.Contains(string(mustJSON(t, p["errors"])), "body.family_granted_on") {
			t.Errorf("problem does not name body.family_granted_on: %v", p)
		}
		e.do("POST", path, reg, map[string]any{"type": "add_foreign_family", "effective_on": "2023-06-01", "country": "WO",
			"family_number": "PCT/CN2020/1", "family_status": "granted", "family_granted_on": "2023-01-01"}).problem(http.StatusUnprocessableEntity, "family_status_invalid")
		e.do("POST", path, reg, map[string]any{"type": "grant", "effective_on": "2023-06-01", "family_status": "pending"}).problem(http.StatusUnprocessableEntity, "field_not_allowed")
		a := e.do("POST", path, reg, map[string]any{"type": "add_foreign_family", "effective_on": "2023-06-01", "country": "US",
			"family_number": "US1", "family_date": "2020-01-10", "family_status": "granted", "family_granted_on": "2023-05-10"}).status(http.StatusOK).json()
		fam := a["foreign_family"].([]any)[0].(map[string]any)
		if fam["status"] != "granted" || fam["granted_on"] != "2023-05-10" {
			t.Errorf("family member = %v", fam)
		}
		value := func(asOf, code string) any {
			r := e.do("GET", "/v1/indicators?region=150502&as_of="+asOf, planner, nil).status(http.StatusOK).json()
			for _, x := range r["indicators"].([]any) {
				if v := x.(map[string]any); v["code"] == code {
					return v["value"]
				}
			}
			return nil
		}
		if a, b := value("2023-05-09", "foreign_family_patents"), value("2023-05-10", "foreign_family_patents"); a != "0" || b != "1" {
			t.Errorf("foreign_family_patents on 2023-05-09, -10 = %v, %v", a, b)
		}
		if got := value("2023-05-10", "pct_foreign_applications_period"); got != "0" {
			t.Errorf("applications to 2023-05-10 = %v, want 0 (filed 2020, before the period)", got)
		}
	})
	t.Run("Definitions", func(t *testing.T) {
		m := e.do("GET", "/v1/indicators/definitions", planner, nil).status(http.StatusOK).json()
		if len(m["indicators"].([]any)) < 16 || m["rules"].(map[string]any)["rounding"] == "" {
			t.Errorf("definitions = %v", m)
		}
	})
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
