package console

import (
	"net/http"
	"strings"

	"ipledger/registry"
)

// The appraisal form on a pledge's page: a later appraisal recorded through the pledge's
// appraise event, for whoever the API lets record pledge events (the pledgee bank on its own
// pledges, the office), while the pledge is active. The page then shows the new loan-to-value.

type appraiseForm struct {
	Show    bool
	Form    *form
	Methods []option
}

// appraisalFields are the form's fields, named as the domain names them under body, so that
// a refusal lands next to its field; any other refusal is shown above the form.
var appraisalFields = []string{"appraisal.value", "appraisal.appraiser", "appraisal.appraised_on", "appraisal.method"}

func (c *Console) appraiseForm(r *http.Request, pl registry.Pledge, f *form) appraiseForm {
	a := appraiseForm{Show: c.can(r, "record-pledge-event") && pl.Status == registry.PledgeActive, Form: f}
	lang := langOf(r)
	for _, m := range registry.AppraisalMethods {
		a.Methods = append(a.Methods, option{m, translate(lang, "am_"+m)})
	}
	return a
}

func (c *Console) appraisePledge(w http.ResponseWriter, r *http.Request) {
	id, f, ok := c.formFor(w, r)
	if !ok {
		return
	}
	p, _ := principalFrom(r.Context())
	err := func() error {
		on, err := f.date("appraisal.appraised_on")
		if err != nil {
			return err
		}
		ev := registry.PledgeEventInput{Type: registry.PledgeAppraise, Appraisal: &registry.AppraisalInput{
			Value: strings.TrimSpace(f.V("appraisal.value")), Appraiser: f.V("appraisal.appraiser"), AppraisedOn: on, Method: f.V("appraisal.method")}}
		_, err = c.Registry.PledgeEvent(r.Context(), c.Viewer(p), id, ev)
		return err
	}()
	if err != nil {
		if de, ok := registry.AsError(err); ok && de.Class == registry.NotFound && de.Code == "pledge_not_found" {
			c.errorPage(w, r, http.StatusNotFound, "err_not_found")
			return
		}
		c.showPledgeForms(w, r, c.refuse(r, f, err, appraisalFields...), newForm(nil), f, false)
		return
	}
	http.Redirect(w, r, "/console/pledges/"+id.String()+"?saved=1", http.StatusSeeOther)
}

func init() {
	for k, v := range map[string][2]string{
		"pa_record":          {"登记评估", "Record an appraisal"},
		"pa_value":           {"评估价值（元）", "Appraised value (CNY)"},
		"pa_appraiser":       {"评估机构", "Appraiser"},
		"pa_appraised_on":    {"评估基准日", "Valuation date"},
		"pa_appraised_hint":  {"格式 YYYY-MM-DD，不晚于今天", "YYYY-MM-DD, not after today"},
		"pa_method":          {"评估方法", "Method"},
		"pa_ltv_hint":        {"贷款价值比 = 担保金额 ÷ 最新评估价值。", "Loan to value = the secured amount ÷ the latest appraised value."},
		"am_income":          {"收益法", "income approach"},
		"am_market":          {"市场法", "market approach"},
		"am_cost":            {"成本法", "cost approach"},
		"k_pledge.appraised": {"评估", "appraised"},
	} {
		catalog[k] = v
	}
}
