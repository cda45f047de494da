package console

import (
	"net/http"
	"strings"

	"github.com/google/uuid"

	"ipledger/registry"
	"ipledger/registry/access"
)

type pledgesData struct {
	Status    string
	Pledges   []registry.Pledge
	More      bool
	CanCreate bool
	IsBank    bool
	Form      *form
}

// pledgesPage lists the pledges the principal may see (a bank its own), as the API does.
func (c *Console) pledgesPage(w http.ResponseWriter, r *http.Request) {
	c.showPledges(w, r, http.StatusOK, newForm(nil))
}

func (c *Console) showPledges(w http.ResponseWriter, r *http.Request, status int, f *form) {
	p, _ := principalFrom(r.Context())
	st := r.URL.Query().Get("status")
	if st != "active" && st != "released" && st != "realised" {
		st = ""
	}
	ps, next, err := c.Registry.ListPledges(r.Context(), c.Viewer(p), registry.PledgeFilter{Status: st, Limit: 100})
	if err != nil {
		c.notFoundOr(w, r, err)
		return
	}
	c.render(w, r, status, "pledges", "title_pledges", pledgesData{Status: st, Pledges: ps, More: next != "",
		CanCreate: c.can(r, "create-pledge"), IsBank: p.Role == access.Bank, Form: f})
}

// createPledge registers a pledge. A bank's pledge is always its own: the pledgee is its
// party, as the API decides.
func (c *Console) createPledge(w http.ResponseWriter, r *http.Request) {
	f, err := parseForm(w, r)
	if err != nil {
		c.errorPage(w, r, http.StatusBadRequest, "err_form")
		return
	}
	fields := []string{"pledgor_ids", "asset_ids", "amount", "contract_no", "registered_on", "starts_on", "ends_on", "pledgee_id", "note"}
	pl, err := func() (registry.Pledge, error) {
		ctx := r.Context()
		in := registry.PledgeInput{Amount: strings.TrimSpace(f.V("amount")), ContractNo: f.V("contract_no"), Note: f.V("note")}
		var err error
		if in.PledgorIDs, err = c.parties(ctx, "pledgor_ids", "pledgor_unknown", lines(f.V("pledgor_ids"))); err != nil {
			return registry.Pledge{}, err
		}
		if in.AssetIDs, err = c.assets(ctx, "asset_ids", lines(f.V("asset_ids"))); err != nil {
			return registry.Pledge{}, err
		}
		if in.RegisteredOn, err = f.date("registered_on"); err != nil {
			return registry.Pledge{}, err
		}
		if in.StartsOn, err = f.date("starts_on"); err != nil {
			return registry.Pledge{}, err
		}
		if in.EndsOn, err = f.date("ends_on"); err != nil {
			return registry.Pledge{}, err
		}
		if p, _ := principalFrom(ctx); p.Role == access.Bank {
			own, err := uuid.Parse(p.PartyID)
			if err != nil {
				return registry.Pledge{}, registry.Errorf(registry.Forbidden, "forbidden", "", "this bank principal is bound to no bank party")
			}
			in.PledgeeID = own
		} else if s := strings.TrimSpace(f.V("pledgee_id")); s != "" {
			ids, err := c.parties(ctx, "pledgee_id", "pledgee_unknown", []string{s})
			if err != nil {
				return registry.Pledge{}, err
			}
			in.PledgeeID = ids[0]
		}
		p, _ := principalFrom(ctx)
		return c.Registry.RegisterPledge(registry.WithViewer(ctx, c.Viewer(p)), in)
	}()
	if err != nil {
		c.showPledges(w, r, c.refuse(r, f, err, fields...), f)
		return
	}
	http.Redirect(w, r, "/console/pledges/"+pl.ID.String(), http.StatusSeeOther)
}

type pledgeData struct {
	Pledge   registry.Pledge
	Events   []entryRow
	CanEvent bool
	Form     *form
	Types    []option
	Methods  []option
	Saved    bool
	Credit   []creditNotice // pledgors on a credit list on the registration date (demands.go)
	CanClaim bool           // its pledgee may file a risk-compensation claim (claims.go)
	Appraise appraiseForm   // the appraisal form (valuation.go)
}

var pledgeEventTypes = []string{"amend", "extend", "release_assets", "release", "default", "realise"}

func (c *Console) pledgePage(w http.ResponseWriter, r *http.Request) {
	c.showPledge(w, r, http.StatusOK, newForm(nil), r.URL.Query().Get("saved") != "")
}

