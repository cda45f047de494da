package openapi_test

import (
	"bytes"
	"encoding/csv"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"ipledger/registry/access"
)

// Credit records, financing demands and open data over HTTP (docs/SERVICES.md).

func TestCreditOverHTTP(t *testing.T) {
	e := newPledgeEnv(t)
	reg, bank := e.tokens[access.Registrar], e.tokens[access.Bank]
	inv := e.patent()
	path := "/v1/parties/" + e.owner + "/events"
	listing := map[string]any{"type": "credit_listed", "list": "严重违法失信名单", "effective_on": "2025-05-01", "source_ref": "通市监信〔2025〕7号"}

	head := headSeq(t, e.env)
	e.refused(e.do("POST", path, bank, listing), http.StatusForbidden, "forbidden", "", head)
	r := e.do("POST", path, reg, listing).status(http.StatusOK).json()
	ls := r["credit_listings"].([]any)
	if r["credit_listed"] != true || len(ls) != 1 || ls[0].(map[string]any)["list"] != "严重违法失信名单" ||
		ls[0].(map[string]any)["listed_on"] != "2025-05-01" || ls[0].(map[string]any)["removed_on"] != nil {
		t.Fatalf("listed party = %v", r)
	}
	head = headSeq(t, e.env)
	e.refused(e.do("POST", path, reg, listing), http.StatusConflict, "credit_already_listed", "body.list", head)
	e.refused(e.do("POST", path, reg, map[string]any{"type": "credit_removed", "list": "经营异常名录", "source_ref": "x"}),
		http.StatusConflict, "credit_not_listed", "body.list", head)
	e.refused(e.do("POST", path, reg, map[string]any{"type": "credit_removed", "list": "严重违法失信名单", "source_ref": "x", "effective_on": "2025-04-30"}),
		http.StatusUnprocessableEntity, "before_last_change", "body.effective_on", head)
	e.refused(e.do("POST", path, reg, map[string]any{"type": "credit_listed", "list": "经营异常名录"}),
		http.StatusUnprocessableEntity, "source_ref_required", "body.source_ref", head)

	// Lists show it and filter by it.
	clean := e.party("清白公司", "enterprise", "150502")
	for _, c := range []struct {
		q          string
		want, dont string
	}{{"true", e.owner, clean}, {"false", clean, e.owner}} {
		ids := e.listIDs("/v1/parties?limit=1000&credit_listed="+c.q, reg)
		if !containsStr(ids, c.want) || containsStr(ids, c.dont) {
			t.Fatalf("credit_listed=%s: %v", c.q, ids)
		}
	}
	if got := e.do("GET", "/v1/parties/"+e.owner, e.tokens[access.Planner], nil).status(http.StatusOK).json(); got["credit_listed"] != true {
		t.Fatalf("get-party = %v", got)
	}

	// A pledge for the listed pledgor is recorded, with a warning naming the party and the list.
	p := e.do("POST", "/v1/pledges", bank, e.pledgeBody(inv)).status(http.StatusCreated).json()
	ws, _ := p["warnings"].([]any)
	if len(ws) != 1 {
		t.Fatalf("warnings = %v", p["warnings"])
	}
	w := ws[0].(map[string]any)
	if w["code"] != "pledgor_credit_listed" || w["ref"] != e.owner || w["field"] != "body.pledgor_ids[0]" || !strings.Contains(w["message"].(string), "严重违法失信名单") {
		t.Fatalf("warning = %v", w)
	}
	// The read of the pledge carries no warning: it belongs to the registration's answer.
	if got := e.do("GET", "/v1/pledges/"+p["id"].(string), bank, nil).status(http.StatusOK).json(); got["warnings"] != nil {
		t.Fatalf("read carries warnings: %v", got["warnings"])
	}

	r = e.do("POST", path, reg, map[string]any{"type": "credit_removed", "list": "严重违法失信名单", "source_ref": "通市监信〔2025〕9号", "effective_on": "2025-05-01"}).
		status(http.StatusOK).json()
	if r["credit_listed"] != false || r["credit_listings"].([]any)[0].(map[string]any)["removed_on"] != "2025-05-01" {
		t.Fatalf("removed = %v", r)
	}
}

