package console

import (
	"net/http"
	"slices"
	"strings"

	"github.com/google/uuid"

	"ipledger/registry"
	"ipledger/registry/access"
)

// Risk-compensation claims (风险补偿): the list, a claim's page with the office's decision
// form (approve, reject, pay), and the lender's filing form for a defaulted pledge, over the
// same registry calls and access rules as /v1/claims.

type claimsData struct {
	Status string
	Claims []registry.Claim
	More   bool
}

func (c *Console) claimsPage(w http.ResponseWriter, r *http.Request) {
	p, _ := principalFrom(r.Context())
	st := r.URL.Query().Get("status")
	if !slices.Contains(registry.ClaimStatuses(), st) {
		st = ""
	}
	cs, next, err := c.Registry.ListClaims(r.Context(), c.Viewer(p), registry.ClaimFilter{Status: st, Limit: 100})
	if err != nil {
		c.notFoundOr(w, r, err)
		return
	}
	c.render(w, r, http.StatusOK, "claims", "title_claims", claimsData{Status: st, Claims: cs, More: next != ""})
}

type claimNewData struct {
	Pledge registry.Pledge
	Form   *form
}

// claimForm is the lender's filing form for one of its pledges (another bank's is not found).
func (c *Console) claimForm(w http.ResponseWriter, r *http.Request) {
	c.showClaimForm(w, r, http.StatusOK, newForm(nil))
}

func (c *Console) showClaimForm(w http.ResponseWriter, r *http.Request, status int, f *form) {
	pl, _, _, ok := viewed(c, w, r, c.Registry.GetPledge)
	if !ok {
		return
	}
	c.render(w, r, status, "claim_new", "title_claim_new", claimNewData{Pledge: pl, Form: f})
}

func (c *Console) createClaim(w http.ResponseWriter, r *http.Request) {
	id, f, ok := c.formFor(w, r)
	if !ok {
		return
	}
	p, _ := principalFrom(r.Context())
	cl, err := func() (registry.Claim, error) {
		in := registry.ClaimInput{Loss: strings.TrimSpace(f.V("loss")), EvidenceRef: f.V("evidence_ref"), Note: f.V("note")}
		var err error
		if in.EffectiveOn, err = f.date("effective_on"); err != nil {
			return registry.Claim{}, err
		}
		return c.Registry.FileClaim(r.Context(), c.Viewer(p), id, in)
	}()
	if err != nil {
		if de, ok := registry.AsError(err); ok && de.Code == "pledge_not_found" {
			c.errorPage(w, r, http.StatusNotFound, "err_not_found")
			return
		}
		c.showClaimForm(w, r, c.refuse(r, f, err, "loss", "evidence_ref", "effective_on", "note"), f)
		return
	}
	http.Redirect(w, r, "/console/claims/"+cl.ID.String(), http.StatusSeeOther)
}

type claimData struct {
	Claim    registry.Claim
	Events   []entryRow
	CanEvent bool
	Types    []option
	Form     *form
	Saved    bool
}

func (c *Console) claimPage(w http.ResponseWriter, r *http.Request) {
	c.showClaim(w, r, http.StatusOK, newForm(nil), r.URL.Query().Get("saved") != "")
}

// showClaim is a claim, its ledger entries and, for the office while it is open, the
// decision form. Another lender's claim is not found, as in the API.
func (c *Console) showClaim(w http.ResponseWriter, r *http.Request, status int, f *form, saved bool) {
	cl, id, _, ok := viewed(c, w, r, c.Registry.GetClaim)
	if !ok {
		return
	}
	events, ok := c.subjectRows(w, r, "claim/"+id.String())
	if !ok {
		return
	}
	d := claimData{Claim: cl, Events: events, Form: f, Saved: saved,
		CanEvent: c.can(r, "record-claim-event") && (cl.Status == registry.ClaimFiled || cl.Status == registry.ClaimApproved)}
	lang := langOf(r)
	types := []string{registry.ClaimApprove, registry.ClaimReject}
	if cl.Status == registry.ClaimApproved {
		types = []string{registry.ClaimPay}
	}
	for _, t := range types {
		d.Types = append(d.Types, option{t, translate(lang, "cl_ev_"+t)})
	}
	c.render(w, r, status, "claim", "title_claim", d)
}

func (c *Console) claimEvent(w http.ResponseWriter, r *http.Request) {
	id, f, ok := c.formFor(w, r)
	if !ok {
		return
	}
	p, _ := principalFrom(r.Context())
	err := func() error {
		ev := registry.ClaimEventInput{Type: f.V("type"), Amount: strings.TrimSpace(f.V("amount")), Note: f.V("note")}
		var err error
		if ev.EffectiveOn, err = f.date("effective_on"); err != nil {
			return err
		}
		_, err = c.Registry.ClaimEvent(r.Context(), c.Viewer(p), id, ev)
		return err
	}()
	if err != nil {
		if de, ok := registry.AsError(err); ok && de.Code == "claim_not_found" {
			c.errorPage(w, r, http.StatusNotFound, "err_not_found")
			return
		}
		c.showClaim(w, r, c.refuse(r, f, err, "type", "amount", "effective_on", "note"), f, false)
		return
	}
	http.Redirect(w, r, "/console/claims/"+id.String()+"?saved=1", http.StatusSeeOther)
}

