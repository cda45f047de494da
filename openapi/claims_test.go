package openapi_test

import (
	"net/http"
	"strings"
	"testing"

	"ipledger/registry/access"
)

// defaultedPledge registers a pledge of a fresh patent to the first bank and records its
// default; it returns the pledge id.
func (e *pledgeEnv) defaultedPledge() string {
	e.t.Helper()
	body := e.pledgeBody(e.patent())
	body["contract_no"] = "TL-ZY-DEF-" + strings.Repeat("9", e.serial)
	id := e.do("POST", "/v1/pledges", e.tokens[access.Bank], body).status(http.StatusCreated).json()["id"].(string)
	e.do("POST", "/v1/pledges/"+id+"/events", e.tokens[access.Bank], map[string]any{"type": "default", "effective_on": "2025-09-01"}).status(http.StatusOK)
	return id
}

func TestClaimsOverHTTP(t *testing.T) {
	e := newPledgeEnv(t)
	bank, reg, admin := e.tokens[access.Bank], e.tokens[access.Registrar], e.tokens[access.Admin]

	active := e.do("POST", "/v1/pledges", bank, e.pledgeBody(e.patent())).status(http.StatusCreated).json()["id"].(string)
	e.do("POST", "/v1/pledges/"+active+"/claims", bank, map[string]any{"loss": "100.00", "evidence_ref": "x"}).problem(http.StatusUnprocessableEntity, "not_defaulted")

	pledge := e.defaultedPledge()
	// Only the pledgee files: the office may not, another bank finds no pledge.
	e.do("POST", "/v1/pledges/"+pledge+"/claims", reg, map[string]any{"loss": "100.00", "evidence_ref": "x"}).problem(http.StatusForbidden, "forbidden")
	e.do("POST", "/v1/pledges/"+pledge+"/claims", e.bank2Token, map[string]any{"loss": "100.00", "evidence_ref": "x"}).problem(http.StatusNotFound, "pledge_not_found")
	e.do("POST", "/v1/pledges/"+pledge+"/claims", bank, map[string]any{"loss": 100, "evidence_ref": "x"}).problem(http.StatusUnprocessableEntity, "validation_failed")
	p := e.do("POST", "/v1/pledges/"+pledge+"/claims", bank, map[string]any{"loss": "1000000000000.01", "evidence_ref": "x"}).problem(http.StatusUnprocessableEntity, "amount_invalid")
	if loc := p["errors"].([]any)[0].(map[string]any)["location"]; loc != "body.loss" {
		t.Fatalf("location %v", loc)
	}

	// Filing is idempotent under a key: the retry answers the same claim and writes nothing.
	body := map[string]any{"loss": "999999999999.99", "evidence_ref": "(2025)蒙0502民初123号"}
	first := e.do("POST", "/v1/pledges/"+pledge+"/claims", bank, body, "Idempotency-Key", "claim-1").status(http.StatusCreated)
	c := first.json()
	if c["status"] != "filed" || c["loss"] != "999999999999.99" || c["pledge_id"] != pledge || c["approved_amount"] != nil {
		t.Fatalf("filed: %v", c)
	}
	id := c["id"].(string)
	again := e.do("POST", "/v1/pledges/"+pledge+"/claims", bank, body, "Idempotency-Key", "claim-1").status(http.StatusCreated)
	if again.json()["id"] != id || again.json()["filed_seq"] != c["filed_seq"] {
		t.Fatalf("retry answered %s, first %s", again.Body, first.Body)
	}
	e.do("POST", "/v1/pledges/"+pledge+"/claims", bank, body).problem(http.StatusConflict, "claim_exists")

	// Reads: the lender its own, another bank nothing, the office all.
	e.do("GET", "/v1/claims/"+id, bank, nil).status(http.StatusOK)
	e.do("GET", "/v1/claims/"+id, e.bank2Token, nil).problem(http.StatusNotFound, "claim_not_found")
	e.do("GET", "/v1/claims/not-an-id", bank, nil).problem(http.StatusNotFound, "claim_not_found")
	if items := e.do("GET", "/v1/claims", e.bank2Token, nil).status(http.StatusOK).json()["items"].([]any); len(items) != 0 {
		t.Fatalf("another bank lists %v", items)
	}
	if items := e.do("GET", "/v1/claims?status=filed", reg, nil).status(http.StatusOK).json()["items"].([]any); len(items) != 1 {
		t.Fatalf("office lists %v", items)
	}
	e.do("GET", "/v1/claims", e.tokens[access.Planner], nil).problem(http.StatusForbidden, "forbidden")

	// Decisions: the office only, in order.
	ev := func(tok string, b map[string]any) response { return e.do("POST", "/v1/claims/"+id+"/events", tok, b) }
	ev(bank, map[string]any{"type": "approve", "amount": "1.00"}).problem(http.StatusForbidden, "forbidden")
	ev(reg, map[string]any{"type": "pay"}).problem(http.StatusUnprocessableEntity, "not_approved")
	ev(reg, map[string]any{"type": "approve", "amount": "1000000000000.00"}).problem(http.StatusUnprocessableEntity, "amount_exceeds_loss")
	ev(reg, map[string]any{"type": "approve"}).problem(http.StatusUnprocessableEntity, "field_required")
	ev(reg, map[string]any{"type": "reject", "amount": "1.00"}).problem(http.StatusUnprocessableEntity, "field_not_allowed")
	e.do("POST", "/v1/params", admin, map[string]any{"name": "risk_compensation_fund_share", "value": 5000}).problem(http.StatusUnprocessableEntity, "param_unknown")
	e.do("POST", "/v1/params", admin, map[string]any{"name": "risk_compensation_fund_share_bp", "value": 0.5}).problem(http.StatusUnprocessableEntity, "param_value")
	e.do("POST", "/v1/params", admin, map[string]any{"name": "risk_compensation_fund_share_bp", "value": 10001}).problem(http.StatusUnprocessableEntity, "param_value")
	e.do("POST", "/v1/params", reg, map[string]any{"name": "risk_compensation_fund_share_bp", "value": 5000}).problem(http.StatusForbidden, "forbidden")
	if ps := e.do("GET", "/v1/params", reg, nil).status(http.StatusOK).json()["params"].(map[string]any); ps["risk_compensation_fund_share_bp"] != float64(10000) {
		t.Fatalf("params before: %v", ps)
	}
	e.do("POST", "/v1/params", admin, map[string]any{"name": "risk_compensation_fund_share_bp", "value": 5000}).status(http.StatusOK)
	a := ev(reg, map[string]any{"type": "approve", "amount": "999999999999.99"}).status(http.StatusOK).json()
	if a["status"] != "approved" || a["approved_amount"] != "999999999999.99" || a["fund_share"] != "0.5000" || a["payout"] != "500000000000.00" {
		t.Fatalf("approved: %v", a)
	}
	ev(reg, map[string]any{"type": "pay", "amount": "999999999999.99"}).problem(http.StatusUnprocessableEntity, "amount_mismatch")
	paid := ev(admin, map[string]any{"type": "pay", "amount": "500000000000.00"}).status(http.StatusOK).json()
	if paid["status"] != "paid" || paid["paid_on"] == nil {
		t.Fatalf("paid: %v", paid)
	}
	ev(reg, map[string]any{"type": "pay"}).problem(http.StatusUnprocessableEntity, "already_paid")
	// The lender reads the outcome.
	if got := e.do("GET", "/v1/claims/"+id, bank, nil).status(http.StatusOK).json(); got["status"] != "paid" || got["payout"] != "500000000000.00" {
		t.Fatalf("lender reads %v", got)
	}
}

