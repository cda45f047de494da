package console_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/google/uuid"

	"ipledger/registry"
	"ipledger/registry/access"
)

// The lender records an appraisal from its pledge's page; the page's loan-to-value follows.
// Refusals name their field and write nothing; another bank neither sees the form nor posts.
func TestAppraisalFromThePledgePage(t *testing.T) {
	e := newEnv(t)
	a, _ := e.asset(access.Registrar, "ZL2013106997442", "2013-12-18")
	p := e.pledge(a) // 1500000.00 to the env's bank
	page := "/console/pledges/" + p.String()
	bank := e.login(access.Bank)
	today := e.reg.Today()

	bank.get(page).status(http.StatusOK).contains(`id="pledge-appraise-form"`, `value="income"`, "收益法", "市场法", "成本法").lacks(`id="pledge-ltv"`)

	appraisals := func() int {
		t.Helper()
		pl, err := e.reg.GetPledge(e.ctx, registry.OfficeViewer(), p)
		if err != nil {
			t.Fatal(err)
		}
		return len(pl.Appraisals)
	}
	form := func(value, on, method string) url.Values {
		return url.Values{"appraisal.value": {value}, "appraisal.appraiser": {"通辽某资产评估有限公司"}, "appraisal.appraised_on": {on}, "appraisal.method": {method}}
	}
	bank.post(page+"/appraisals", form("三百万", today.String(), "income")).
		status(http.StatusUnprocessableEntity).contains(`id="pa-value-err"`, "金额应大于 0", `value="三百万"`).lacks(`id="pa-appraised-on-err"`)
	bank.post(page+"/appraisals", form("3000000.00", today.AddDays(1).String(), "income")).
		status(http.StatusUnprocessableEntity).contains(`id="pa-appraised-on-err"`, "日期不能晚于今天").lacks(`id="pa-value-err"`)
	bank.post(page+"/appraisals", form("3000000.00", today.String(), "guess")).
		status(http.StatusUnprocessableEntity).contains(`id="pa-method-err"`, "评估方法应为收益法、市场法或成本法")
	if n := appraisals(); n != 0 {
		t.Fatalf("refusals wrote %d appraisals", n)
	}

	res := bank.post(page+"/appraisals", form("3000000.00", today.AddDays(-10).String(), "market"))
	res.status(http.StatusSeeOther)
	bank.get(res.Header.Get("Location")).contains("已保存", `id="pledge-ltv">0.5000<`, "3000000.00", "通辽某资产评估有限公司", "市场法")
	// A later appraisal by the office: the ratio follows the latest one.
	e.login(access.Registrar).post(page+"/appraisals", form("6000000.00", today.String(), "income")).status(http.StatusSeeOther)
	bank.get(page).contains(`id="pledge-ltv">0.2500<`)
	_, api := e.api(access.Bank, "GET", "/v1/pledges/"+p.String(), nil)
	if api["loan_to_value"] != "0.2500" {
		t.Fatalf("API loan_to_value = %v", api["loan_to_value"])
	}

	// Auditors read without the form; another bank sees nothing and writes nothing.
	e.login(access.Auditor).get(page).status(http.StatusOK).contains(`id="pledge-ltv">0.2500<`).lacks(`id="pledge-appraise-form"`)
	e.login(access.Auditor).post(page+"/appraisals", form("1.00", today.String(), "cost")).status(http.StatusForbidden)
	other := e.party("另一家银行", registry.Bank, "150502").(uuid.UUID)
	_, tok, err := e.access.Create(e.ctx, "another bank", access.Bank, other.String())
	if err != nil {
		t.Fatal(err)
	}
	ob := e.browser()
	ob.post("/console/login", url.Values{"token": {tok}}).status(http.StatusSeeOther)
	ob.get(page).status(http.StatusNotFound).lacks(`id="pledge-appraise-form"`, "0.2500")
	ob.post(page+"/appraisals", form("1.00", today.String(), "cost")).status(http.StatusNotFound).lacks("0.2500")
	if n := appraisals(); n != 2 {
		t.Fatalf("appraisals = %d, want 2", n)
	}
}
