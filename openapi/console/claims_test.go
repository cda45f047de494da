package console_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"ipledger/registry"
	"ipledger/registry/access"
)

func TestClaimPages(t *testing.T) {
	e := newEnv(t)
	a, _ := e.asset(access.Registrar, "ZL2013106997442", "2013-12-18")
	p := e.pledge(a)
	bank, reg := e.login(access.Bank), e.login(access.Registrar)
	pledgePage := "/console/pledges/" + p.String()

	// No claim before the default.
	bank.get(pledgePage).status(http.StatusOK).lacks(`id="pledge-claim"`)
	bank.post(pledgePage+"/claims", url.Values{"loss": {"100.00"}, "evidence_ref": {"x"}}).
		status(http.StatusUnprocessableEntity).contains("该质押尚未登记违约")
	if _, err := e.reg.PledgeEvent(e.ctx, registry.OfficeViewer(), p, registry.PledgeEventInput{Type: registry.PledgeDefault}); err != nil {
		t.Fatal(err)
	}

	// The lender files from its pledge's page; refusals next to their fields, nothing written.
	bank.get(pledgePage).contains(`id="pledge-claim"`, `href="`+pledgePage+`/claims"`)
	bank.get(pledgePage + "/claims").status(http.StatusOK).contains(`id="claim-form"`)
	bank.post(pledgePage+"/claims", url.Values{"loss": {"一百万"}, "evidence_ref": {"x"}}).
		status(http.StatusUnprocessableEntity).contains(`id="c-loss-err"`)
	bank.post(pledgePage+"/claims", url.Values{"loss": {"100.00"}, "evidence_ref": {"x"}, "effective_on": {"2020-13-01"}}).
		status(http.StatusUnprocessableEntity).contains(`id="c-filed-err"`)
	if cs, _, _ := e.reg.ListClaims(e.ctx, registry.OfficeViewer(), registry.ClaimFilter{}); len(cs) != 0 {
		t.Fatalf("refusals wrote claims: %d", len(cs))
	}
	res := bank.post(pledgePage+"/claims", url.Values{"loss": {"999999999999.99"}, "evidence_ref": {"(2026)蒙0502民初1号"}})
	res.status(http.StatusSeeOther)
	loc := res.Header.Get("Location")
	if !strings.HasPrefix(loc, "/console/claims/") {
		t.Fatalf("redirected to %q", loc)
	}
	bank.get(loc).status(http.StatusOK).contains("已申请", "999999999999.99", "(2026)蒙0502民初1号", "claim.filed").lacks(`id="claim-event-form"`)
	bank.post(pledgePage+"/claims", url.Values{"loss": {"1.00"}, "evidence_ref": {"y"}}).status(http.StatusConflict).contains("该质押已有未驳回的补偿申请")
	bank.get("/console/claims").status(http.StatusOK).contains("999999999999.99", `href="`+loc+`"`)
	bank.post(loc+"/events", url.Values{"type": {"approve"}, "amount": {"1.00"}}).status(http.StatusForbidden)

	// The office decides and pays, in order.
	reg.get("/console/claims?status=filed").status(http.StatusOK).contains(`href="` + loc + `"`)
	reg.get(loc).contains(`id="claim-event-form"`, `value="approve"`, `value="reject"`).lacks(`value="pay"`)
	reg.post(loc+"/events", url.Values{"type": {"approve"}, "amount": {"1000000000000.00"}}).
		status(http.StatusUnprocessableEntity).contains(`id="cv-amount-err"`, "核定金额不能超过申请的损失金额")
	res = reg.post(loc+"/events", url.Values{"type": {"approve"}, "amount": {"999999999999.99"}})
	res.status(http.StatusSeeOther)
	reg.get(res.Header.Get("Location")).contains("已保存", "已核准", "1.0000", "999999999999.99", `value="pay"`).lacks(`value="approve"`)
	reg.post(loc+"/events", url.Values{"type": {"pay"}, "amount": {"1.00"}}).status(http.StatusUnprocessableEntity).contains("拨付金额应等于核准的补偿金额")
	reg.post(loc+"/events", url.Values{"type": {"pay"}}).status(http.StatusSeeOther)
	reg.get(loc).contains("已拨付", "claim.paid").lacks(`id="claim-event-form"`)
	_, c := e.api(access.Bank, "GET", "/v1/claims/"+strings.TrimPrefix(loc, "/console/claims/"), nil)
	if c["status"] != "paid" || c["payout"] != "999999999999.99" {
		t.Fatalf("API claim = %v", c)
	}

	// Planners have no claim pages; the navigation shows them to the roles that may list.
	e.login(access.Planner).get("/console/claims").status(http.StatusForbidden)
	bank.get(pledgePage).contains(`href="/console/claims"`)
	reg.get("/console/claims/00000000-0000-0000-0000-000000000000").status(http.StatusNotFound)
}

func TestRealiseByDebtToEquityFromThePledgePage(t *testing.T) {
	e := newEnv(t)
	a, _ := e.asset(access.Registrar, "ZL2013106997442", "2013-12-18")
	p := e.pledge(a)
	if _, err := e.reg.PledgeEvent(e.ctx, registry.OfficeViewer(), p, registry.PledgeEventInput{Type: registry.PledgeDefault}); err != nil {
		t.Fatal(err)
	}
	reg := e.login(access.Registrar)
	page := "/console/pledges/" + p.String()
	reg.get(page).contains(`value="debt_to_equity"`, `value="reverse_licence"`, `id="pv-share"`)
	reg.post(page+"/events", url.Values{"type": {"realise"}, "method": {"debt_to_equity"}, "proceeds": {"1000000.00"}, "equity_holder_id": {"中国银行通辽分行"}}).
		status(http.StatusUnprocessableEntity).contains(`id="pv-share-err"`)
	reg.post(page+"/events", url.Values{"type": {"realise"}, "method": {"auction"}, "proceeds": {"1000000.00"}, "licensee_id": {"中国银行通辽分行"}}).
		status(http.StatusUnprocessableEntity).contains(`id="pv-licensee-err"`)
	res := reg.post(page+"/events", url.Values{"type": {"realise"}, "method": {"debt_to_equity"}, "proceeds": {"1000000.00"},
		"equity_holder_id": {"中国银行通辽分行"}, "equity_share": {"0.15"}})
	res.status(http.StatusSeeOther)
	reg.get(res.Header.Get("Location")).contains("质权转股权", "持股方 中国银行通辽分行", "0.1500")
}