func TestClaimsListPages(t *testing.T) {
	e := newPledgeEnv(t)
	bank := e.tokens[access.Bank]
	var ids []string
	for range 3 {
		p := e.defaultedPledge()
		ids = append(ids, e.do("POST", "/v1/pledges/"+p+"/claims", bank, map[string]any{"loss": "10.00", "evidence_ref": "x"}).status(http.StatusCreated).json()["id"].(string))
	}
	var seen []string
	path := "/v1/claims?limit=2"
	for path != "" {
		page := e.do("GET", path, bank, nil).status(http.StatusOK).json()
		for _, it := range page["items"].([]any) {
			seen = append(seen, it.(map[string]any)["id"].(string))
		}
		path = ""
		if c, ok := page["next_cursor"].(string); ok {
			path = "/v1/claims?limit=2&cursor=" + c
		}
	}
	if strings.Join(seen, ",") != strings.Join(ids, ",") {
		t.Fatalf("pages gave %v, want %v", seen, ids)
	}
	e.do("GET", "/v1/claims?cursor=zz", bank, nil).problem(http.StatusUnprocessableEntity, "cursor_invalid")
}

func TestValuationAndRealisationOverHTTP(t *testing.T) {
	e := newPledgeEnv(t)
	bank, reg := e.tokens[access.Bank], e.tokens[access.Registrar]
	body := e.pledgeBody(e.patent()) // amount 150000000.00
	body["appraisals"] = []map[string]any{
		{"value": "300000000.00", "appraiser": "中联资产评估集团", "appraised_on": "2025-05-20", "method": "income"},
		{"value": "450000000.00", "appraiser": "北京天健兴业", "appraised_on": "2025-05-01", "method": "market"},
	}
	p := e.do("POST", "/v1/pledges", bank, body).status(http.StatusCreated).json()
	if p["loan_to_value"] != "0.5000" || len(p["appraisals"].([]any)) != 2 {
		t.Fatalf("registered: %v", p)
	}
	id := p["id"].(string)
	if items := e.do("GET", "/v1/pledges", reg, nil).status(http.StatusOK).json()["items"].([]any); items[0].(map[string]any)["loan_to_value"] != "0.5000" {
		t.Fatalf("office list: %v", items[0])
	}
	// A later appraisal moves the ratio: 150000000 ÷ 450000000 = 0.3333.
	after := e.do("POST", "/v1/pledges/"+id+"/events", bank, map[string]any{"type": "appraise", "effective_on": "2025-12-01",
		"appraisal": map[string]any{"value": "450000000.00", "appraiser": "中联资产评估集团", "appraised_on": "2025-11-30", "method": "cost"}}).status(http.StatusOK).json()
	if after["loan_to_value"] != "0.3333" {
		t.Fatalf("after appraise: %v", after["loan_to_value"])
	}
	bad := e.pledgeBody(e.patent())
	bad["appraisals"] = []map[string]any{{"value": "0", "appraiser": "x", "appraised_on": "2025-05-20", "method": "income"}}
	pr := e.do("POST", "/v1/pledges", bank, bad).problem(http.StatusUnprocessableEntity, "amount_invalid")
	if loc := pr["errors"].([]any)[0].(map[string]any)["location"]; loc != "body.appraisals[0].value" {
		t.Fatalf("location %v", loc)
	}
	plain := e.do("POST", "/v1/pledges", bank, e.pledgeBody(e.patent())).status(http.StatusCreated).json()
	if _, has := plain["loan_to_value"]; has {
		t.Fatalf("a pledge without appraisal shows loan_to_value: %v", plain)
	}

	// debt_to_equity and reverse_licence.
	d2e := e.defaultedPledge()
	e.do("POST", "/v1/pledges/"+d2e+"/events", bank, map[string]any{"type": "realise", "method": "debt_to_equity", "proceeds": "1000000.00",
		"equity_share": "0.15", "effective_on": "2025-10-01"}).problem(http.StatusUnprocessableEntity, "field_required")
	e.do("POST", "/v1/pledges/"+d2e+"/events", bank, map[string]any{"type": "realise", "method": "auction", "proceeds": "1000000.00",
		"licensee_id": e.owner, "effective_on": "2025-10-01"}).problem(http.StatusUnprocessableEntity, "field_not_allowed")
	r := e.do("POST", "/v1/pledges/"+d2e+"/events", bank, map[string]any{"type": "realise", "method": "debt_to_equity", "proceeds": "1000000.00",
		"equity_holder_id": e.bankParty, "equity_share": "0.15", "effective_on": "2025-10-01"}).status(http.StatusOK).json()
	re := r["realisation"].(map[string]any)
	if r["status"] != "realised" || re["method"] != "debt_to_equity" || re["equity_share"] != "0.1500" || re["equity_holder"].(map[string]any)["id"] != e.bankParty {
		t.Fatalf("debt_to_equity: %v", r)
	}
	rl := e.defaultedPledge()
	r = e.do("POST", "/v1/pledges/"+rl+"/events", bank, map[string]any{"type": "realise", "method": "reverse_licence", "proceeds": "1000000.00",
		"licensee_id": e.owner, "licence_ends_on": "2030-09-30", "effective_on": "2025-10-01"}).status(http.StatusOK).json()
	re = r["realisation"].(map[string]any)
	if re["method"] != "reverse_licence" || re["licence_ends_on"] != "2030-09-30" || re["licensee"].(map[string]any)["id"] != e.owner {
		t.Fatalf("reverse_licence: %v", r)
	}
	asset := r["assets"].([]any)[0].(map[string]any)["id"].(string)
	hist := e.do("GET", "/v1/assets/"+asset+"/history", reg, nil).status(http.StatusOK)
	if !strings.Contains(string(hist.Body), "asset.licensed") {
		t.Fatalf("no licence in the right's history: %s", hist.Body)
	}
}