func containsStr(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func TestDemandsOverHTTP(t *testing.T) {
	e := newPledgeEnv(t)
	reg, bank, bank2 := e.tokens[access.Registrar], e.tokens[access.Bank], e.bank2Token
	inv := e.patent()
	body := map[string]any{"party_id": e.owner, "amount": "5000000.00", "term_months": 24, "note": "扩大生产", "asset_ids": []string{inv}}

	head := headSeq(t, e.env)
	e.refused(e.do("POST", "/v1/demands", bank, body), http.StatusForbidden, "forbidden", "", head)
	e.refused(e.do("POST", "/v1/demands", reg, map[string]any{"party_id": e.owner, "amount": "5000000.00", "term_months": 0}),
		http.StatusUnprocessableEntity, "term_months_invalid", "body.term_months", head)
	e.refused(e.do("POST", "/v1/demands", reg, map[string]any{"party_id": e.bankParty, "amount": "5000000.00", "term_months": 12}),
		http.StatusUnprocessableEntity, "party_not_borrower", "body.party_id", head)
	e.refused(e.do("POST", "/v1/demands", reg, map[string]any{"party_id": "nope", "amount": "5000000.00", "term_months": 12}),
		http.StatusUnprocessableEntity, "party_unknown", "body.party_id", head)
	d := e.do("POST", "/v1/demands", reg, body).status(http.StatusCreated).json()
	id := d["id"].(string)
	if d["status"] != "open" || d["amount"] != "5000000.00" || d["term_months"] != float64(24) || d["party"].(map[string]any)["id"] != e.owner {
		t.Fatalf("demand = %v", d)
	}
	withdrawn := e.do("POST", "/v1/demands", reg, map[string]any{"party_id": e.owner, "amount": "100.00", "term_months": 1}).status(http.StatusCreated).json()["id"].(string)

	// Lenders and the office list open demands; planners do not.
	e.do("GET", "/v1/demands?status=open", e.tokens[access.Planner], nil).problem(http.StatusForbidden, "forbidden")
	if ids := e.listIDs("/v1/demands?status=open", bank); len(ids) != 2 || ids[0] != id {
		t.Fatalf("open demands = %v", ids)
	}
	e.do("GET", "/v1/demands?status=closed", bank, nil).problem(http.StatusUnprocessableEntity, "validation_failed")

	ev := "/v1/demands/" + id + "/events"
	e.do("POST", ev, bank, map[string]any{"type": "interest"}).status(http.StatusOK)
	head = headSeq(t, e.env)
	e.refused(e.do("POST", ev, bank, map[string]any{"type": "interest"}), http.StatusConflict, "interest_already_marked", "body.type", head)
	e.refused(e.do("POST", ev, bank, map[string]any{"type": "withdrawn"}), http.StatusForbidden, "withdraw_office_only", "body.type", head)
	e.refused(e.do("POST", ev, bank2, map[string]any{"type": "matched"}), http.StatusConflict, "interest_required", "body.type", head)
	e.refused(e.do("POST", ev, bank, map[string]any{"type": "interest", "lender_id": e.bank2Party}), http.StatusForbidden, "lender_not_caller", "body.lender_id", head)
	e.refused(e.do("POST", "/v1/demands/"+withdrawn+"/events", reg, map[string]any{"type": "withdrawn", "effective_on": "2999-01-01"}),
		http.StatusUnprocessableEntity, "date_in_future", "body.effective_on", head)
	e.do("POST", "/v1/demands/"+withdrawn+"/events", reg, map[string]any{"type": "withdrawn"}).status(http.StatusOK)
	head = headSeq(t, e.env)
	e.refused(e.do("POST", "/v1/demands/"+withdrawn+"/events", reg, map[string]any{"type": "withdrawn"}), http.StatusConflict, "demand_not_open", "body.type", head)
	e.do("GET", "/v1/demands/"+withdrawn, bank2, nil).status(http.StatusOK)
	e.do("GET", "/v1/demands/00000000-0000-0000-0000-000000000000", bank, nil).problem(http.StatusNotFound, "demand_not_found")

	// A pledge citing the open demand matches it in the same write.
	pb := e.pledgeBody(inv)
	pb["registered_on"] = nil
	delete(pb, "registered_on")
	pb["demand_id"] = "not-an-id"
	e.refused(e.do("POST", "/v1/pledges", bank, pb), http.StatusUnprocessableEntity, "demand_unknown", "body.demand_id", head)
	pb["demand_id"] = withdrawn
	e.refused(e.do("POST", "/v1/pledges", bank, pb), http.StatusConflict, "demand_not_open", "body.demand_id", head)
	pb["demand_id"] = id
	p := e.do("POST", "/v1/pledges", bank, pb).status(http.StatusCreated).json()
	got := e.do("GET", "/v1/demands/"+id, bank, nil).status(http.StatusOK).json()
	if got["status"] != "matched" || got["pledge_id"] != p["id"] || got["lender"].(map[string]any)["id"] != e.bankParty {
		t.Fatalf("demand after the pledge = %v", got)
	}
	if other := e.do("GET", "/v1/demands/"+id, bank2, nil).status(http.StatusOK).json(); other["lender"] != nil || other["pledge_id"] != nil {
		t.Fatalf("another lender sees who matched: %v", other)
	}

	// Figures per year: both posted this year, one matched.
	year := e.reg.Today().Year()
	f := e.do("GET", "/v1/indicators/demands?from="+strconv.Itoa(year)+"&to="+strconv.Itoa(year), e.tokens[access.Planner], nil).status(http.StatusOK).json()
	ys := f["years"].([]any)
	y := ys[0].(map[string]any)
	if len(ys) != 1 || y["posted"] != float64(2) || y["posted_amount"] != "5000100.00" || y["matched"] != float64(1) || y["matched_amount"] != "5000000.00" {
		t.Fatalf("figures = %v", f)
	}
	other := e.do("GET", "/v1/indicators/demands?region=150525&from="+strconv.Itoa(year)+"&to="+strconv.Itoa(year), e.tokens[access.Planner], nil).status(http.StatusOK).json()
	if y := other["years"].([]any)[0].(map[string]any); y["posted"] != float64(0) || y["posted_amount"] != "0.00" {
		t.Fatalf("another unit's figures = %v", other)
	}
	e.do("GET", "/v1/indicators/demands?region=999999", e.tokens[access.Planner], nil).problem(http.StatusUnprocessableEntity, "region_unknown")
	e.do("GET", "/v1/indicators/demands?from=2025&to=2024", e.tokens[access.Planner], nil).problem(http.StatusUnprocessableEntity, "year_range_invalid")
}

func TestOpenData(t *testing.T) {
	e := newPledgeEnv(t)
	inv := e.patent() // ZL2013106997442, owned by the enterprise
	person := e.party("张三丰", "individual", "150502")
	mine := e.patent(person)

	// Search without a token: by any spelling of the number, by the enterprise's name.
	for _, q := range []string{"201310699744.2", "CN%202013%201069%209744%202", "%E9%80%9A%E8%BE%BD%E5%B8%82%E7%A7%91%E6%8A%80"} {
		ids := e.listIDs("/v1/public/rights?q="+q, "")
		if len(ids) != 1 || ids[0] != inv {
			t.Fatalf("q=%s: %v", q, ids)
		}
	}
	// An individual: never found by name, shown without name or id.
	if ids := e.listIDs("/v1/public/rights?q=%E5%BC%A0%E4%B8%89%E4%B8%B0", ""); len(ids) != 0 {
		t.Fatalf("an individual's name found rights: %v", ids)
	}
	r := e.do("GET", "/v1/public/rights?limit=1&q=", "", nil).status(http.StatusOK)
	if strings.Contains(string(r.Body), "张三丰") || strings.Contains(string(r.Body), person) {
		t.Fatalf("the open data names an individual: %s", r.Body)
	}
	page := r.json()
	if page["next_cursor"] == nil || len(page["items"].([]any)) != 1 {
		t.Fatalf("page = %v", page)
	}
	page2 := e.do("GET", "/v1/public/rights?limit=1&cursor="+page["next_cursor"].(string), "", nil).status(http.StatusOK).json()
	item := page2["items"].([]any)[0].(map[string]any)
	owner := item["owners"].([]any)[0].(map[string]any)
	if item["id"] != mine || owner["kind"] != "individual" || owner["name"] != nil || owner["id"] != nil || item["valid"] != true {
		t.Fatalf("individual's right = %v", item)
	}
	e.do("GET", "/v1/public/rights?cursor=zz", "", nil).problem(http.StatusUnprocessableEntity, "cursor_invalid")

	// The download: CSV with a BOM, every right, no individual's name; validators of the day.
	csvRes := e.do("GET", "/v1/public/rights/export?format=csv", "", nil).status(http.StatusOK)
	if ct := csvRes.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		t.Fatalf("Content-Type = %q", ct)
	}
	if !bytes.HasPrefix(csvRes.Body, []byte("\ufeff")) || bytes.Contains(csvRes.Body, []byte("张三丰")) {
		t.Fatalf("csv = %s", csvRes.Body)
	}
	rows, err := csv.NewReader(bytes.NewReader(csvRes.Body[3:])).ReadAll()
	if err != nil || len(rows) != 3 || rows[1][1] != "201310699744.2" || rows[1][4] != "通辽市科技有限公司" || rows[2][4] != "个人 individual" || rows[1][9] != "true" {
		t.Fatalf("csv rows = %v (%v)", rows, err)
	}
	etag := csvRes.Header.Get("ETag")
	if etag == "" || csvRes.Header.Get("Last-Modified") == "" {
		t.Fatalf("validators: %v", csvRes.Header)
	}
	nm := e.do("GET", "/v1/public/rights/export?format=csv", "", nil, "If-None-Match", etag)
	if nm.Code != http.StatusNotModified || len(nm.Body) != 0 {
		t.Fatalf("If-None-Match: %d %s", nm.Code, nm.Body)
	}
	e.patent() // the register changes: the tag does too
	if again := e.do("GET", "/v1/public/rights/export?format=csv", "", nil, "If-None-Match", etag); again.Code != http.StatusOK || again.Header.Get("ETag") == etag {
		t.Fatalf("after a change: %d, ETag %q", again.Code, again.Header.Get("ETag"))
	}

	x := e.do("GET", "/v1/public/rights/export?format=xlsx", "", nil).status(http.StatusOK)
	f, err := excelize.OpenReader(bytes.NewReader(x.Body))
	if err != nil {
		t.Fatal(err)
	}
	xr, err := f.GetRows("rights")
	if err != nil || len(xr) != 4 || xr[1][1] != "201310699744.2" || xr[2][4] != "个人 individual" {
		t.Fatalf("xlsx rows = %v (%v)", xr, err)
	}
	e.do("GET", "/v1/public/rights/export?format=pdf", "", nil).problem(http.StatusUnprocessableEntity, "validation_failed")
}

// A malformed id in a list's filter is 422 id_invalid naming the query parameter, on every list
// that filters by one.
func TestListFilterIDs(t *testing.T) {
	e := newPledgeEnv(t)
	reg := e.tokens[access.Registrar]
	for _, c := range []struct{ path, field string }{
		{"/v1/claims?pledge_id=not-an-id", "query.pledge_id"},
		{"/v1/demands?party_id=not-an-id", "query.party_id"},
		{"/v1/pledges?asset_id=not-an-id", "query.asset_id"},
		{"/v1/pledges?pledgor_id=not-an-id", "query.pledgor_id"},
	} {
		p := e.do("GET", c.path, reg, nil).problem(http.StatusUnprocessableEntity, "id_invalid")
		errs, _ := p["errors"].([]any)
		if len(errs) != 1 || errs[0].(map[string]any)["location"] != c.field || errs[0].(map[string]any)["value"] != "not-an-id" {
			t.Errorf("%s: errors = %v, want one at %s", c.path, p["errors"], c.field)
		}
	}
}