// canClaim: the pledge page links to the filing form for its pledgee while a claim may be filed.
func (c *Console) canClaim(r *http.Request, pl registry.Pledge) bool {
	p, _ := principalFrom(r.Context())
	return p.Role == access.Bank && c.can(r, "create-claim") && pl.Defaulted && pl.Status != registry.PledgeReleased
}

// realiseTerms reads a realise event's debt_to_equity and reverse_licence terms: the holder
// and the licensee typed as a party's name, code or id.
func (c *Console) realiseTerms(r *http.Request, f *form, ev *registry.PledgeEventInput) error {
	ev.EquityShare = strings.TrimSpace(f.V("equity_share"))
	for _, x := range []struct {
		name, code string
		dst        *uuid.UUID
	}{{"equity_holder_id", "equity_holder_unknown", &ev.EquityHolderID}, {"licensee_id", "licensee_unknown", &ev.LicenseeID}} {
		if s := strings.TrimSpace(f.V(x.name)); s != "" {
			ids, err := c.parties(r.Context(), x.name, x.code, []string{s})
			if err != nil {
				return err
			}
			*x.dst = ids[0]
		}
	}
	var err error
	ev.LicenceEndsOn, err = f.date("licence_ends_on")
	return err
}

// The words of these pages, merged into the catalog and the refusal table (i18n.go) at start.
func init() {
	for k, v := range map[string][2]string{
		"title_claims":       {"风险补偿", "Risk compensation"},
		"title_claim":        {"风险补偿 · 申请", "Risk compensation · claim"},
		"title_claim_new":    {"申请风险补偿", "File a claim"},
		"cl_new":             {"申请风险补偿", "File a risk-compensation claim"},
		"cl_pledge":          {"质押登记", "Pledge"},
		"cl_claimant":        {"申请机构", "Claimant"},
		"cl_loss":            {"损失金额（元）", "Loss (CNY)"},
		"cl_evidence":        {"证明材料编号", "Evidence reference"},
		"cl_evidence_hint":   {"如判决书、处置记录的文号", "e.g. the judgment's or the realisation record's number"},
		"cl_filed_on":        {"申请日期", "Filed on"},
		"cl_decided_on":      {"审核日期", "Decided on"},
		"cl_approved":        {"核定损失（元）", "Loss recognised (CNY)"},
		"cl_share":           {"补偿比例", "Fund share"},
		"cl_payout":          {"补偿金额（元）", "Payout (CNY)"},
		"cl_paid_on":         {"拨付日期", "Paid on"},
		"cl_status":          {"状态", "Status"},
		"cl_all":             {"全部", "all"},
		"cl_st_filed":        {"已申请", "filed"},
		"cl_st_approved":     {"已核准", "approved"},
		"cl_st_rejected":     {"已驳回", "rejected"},
		"cl_st_paid":         {"已拨付", "paid"},
		"cl_record":          {"审核与拨付", "Decide or pay"},
		"cl_amount":          {"金额（元）", "Amount (CNY)"},
		"cl_amount_hint":     {"核准：核定的损失，不超过申请金额；拨付：可不填（即核准的补偿金额）", "approve: the loss recognised, at most the loss claimed; pay: may be left empty (the approved payout)"},
		"cl_ev_approve":      {"核准", "approve"},
		"cl_ev_reject":       {"驳回", "reject"},
		"cl_ev_pay":          {"拨付", "pay"},
		"cl_history":         {"台账记录", "Ledger entries"},
		"cl_on_pledge":       {"该质押已违约，质权人可申请风险补偿。", "The pledge is in default: its pledgee may file a risk-compensation claim."},
		"pl_ltv":             {"贷款价值比", "Loan to value"},
		"pl_appraisals":      {"评估", "Appraisals"},
		"m_debt_to_equity":   {"质权转股权", "debt to equity"},
		"m_reverse_licence":  {"反向许可", "reverse licence"},
		"ev_appraise":        {"评估", "appraise"},
		"pl_equity_holder":   {"持股方", "Equity holder"},
		"pl_equity_share":    {"股权比例", "Equity share"},
		"pl_d2e_hint":        {"质权转股权时填写（比例如 0.15）", "debt to equity only (a share such as 0.15)"},
		"pl_licensee":        {"被许可方", "Licensee"},
		"pl_licence_ends_on": {"许可截止日期", "Licence ends on"},
		"pl_rl_hint":         {"反向许可时填写", "reverse licence only"},
	} {
		catalog[k] = v
	}
	for k, v := range map[string]string{
		"claim_exists":             "该质押已有未驳回的补偿申请。",
		"claim_not_found":          "找不到该补偿申请。",
		"amount_exceeds_loss":      "核定金额不能超过申请的损失金额。",
		"amount_mismatch":          "拨付金额应等于核准的补偿金额。",
		"not_approved":             "补偿申请核准后才能拨付。",
		"already_approved":         "该申请已核准，只能拨付。",
		"already_rejected":         "该申请已驳回。",
		"already_paid":             "该申请已拨付。",
		"field_required":           "请填写此项。",
		"equity_share_invalid":     "股权比例应为大于 0、不超过 1 的小数（最多 4 位）。",
		"equity_holder_unknown":    "找不到该持股方。",
		"appraisal_method_invalid": "评估方法应为收益法、市场法或成本法。",
	} {
		if _, ok := errorCodes[k]; !ok {
			errorCodes[k] = v
		}
	} // Shared with the realise event, whose sentence spoke of realisation only.
	errorCodes["not_defaulted"] = "该质押尚未登记违约，不能处置或申请风险补偿。"
}
