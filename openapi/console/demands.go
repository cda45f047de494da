package console

import (
	"net/http"
	"slices"
	"strings"

	"github.com/google/uuid"

	"ipledger/registry"
	"ipledger/registry/access"
)

// Financing demands (融资需求, docs/SERVICES.md): the list, a demand's page, and the forms
// that post one (the office) and record its events (the office; a lender its interest and
// match), over the same registry calls and access rules as /v1/demands.

type demandsData struct {
	Status    string
	Demands   []registry.Demand
	More      bool
	CanCreate bool
	Form      *form
}

var demandStatuses = []string{registry.DemandOpen, registry.DemandMatched, registry.DemandWithdrawn}

func (c *Console) demandsPage(w http.ResponseWriter, r *http.Request) {
	c.showDemands(w, r, http.StatusOK, newForm(nil))
}

func (c *Console) showDemands(w http.ResponseWriter, r *http.Request, status int, f *form) {
	p, _ := principalFrom(r.Context())
	st := r.URL.Query().Get("status")
	if st != "" && !slices.Contains(demandStatuses, st) {
		st = ""
	}
	ds, next, err := c.Registry.ListDemands(r.Context(), c.Viewer(p), registry.DemandFilter{Status: st, Limit: 100})
	if err != nil {
		c.notFoundOr(w, r, err)
		return
	}
	c.render(w, r, status, "demands", "title_demands", demandsData{Status: st, Demands: ds, More: next != "",
		CanCreate: c.can(r, "create-demand"), Form: f})
}

// createDemand posts a demand; the party is typed as a name, code or id, the rights offered
// as numbers or ids, one a line.
func (c *Console) createDemand(w http.ResponseWriter, r *http.Request) {
	f, err := parseForm(w, r)
	if err != nil {
		c.errorPage(w, r, http.StatusBadRequest, "err_form")
		return
	}
	dm, err := func() (registry.Demand, error) {
		ctx := r.Context()
		in := registry.DemandInput{Amount: strings.TrimSpace(f.V("amount")), Note: f.V("note")}
		ids, err := c.parties(ctx, "party_id", "party_unknown", []string{strings.TrimSpace(f.V("party_id"))})
		if err != nil {
			return registry.Demand{}, err
		}
		in.PartyID = ids[0]
		if in.TermMonths, err = f.months("term_months"); err != nil {
			return registry.Demand{}, err
		}
		if in.AssetIDs, err = c.assets(ctx, "asset_ids", lines(f.V("asset_ids"))); err != nil {
			return registry.Demand{}, err
		}
		if in.PostedOn, err = f.date("posted_on"); err != nil {
			return registry.Demand{}, err
		}
		return c.Registry.PostDemand(ctx, in)
	}()
	if err != nil {
		c.showDemands(w, r, c.refuse(r, f, err, "party_id", "amount", "term_months", "asset_ids", "posted_on", "note"), f)
		return
	}
	http.Redirect(w, r, "/console/demands/"+dm.ID.String(), http.StatusSeeOther)
}

// months reads a whole number of months; anything else is term_months_invalid.
func (f *form) months(name string) (int, error) {
	s := strings.TrimSpace(f.V(name))
	n := 0
	for _, ch := range s {
		if ch < '0' || ch > '9' || n > registry.MaxTermMonths {
			n = -1
			break
		}
		n = n*10 + int(ch-'0')
	}
	if s == "" || n < 0 {
		return 0, registry.Errorf(registry.Invalid, "term_months_invalid", name, "the term is a whole number of months")
	}
	return n, nil
}

type demandData struct {
	Demand   registry.Demand
	Assets   []registry.Asset
	Events   []entryRow
	CanEvent bool
	IsBank   bool
	Types    []option
	Form     *form
	Saved    bool
	// PledgeShown: the demand cites a pledge the viewer may open.
	PledgeShown bool
}

func (c *Console) demandPage(w http.ResponseWriter, r *http.Request) {
	c.showDemand(w, r, http.StatusOK, newForm(nil), r.URL.Query().Get("saved") != "")
}

