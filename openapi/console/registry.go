package console

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/google/uuid"

	"ipledger/ledger"
	"ipledger/registry"
	"ipledger/registry/ident"
	"ipledger/registry/term"
)

const searchLimit = 50

type option struct{ Value, Label string }

// registryData is the registry page: a search and the two registration forms.
type registryData struct {
	Q                    string
	Parties              []registry.Party
	Assets               []registry.Asset
	More                 bool
	Searched             bool
	CanParty, CanAsset   bool
	PartyForm, AssetForm *form
	Units                []option
	Kinds, PartyKinds    []option
	Categories           []option
}

func (c *Console) registryData(r *http.Request) registryData {
	lang := langOf(r)
	d := registryData{CanParty: c.can(r, "create-party"), CanAsset: c.can(r, "create-asset"),
		PartyForm: newForm(nil), AssetForm: newForm(nil), Units: c.unitOptions(r)}
	for _, k := range ident.Kinds() {
		d.Kinds = append(d.Kinds, option{string(k), translate(lang, "kind_"+string(k))})
	}
	for _, k := range registry.PartyKinds() {
		d.PartyKinds = append(d.PartyKinds, option{string(k), translate(lang, "pk_"+string(k))})
	}
	d.Categories = []option{{"", translate(lang, "cat_none")}, {registry.CategoryTreeVine, translate(lang, "cat_tree_vine")}}
	return d
}

// unitOptions are the city's units, for a select.
func (c *Console) unitOptions(r *http.Request) []option {
	regions, err := c.Registry.Regions(r.Context())
	if err != nil {
		c.Log.ErrorContext(r.Context(), "console regions", "err", err)
		return nil
	}
	var out []option
	for _, x := range regions {
		if x.IsUnit {
			name := x.NameZH
			if langOf(r) == "en" {
				name = x.NameEN
			}
			out = append(out, option{x.Code, x.Code + " " + name})
		}
	}
	return out
}

// registryPage searches parties and rights: by name (substring), unified social credit
// code, or a right's number in any spelling.
func (c *Console) registryPage(w http.ResponseWriter, r *http.Request) {
	d := c.registryData(r)
	d.Q = strings.TrimSpace(r.URL.Query().Get("q"))
	if d.Q != "" {
		d.Searched = true
		if err := c.search(r, &d); err != nil {
			f := newForm(nil)
			status := c.refuse(r, f, err)
			c.render(w, r, status, "error", "title_error", errorData{Status: status, Message: f.General})
			return
		}
	}
	c.render(w, r, http.StatusOK, "registry", "title_registry", d)
}

func (c *Console) search(r *http.Request, d *registryData) error {
	ctx := r.Context()
	seenP := map[uuid.UUID]bool{}
	addP := func(p registry.Party) {
		if !seenP[p.ID] {
			seenP[p.ID] = true
			d.Parties = append(d.Parties, p)
		}
	}
	if code, err := ident.CheckUSCC(d.Q); err == nil {
		m, err := c.Registry.PartyIDsByUSCC(ctx, []string{code})
		if err != nil {
			return err
		}
		if id, ok := m[code]; ok {
			p, err := c.Registry.GetParty(ctx, id)
			if err != nil {
				return err
			}
			addP(p)
		}
	}
	ps, next, err := c.Registry.ListParties(ctx, registry.PartyFilter{Q: d.Q, Limit: searchLimit})
	if err != nil {
		return err
	}
	for _, p := range ps {
		addP(p)
	}
	d.More = next != ""
	seenA := map[uuid.UUID]bool{}
	byNumber, err := c.assetsByNumber(ctx, d.Q)
	if err != nil {
		return err
	}
	as, next, err := c.Registry.ListAssets(ctx, registry.AssetFilter{Q: d.Q, Limit: searchLimit})
	if err != nil {
		return err
	}
	d.More = d.More || next != ""
	for _, a := range append(byNumber, as...) {
		if !seenA[a.ID] {
			seenA[a.ID] = true
			d.Assets = append(d.Assets, a)
		}
	}
	return nil
}

func (c *Console) createParty(w http.ResponseWriter, r *http.Request) {
	d := c.registryData(r)
	f, err := parseForm(w, r)
	if err != nil {
		c.errorPage(w, r, http.StatusBadRequest, "err_form")
		return
	}
	d.PartyForm = f
	p, _, err := c.Registry.RegisterParty(r.Context(), registry.PartyInput{
		Name: f.V("name"), Kind: registry.PartyKind(f.V("kind")), USCC: f.V("uscc"),
		USCCConfirmed: f.Checked("uscc_confirmed"), RegionCode: f.V("region_code"),
	})
	if err != nil {
		c.render(w, r, c.refuse(r, f, err, "name", "kind", "uscc", "region_code"), "registry", "title_registry", d)
		return
	}
	http.Redirect(w, r, "/console/registry/parties/"+p.ID.String(), http.StatusSeeOther)
}