// showPledge is a pledge and its ledger entries. Another bank's pledge is not found, as in
// the API: the viewer decides before anything is read.
func (c *Console) showPledge(w http.ResponseWriter, r *http.Request, status int, f *form, saved bool) {
	c.showPledgeForms(w, r, status, f, newForm(nil), saved)
}

// showPledgeForms is showPledge with the appraisal form af as typed (valuation.go).
func (c *Console) showPledgeForms(w http.ResponseWriter, r *http.Request, status int, f, af *form, saved bool) {
	pl, id, _, ok := viewed(c, w, r, c.Registry.GetPledge)
	if !ok {
		return
	}
	events, ok := c.subjectRows(w, r, "pledge/"+id.String())
	if !ok {
		return
	}
	lang := langOf(r)
	d := pledgeData{Pledge: pl, Events: events, CanEvent: c.can(r, "record-pledge-event"), Form: f, Saved: saved, CanClaim: c.canClaim(r, pl)}
	var err error
	if d.Credit, err = c.creditNotices(r, pl); err != nil {
		c.notFoundOr(w, r, err)
		return
	}
	for _, t := range pledgeEventTypes {
		d.Types = append(d.Types, option{t, translate(lang, "ev_"+t)})
	}
	d.Appraise = c.appraiseForm(r, pl, af)
	for _, m := range registry.RealisationMethods {
		d.Methods = append(d.Methods, option{m, translate(lang, "m_"+m)})
	}
	c.render(w, r, status, "pledge", "title_pledge", d)
}

func (c *Console) pledgeEvent(w http.ResponseWriter, r *http.Request) {
	id, f, ok := c.formFor(w, r)
	if !ok {
		return
	}
	p, _ := principalFrom(r.Context())
	err := func() error {
		ev := registry.PledgeEventInput{Type: f.V("type"), Amount: strings.TrimSpace(f.V("amount")), ContractNo: f.V("contract_no"),
			Method: f.V("method"), Proceeds: strings.TrimSpace(f.V("proceeds")), Note: f.V("note")}
		var err error
		if ev.EffectiveOn, err = f.date("effective_on"); err != nil {
			return err
		}
		if ev.StartsOn, err = f.date("starts_on"); err != nil {
			return err
		}
		if ev.EndsOn, err = f.date("ends_on"); err != nil {
			return err
		}
		if ev.AssetIDs, err = c.assets(r.Context(), "asset_ids", lines(f.V("asset_ids"))); err != nil {
			return err
		}
		if err := c.realiseTerms(r, f, &ev); err != nil { // claims.go
			return err
		}
		_, err = c.Registry.PledgeEvent(r.Context(), c.Viewer(p), id, ev)
		return err
	}()
	if err != nil {
		if de, ok := registry.AsError(err); ok && de.Class == registry.NotFound && de.Code == "pledge_not_found" {
			c.errorPage(w, r, http.StatusNotFound, "err_not_found")
			return
		}
		c.showPledge(w, r, c.refuse(r, f, err, "type", "effective_on", "amount", "starts_on", "ends_on", "contract_no",
			"asset_ids", "method", "proceeds", "equity_holder_id", "equity_share", "licensee_id", "licence_ends_on", "note"), f, false)
		return
	}
	http.Redirect(w, r, "/console/pledges/"+id.String()+"?saved=1", http.StatusSeeOther)
}

type publicData struct {
	Q       string
	Pledges []registry.PublicPledge
	More    bool
}

// publicPledges is the public disclosure, without a login: a right's number in any
// spelling, or a pledgor's name or code; never an amount.
func (c *Console) publicPledges(w http.ResponseWriter, r *http.Request) {
	r, q := c.publicQuery(w, r) // public.go
	d := publicData{Q: q}
	if d.Q != "" {
		seen := map[uuid.UUID]bool{}
		for _, f := range []registry.PublicFilter{{Number: d.Q, Limit: searchLimit}, {Pledgor: d.Q, Limit: searchLimit}} {
			ps, next, err := c.Registry.PublicPledges(r.Context(), f)
			if err != nil {
				c.notFoundOr(w, r, err)
				return
			}
			d.More = d.More || next != ""
			for _, p := range ps {
				if !seen[p.PledgeID] {
					seen[p.PledgeID] = true
					d.Pledges = append(d.Pledges, p)
				}
			}
		}
	}
	c.render(w, r, http.StatusOK, "public", "title_public", d)
}