func (c *Console) showDemand(w http.ResponseWriter, r *http.Request, status int, f *form, saved bool) {
	dm, id, p, ok := viewed(c, w, r, c.Registry.GetDemand)
	if !ok {
		return
	}
	d := demandData{Demand: dm, CanEvent: c.can(r, "record-demand-event"), IsBank: p.Role == access.Bank, Form: f, Saved: saved,
		PledgeShown: dm.PledgeID != uuid.Nil}
	for _, a := range dm.AssetIDs {
		if x, err := c.Registry.GetAsset(r.Context(), a, dm.PostedOn); err == nil {
			d.Assets = append(d.Assets, x)
		}
	}
	// The office reads the demand's ledger entries; a lender would see other lenders' interest in them.
	if !d.IsBank {
		if d.Events, ok = c.subjectRows(w, r, "demand/"+id.String()); !ok {
			return
		}
	}
	lang := langOf(r)
	for _, t := range []string{registry.DemandInterest, registry.DemandMatched, registry.DemandWithdrawn} {
		if d.IsBank && t == registry.DemandWithdrawn {
			continue
		}
		d.Types = append(d.Types, option{t, translate(lang, "dm_ev_"+t)})
	}
	c.render(w, r, status, "demand", "title_demand", d)
}

func (c *Console) demandEvent(w http.ResponseWriter, r *http.Request) {
	id, f, ok := c.formFor(w, r)
	if !ok {
		return
	}
	p, _ := principalFrom(r.Context())
	err := func() error {
		ctx := r.Context()
		ev := registry.DemandEventInput{Type: f.V("type"), Note: f.V("note")}
		var err error
		if ev.EffectiveOn, err = f.date("effective_on"); err != nil {
			return err
		}
		if s := strings.TrimSpace(f.V("lender_id")); s != "" && p.Role != access.Bank {
			ids, err := c.parties(ctx, "lender_id", "lender_invalid", []string{s})
			if err != nil {
				return err
			}
			ev.LenderID = ids[0]
		}
		if s := strings.TrimSpace(f.V("pledge_id")); s != "" {
			if ev.PledgeID, err = uuid.Parse(s); err != nil {
				return registry.Errorf(registry.Invalid, "pledge_unknown", "pledge_id", "not a pledge id")
			}
		}
		_, err = c.Registry.DemandEvent(ctx, c.Viewer(p), id, ev)
		return err
	}()
	if err != nil {
		if de, ok := registry.AsError(err); ok && de.Code == "demand_not_found" {
			c.errorPage(w, r, http.StatusNotFound, "err_not_found")
			return
		}
		c.showDemand(w, r, c.refuse(r, f, err, "type", "lender_id", "pledge_id", "effective_on", "note"), f, false)
		return
	}
	http.Redirect(w, r, "/console/demands/"+id.String()+"?saved=1", http.StatusSeeOther)
}

// creditNotice is a pledgor's credit listing that held on its pledge's registration date: the
// console's form of the API's pledgor_credit_listed warning, shown on the pledge's page.
type creditNotice struct {
	Party string
	registry.CreditListing
}

func (c *Console) creditNotices(r *http.Request, p registry.Pledge) ([]creditNotice, error) {
	ids := make([]uuid.UUID, len(p.Pledgors))
	for i, o := range p.Pledgors {
		ids[i] = o.ID
	}
	ls, err := c.Registry.CreditListings(r.Context(), ids, true)
	if err != nil {
		return nil, err
	}
	var out []creditNotice
	for _, o := range p.Pledgors {
		for _, l := range ls[o.ID] {
			if l.On(p.RegisteredOn) {
				out = append(out, creditNotice{Party: o.Name, CreditListing: l})
			}
		}
	}
	return out, nil
}