func (c *Console) createAsset(w http.ResponseWriter, r *http.Request) {
	d := c.registryData(r)
	f, err := parseForm(w, r)
	if err != nil {
		c.errorPage(w, r, http.StatusBadRequest, "err_form")
		return
	}
	d.AssetForm = f
	fields := []string{"kind", "number", "title", "owner_ids", "region_code", "filed_on", "granted_on", "ipc", "category"}
	a, err := func() (registry.Asset, error) {
		owners, err := c.parties(r.Context(), "owner_ids", "owner_unknown", lines(f.V("owner_ids")))
		if err != nil {
			return registry.Asset{}, err
		}
		filed, err := f.date("filed_on")
		if err != nil {
			return registry.Asset{}, err
		}
		granted, err := f.date("granted_on")
		if err != nil {
			return registry.Asset{}, err
		}
		return c.Registry.RegisterAsset(r.Context(), registry.AssetInput{
			Kind: ident.Kind(f.V("kind")), Number: f.V("number"), Title: f.V("title"), OwnerIDs: owners,
			RegionCode: f.V("region_code"), FiledOn: filed, GrantedOn: granted,
			Attributes: registry.Attributes{IPC: lines(f.V("ipc")), Category: f.V("category")},
		})
	}()
	if err != nil {
		c.render(w, r, c.refuse(r, f, err, fields...), "registry", "title_registry", d)
		return
	}
	http.Redirect(w, r, "/console/registry/assets/"+a.ID.String(), http.StatusSeeOther)
}

// assetData is a right's page.
type assetData struct {
	Asset    registry.Asset
	AsOf     string
	History  []entryRow
	Pledges  []registry.Pledge
	CanEvent bool
	Form     *form
	Events   []option
	Units    []option
	Saved    bool
}

// entryRow is a ledger entry on a timeline.
type entryRow struct {
	ledger.Entry
	When    string // the effective date
	Label   string
	Details string
}

// subjectRows is the ledger entries of one record (up to 1,000) as rows, or the error page.
func (c *Console) subjectRows(w http.ResponseWriter, r *http.Request, subject string) ([]entryRow, bool) {
	es, err := ledger.List(r.Context(), c.ReadDB, ledger.Filter{Subject: subject, Limit: 1000})
	if err != nil {
		c.notFoundOr(w, r, err)
		return nil, false
	}
	return c.entryRows(r, es), true
}

func (c *Console) entryRows(r *http.Request, es []ledger.Entry) []entryRow {
	lang := langOf(r)
	out := make([]entryRow, 0, len(es))
	for _, e := range es {
		row := entryRow{Entry: e, When: e.EffectiveDate(), Label: translate(lang, "k_"+e.Kind)}
		// The payload's own words, minus ids nobody reads.
		var m map[string]any
		if json.Unmarshal(e.Payload, &m) == nil {
			var parts []string
			for _, k := range []string{"type", "name", "number", "title", "region_code", "case_number", "industry", "country",
				"family_number", "award", "level", "license_type", "contract_no", "method", "note"} {
				if v, ok := m[k].(string); ok && v != "" {
					parts = append(parts, k+": "+v)
				}
			}
			row.Details = strings.Join(parts, "; ")
		}
		out = append(out, row)
	}
	return out
}

var assetEventTypes = []string{
	registry.EventGrant, registry.EventRenew, registry.EventLapse, registry.EventRestore, registry.EventInvalidate,
	registry.EventTransfer, registry.EventLicense, registry.EventFreeze, registry.EventUnfreeze, registry.EventDesignate,
	registry.EventForeignFamily, registry.EventAward, registry.EventWellKnown, registry.EventSetRegion,
}

func (c *Console) assetPage(w http.ResponseWriter, r *http.Request) {
	c.showAsset(w, r, http.StatusOK, newForm(nil), r.URL.Query().Get("saved") != "")
}

func (c *Console) showAsset(w http.ResponseWriter, r *http.Request, status int, f *form, saved bool) {
	id, ok := c.pathID(w, r)
	if !ok {
		return
	}
	asOf, err := term.ParseDate(r.URL.Query().Get("as_of"))
	if err != nil {
		asOf = term.Date{}
	}
	a, err := c.Registry.GetAsset(r.Context(), id, asOf)
	if err != nil {
		c.notFoundOr(w, r, err)
		return
	}
	hist, err := c.Registry.AssetHistory(r.Context(), id)
	if err != nil {
		c.notFoundOr(w, r, err)
		return
	}
	d := assetData{Asset: a, AsOf: a.AsOf.String(), History: c.entryRows(r, hist), CanEvent: c.can(r, "record-asset-event"),
		Form: f, Units: c.unitOptions(r), Saved: saved}
	if p, ok := principalFrom(r.Context()); ok && c.can(r, "list-pledges") {
		ps, _, err := c.Registry.ListPledges(r.Context(), c.Viewer(p), registry.PledgeFilter{AssetID: id, Limit: 100})
		if err != nil {
			c.notFoundOr(w, r, err)
			return
		}
		d.Pledges = ps
	}
	lang := langOf(r)
	for _, t := range assetEventTypes {
		d.Events = append(d.Events, option{t, translate(lang, "ae_"+t)})
	}
	c.render(w, r, status, "asset", "title_asset", d)
}

