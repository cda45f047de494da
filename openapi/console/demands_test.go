package console_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/google/uuid"

	"ipledger/registry"
	"ipledger/registry/access"
)

func TestCreditListingOnThePartyPage(t *testing.T) {
	e := newEnv(t)
	_, owner := e.asset(access.Registrar, "ZL2013106997442", "2013-12-18")
	page := "/console/registry/parties/" + owner.String()
	b := e.login(access.Registrar)
	b.get(page).status(http.StatusOK).contains("信用记录", "无失信记录", `value="credit_listed"`)

	// Listed through the form: shown on the page, as the API shows it.
	res := b.post(page+"/events", url.Values{"type": {"credit_listed"}, "list": {"严重违法失信名单"}, "source_ref": {"通市监信〔2025〕7号"}, "effective_on": {"2025-05-01"}})
	res.status(http.StatusSeeOther)
	b.get(res.Header.Get("Location")).contains("已保存", "严重违法失信名单", "通市监信〔2025〕7号", "2025-05-01", "列入中")
	if _, p := e.api(access.Planner, "GET", "/v1/parties/"+owner.String(), nil); p["credit_listed"] != true {
		t.Fatalf("API party = %v", p)
	}

	// Refusals next to their fields, in Chinese, writing nothing.
	b.post(page+"/events", url.Values{"type": {"credit_listed"}, "list": {"严重违法失信名单"}, "source_ref": {"x"}}).
		status(http.StatusConflict).contains("该当事人已在此名单上", `id="pe-list-err"`)
	b.post(page+"/events", url.Values{"type": {"credit_removed"}, "list": {"经营异常名录"}, "source_ref": {"x"}}).
		status(http.StatusConflict).contains("该当事人不在此名单上")
	b.post(page+"/events", url.Values{"type": {"credit_removed"}, "list": {"严重违法失信名单"}}).
		status(http.StatusUnprocessableEntity).contains(`id="pe-source-err"`, "请填写决定文号或依据")

	b.post(page+"/events", url.Values{"type": {"credit_removed"}, "list": {"严重违法失信名单"}, "source_ref": {"通市监信〔2025〕9号"}, "effective_on": {"2025-06-01"}}).
		status(http.StatusSeeOther)
	b.get(page).contains("2025-06-01（通市监信〔2025〕9号）").lacks("列入中")

	// Read-only roles see the record, not the form.
	e.login(access.Planner).get(page).status(http.StatusOK).contains("严重违法失信名单").lacks(`value="credit_listed"`)
}

func TestDemandPages(t *testing.T) {
	e := newEnv(t)
	a, _ := e.asset(access.Registrar, "ZL2013106997442", "2013-12-18")
	reg, bank := e.login(access.Registrar), e.login(access.Bank)
	ownerName := "通辽某科技有限公司ZL2013106997442"

	// The office records a demand, naming the party by name and the right by number.
	reg.get("/console/demands").status(http.StatusOK).contains(`id="demand-form"`)
	res := reg.post("/console/demands", url.Values{"party_id": {ownerName}, "amount": {"3000000.00"}, "term_months": {"24"},
		"asset_ids": {"ZL2013106997442"}, "note": {"扩大生产"}})
	res.status(http.StatusSeeOther)
	loc := res.Header.Get("Location")
	id := strings.TrimPrefix(loc, "/console/demands/")
	reg.get(loc).status(http.StatusOK).contains(ownerName, "3000000.00", "待对接", "ZL201310699744.2", `id="demand-event-form"`)

	// Refusals next to their fields.
	reg.post("/console/demands", url.Values{"party_id": {ownerName}, "amount": {"3000000.00"}, "term_months": {"361"}}).
		status(http.StatusUnprocessableEntity).contains(`id="d-term-err"`, "期限应为 1 至 360 个月的整数")
	reg.post("/console/demands", url.Values{"party_id": {ownerName}, "amount": {"3000000.00"}, "term_months": {"十二"}}).
		status(http.StatusUnprocessableEntity).contains(`id="d-term-err"`)
	reg.post("/console/demands", url.Values{"party_id": {"中国银行通辽分行"}, "amount": {"1.00"}, "term_months": {"12"}}).
		status(http.StatusUnprocessableEntity).contains(`id="d-party-err"`, "融资需求方不能是金融机构或政府部门")
	if ds, _, _ := e.reg.ListDemands(e.ctx, registry.OfficeViewer(), registry.DemandFilter{}); len(ds) != 1 {
		t.Fatalf("refusals wrote demands: %d", len(ds))
	}

	// A lender lists open demands, marks interest, cannot withdraw, then matches.
	bank.get("/console/demands?status=open").status(http.StatusOK).contains(ownerName).lacks(`id="demand-form"`)
	bank.get(loc).contains(`id="demand-event-form"`).lacks(`value="withdrawn"`, `id="dv-lender"`)
	bank.post(loc+"/events", url.Values{"type": {"interest"}}).status(http.StatusSeeOther)
	bank.get(loc).contains("中国银行通辽分行 · ")
	bank.post(loc+"/events", url.Values{"type": {"interest"}}).status(http.StatusConflict).contains("该机构已表达过意向")
	bank.post(loc+"/events", url.Values{"type": {"withdrawn"}}).status(http.StatusForbidden).contains("只有登记机关可以撤回融资需求")
	p := e.pledge(a)
	bank.post(loc+"/events", url.Values{"type": {"matched"}, "pledge_id": {p.String()}}).status(http.StatusSeeOther)
	bank.get(loc).contains("已对接", `href="/console/pledges/`+p.String()+`"`).lacks(`id="demand-event-form"`)
	d, err := e.reg.GetDemand(e.ctx, registry.OfficeViewer(), uuid.MustParse(id))
	if err != nil || d.Status != registry.DemandMatched || d.PledgeID != p {
		t.Fatalf("demand = %+v, %v", d, err)
	}
	reg.get(loc).contains("登记融资需求", "表达意向", "对接成功") // the office reads its ledger entries, named in Chinese

	// Planners have no demand pages; the navigation shows them to the roles that may list.
	e.login(access.Planner).get("/console/demands").status(http.StatusForbidden)
	if !regexp.MustCompile(`href="/console/demands"`).MatchString(bank.get("/console/pledges").Body) {
		t.Fatal("the navigation lacks the demands page for a bank")
	}
}

// The API's pledgor_credit_listed warning, on the console: the pledge's page says which
// pledgor was on which list on the registration date.
func TestPledgePageShowsListedPledgor(t *testing.T) {
	e := newEnv(t)
	a, owner := e.asset(access.Registrar, "ZL2013106997442", "2013-12-18")
	clean, _ := e.asset(access.Registrar, "ZL2015103000012", "2015-03-03")
	quiet := e.pledge(clean)
	today := e.reg.Today()
	if _, err := e.reg.PartyEvent(e.ctx, owner, registry.PartyEventInput{Type: registry.CreditListed, List: "严重违法失信名单",
		SourceRef: "通市监信〔2026〕3号", EffectiveOn: today}); err != nil {
		t.Fatal(err)
	}
	p := e.pledge(a)
	b := e.login(access.Bank)
	b.get("/console/pledges/"+p.String()).status(http.StatusOK).contains(`id="pledge-credit"`, "严重违法失信名单", "通市监信〔2026〕3号", "不影响登记")
	b.get("/console/pledges/" + quiet.String()).status(http.StatusOK).lacks(`id="pledge-credit"`)
}