// The words of these pages and of the credit records on the party page, merged into the
// catalog and the refusal table (i18n.go) at start.
func init() {
	for k, v := range map[string][2]string{
		"title_demands":      {"融资需求", "Financing demand"},
		"title_demand":       {"融资需求 · 详情", "Financing demand · detail"},
		"dm_party":           {"需求方", "Party"},
		"dm_party_hint":      {"当事人名称、统一社会信用代码或编号", "A party's name, unified social credit code or id"},
		"dm_amount":          {"需求金额（元）", "Amount (CNY)"},
		"dm_term":            {"期限（月）", "Term (months)"},
		"dm_term_hint":       {"1–360 个月", "1 to 360 months"},
		"dm_rights":          {"拟质押权利", "Rights offered"},
		"dm_posted_on":       {"发布日期", "Posted on"},
		"dm_closed_on":       {"结束日期", "Closed on"},
		"dm_status":          {"状态", "Status"},
		"dm_all":             {"全部", "all"},
		"dm_open":            {"待对接", "open"},
		"dm_matched":         {"已对接", "matched"},
		"dm_withdrawn":       {"已撤回", "withdrawn"},
		"dm_new":             {"登记融资需求", "Record a demand"},
		"dm_lender":          {"对接机构", "Lender"},
		"dm_lender_hint":     {"银行、担保机构或其他金融机构的名称、代码或编号（登记员填写）", "A lender's name, code or id (the office fills it in)"},
		"dm_pledge":          {"对应质押登记编号", "Pledge id"},
		"dm_interests":       {"意向机构", "Interested lenders"},
		"dm_record":          {"记录进展", "Record a step"},
		"dm_ev_interest":     {"表达意向", "mark interest"},
		"dm_ev_matched":      {"对接成功", "matched"},
		"dm_ev_withdrawn":    {"撤回", "withdraw"},
		"dm_history":         {"台账记录", "Ledger entries"},
		"cr_title":           {"信用记录（失信）", "Credit records"},
		"cr_list":            {"名单", "List"},
		"cr_list_hint":       {"如：严重违法失信名单", "e.g. 严重违法失信名单"},
		"cr_listed_on":       {"列入日期", "Listed on"},
		"cr_removed_on":      {"移出日期", "Removed on"},
		"cr_source":          {"决定文号", "Source reference"},
		"cr_on":              {"列入中", "listed"},
		"cr_none":            {"无失信记录。", "No credit listings."},
		"cr_pledgor_listed":  {"提示：登记日出质人在失信名单上（不影响登记）。", "Note: on the registration date a pledgor was on a credit list (the registration stands)."},
		"k_demand.posted":    {"登记融资需求", "demand posted"},
		"k_demand.interest":  {"表达意向", "interest"},
		"k_demand.matched":   {"对接成功", "matched"},
		"k_demand.withdrawn": {"撤回", "withdrawn"},
		"k_credit.listed":    {"列入失信名单", "credit listed"},
		"k_credit.removed":   {"移出失信名单", "credit removed"},
		"pe_credit_listed":   {"列入失信名单", "credit listed"},
		"pe_credit_removed":  {"移出失信名单", "credit removed"},
	} {
		catalog[k] = v
	}
	for k, v := range map[string]string{
		"credit_already_listed":   "该当事人已在此名单上。",
		"credit_not_listed":       "该当事人不在此名单上，无法移出。",
		"list_required":           "请填写名单名称。",
		"source_ref_required":     "请填写决定文号或依据。",
		"term_months_invalid":     "期限应为 1 至 360 个月的整数。",
		"party_not_borrower":      "融资需求方不能是金融机构或政府部门。",
		"asset_not_owned":         "该权利不属于需求方。",
		"demand_not_open":         "该融资需求已结束（已对接或已撤回）。",
		"demand_unknown":          "找不到该融资需求。",
		"demand_party_mismatch":   "融资需求方必须是出质人之一。",
		"interest_already_marked": "该机构已表达过意向。",
		"interest_required":       "请先表达意向，或注明本机构的质押登记。",
		"withdraw_office_only":    "只有登记机关可以撤回融资需求。",
		"lender_required":         "请填写对接机构。",
		"lender_invalid":          "对接机构必须是银行、担保机构或其他金融机构。",
		"lender_not_caller":       "金融机构只能以本机构名义操作。",
		"pledge_unknown":          "找不到该质押登记。",
		"pledge_party_mismatch":   "需求方不是该质押的出质人。",
		"pledge_lender_mismatch":  "该质押的质权人不是对接机构。",
	} {
		if _, ok := errorCodes[k]; !ok {
			errorCodes[k] = v
		}
	}
}