// notFoundOr shows a domain NotFound as a 404 page, anything else as an internal error.
func (c *Console) notFoundOr(w http.ResponseWriter, r *http.Request, err error) {
	if de, ok := registry.AsError(err); ok && de.Class == registry.NotFound {
		c.errorPage(w, r, http.StatusNotFound, "err_not_found")
		return
	}
	f := newForm(nil)
	status := c.refuse(r, f, err)
	c.render(w, r, status, "error", "title_error", errorData{Status: status, Message: f.General})
}

func (c *Console) assetEvent(w http.ResponseWriter, r *http.Request) {
	id, f, ok := c.formFor(w, r)
	if !ok {
		return
	}
	fields := []string{"type", "effective_on", "owner_ids", "licensee_id", "license_type", "case_number", "industry",
		"country", "family_number", "family_date", "award", "level", "region_code", "note", "pledgee_consent"}
	err := func() error {
		ev := registry.EventInput{Type: f.V("type"), PledgeeConsent: f.Checked("pledgee_consent"), LicenseType: f.V("license_type"),
			CaseNumber: f.V("case_number"), Industry: f.V("industry"), Country: strings.ToUpper(strings.TrimSpace(f.V("country"))),
			FamilyNumber: f.V("family_number"), Award: f.V("award"), Level: f.V("level"), RegionCode: f.V("region_code"), Note: f.V("note")}
		var err error
		if ev.EffectiveOn, err = f.date("effective_on"); err != nil {
			return err
		}
		if ev.FamilyDate, err = f.date("family_date"); err != nil {
			return err
		}
		if ev.OwnerIDs, err = c.parties(r.Context(), "owner_ids", "owner_unknown", lines(f.V("owner_ids"))); err != nil {
			return err
		}
		if s := strings.TrimSpace(f.V("licensee_id")); s != "" {
			ids, err := c.parties(r.Context(), "licensee_id", "licensee_unknown", []string{s})
			if err != nil {
				return err
			}
			ev.LicenseeID = ids[0]
		}
		_, err = c.Registry.AssetEvent(r.Context(), id, ev)
		return err
	}()
	if err != nil {
		c.showAsset(w, r, c.refuse(r, f, err, fields...), f, false)
		return
	}
	http.Redirect(w, r, "/console/registry/assets/"+id.String()+"?saved=1", http.StatusSeeOther)
}

type partyData struct {
	Party    registry.Party
	Assets   []registry.Asset
	More     bool
	CanEvent bool
	Form     *form
	Units    []option
	Saved    bool
	Credit   []registry.CreditListing // its credit listings (credit.go), past ones included
}

func (c *Console) partyPage(w http.ResponseWriter, r *http.Request) {
	c.showParty(w, r, http.StatusOK, newForm(nil), r.URL.Query().Get("saved") != "")
}

func (c *Console) showParty(w http.ResponseWriter, r *http.Request, status int, f *form, saved bool) {
	id, ok := c.pathID(w, r)
	if !ok {
		return
	}
	p, err := c.Registry.GetParty(r.Context(), id)
	if err != nil {
		c.notFoundOr(w, r, err)
		return
	}
	as, next, err := c.Registry.ListAssets(r.Context(), registry.AssetFilter{OwnerID: id, Limit: searchLimit})
	if err != nil {
		c.notFoundOr(w, r, err)
		return
	}
	credit, err := c.Registry.CreditListings(r.Context(), []uuid.UUID{id}, true)
	if err != nil {
		c.notFoundOr(w, r, err)
		return
	}
	c.render(w, r, status, "party", "title_party", partyData{Party: p, Assets: as, More: next != "",
		CanEvent: c.can(r, "record-party-event"), Form: f, Units: c.unitOptions(r), Saved: saved, Credit: credit[id]})
}

func (c *Console) partyEvent(w http.ResponseWriter, r *http.Request) {
	id, f, ok := c.formFor(w, r)
	if !ok {
		return
	}
	err := func() error {
		eff, err := f.date("effective_on")
		if err != nil {
			return err
		}
		_, err = c.Registry.PartyEvent(r.Context(), id, registry.PartyEventInput{Type: f.V("type"), Name: f.V("name"),
			RegionCode: f.V("region_code"), List: f.V("list"), SourceRef: f.V("source_ref"), EffectiveOn: eff})
		return err
	}()
	if err != nil {
		c.showParty(w, r, c.refuse(r, f, err, "type", "name", "region_code", "list", "source_ref", "effective_on"), f, false)
		return
	}
	http.Redirect(w, r, "/console/registry/parties/"+id.String()+"?saved=1", http.StatusSeeOther)
}