func TestClaimFiguresAtYearEdges(t *testing.T) {
	e := newPledgeEnv(t)
	bank, reg, planner := e.tokens[access.Bank], e.tokens[access.Registrar], e.tokens[access.Planner]
	pledge := e.defaultedPledge()
	id := e.do("POST", "/v1/pledges/"+pledge+"/claims", bank, map[string]any{"loss": "300.00", "evidence_ref": "x", "effective_on": "2025-12-31"}).
		status(http.StatusCreated).json()["id"].(string)
	e.do("POST", "/v1/claims/"+id+"/events", reg, map[string]any{"type": "approve", "amount": "200.00", "effective_on": "2026-01-01"}).status(http.StatusOK)
	e.do("POST", "/v1/claims/"+id+"/events", reg, map[string]any{"type": "pay", "effective_on": "2026-01-01"}).status(http.StatusOK)
	rejected := e.defaultedPledge()
	rid := e.do("POST", "/v1/pledges/"+rejected+"/claims", bank, map[string]any{"loss": "50.00", "evidence_ref": "y", "effective_on": "2026-01-01"}).
		status(http.StatusCreated).json()["id"].(string)
	e.do("POST", "/v1/claims/"+rid+"/events", reg, map[string]any{"type": "reject", "effective_on": "2026-01-01"}).status(http.StatusOK)

	type year struct {
		Year                      int
		Filed, Approved, Rejected float64
		Paid                      float64
		Loss, Payout              string
	}
	read := func(region string) []year {
		f := e.do("GET", "/v1/indicators/claims?from=2025&to=2026&region="+region, planner, nil).status(http.StatusOK).json()
		var out []year
		for _, it := range f["years"].([]any) {
			m := it.(map[string]any)
			out = append(out, year{int(m["year"].(float64)), m["filed"].(float64), m["approved"].(float64), m["rejected"].(float64),
				m["paid"].(float64), m["loss"].(string), m["payout"].(string)})
		}
		return out
	}
	want := []year{{2025, 1, 0, 0, 0, "300.00", "0.00"}, {2026, 1, 1, 1, 1, "50.00", "200.00"}}
	for _, region := range []string{"150500", "150502"} {
		if got := read(region); len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
			t.Fatalf("%s: %+v, want %+v", region, got, want)
		}
	}
	if got := read("150525"); got[0].Filed != 0 || got[1].Paid != 0 || got[1].Payout != "0.00" {
		t.Fatalf("another unit: %+v", got)
	}
	e.do("GET", "/v1/indicators/claims?from=2026&to=2025", planner, nil).problem(http.StatusUnprocessableEntity, "year_range_invalid")
	e.do("GET", "/v1/indicators/claims?region=150000", planner, nil).problem(http.StatusUnprocessableEntity, "region_unknown")
	e.do("GET", "/v1/indicators/claims", bank, nil).problem(http.StatusForbidden, "forbidden")
}
