package openapi

import (
	"context"
	"net/http"
	"strconv"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"ipledger/ledger"
	"ipledger/registry"
	"ipledger/registry/access"
	"ipledger/registry/term"
)

// financingRule is the financing-volume rule (docs/DOMAIN.md, Pledge rules), stated where planners read the API.
const financingRule = "**Financing volume** (the plan's pledge-financing indicators): each registration counts once, " +
	"at its registered `amount`, on its `registered_on` date, in the unit (`region_code`) of its first pledgor — once, however many rights it covers; " +
	"an amendment that raises the amount counts the increase on the amendment's `effective_on`; decreases, partial releases, releases (注销) and realisations never subtract. " +
	"A pledge's `financing` is its counted total so far."

// PledgeView is a pledge as its pledgee bank and the office see it.
type PledgeView struct {
	ID           string             `json:"id" format:"uuid"`
	Status       string             `json:"status" enum:"active,released,realised" doc:"active from registration until released (注销) or realised"`
	Overdue      bool               `json:"overdue" doc:"Active, and its term ended before today without a release"`
	Defaulted    bool               `json:"defaulted"`
	DefaultedOn  *string            `json:"defaulted_on" format:"date"`
	Pledgee      OwnerView          `json:"pledgee"`
	Pledgors     []OwnerView        `json:"pledgors" nullable:"false"`
	Assets       []PledgedAssetView `json:"assets" nullable:"false"`
	Amount       string             `json:"amount" example:"150000000.00" doc:"Secured amount now, CNY, decimal string"`
	Financing    string             `json:"financing" example:"150000000.00" doc:"Financing counted so far: the registration plus amendment increases"`
	ContractNo   string             `json:"contract_no"`
	RegionCode   string             `json:"region_code" doc:"The first pledgor's unit, where the financing counts"`
	RegisteredOn *string            `json:"registered_on" format:"date"`
	StartsOn     *string            `json:"starts_on" format:"date"`
	EndsOn       *string            `json:"ends_on" format:"date"`
	EndedOn      *string            `json:"ended_on" format:"date" doc:"Released or realised on"`
	Realisation  *RealisationView   `json:"realisation" doc:"How a defaulted pledge was realised"`
	RegSeq       int64              `json:"registered_seq" doc:"The registration's ledger entry"`
	UpdatedSeq   int64              `json:"updated_seq" doc:"The last ledger entry that changed it"`
	Appraisals   []AppraisalView    `json:"appraisals" nullable:"false" doc:"Appraisals of the rights, as recorded (valuation.go)"`
	LoanToValue  *string            `json:"loan_to_value,omitempty" example:"0.5000" doc:"amount ÷ the latest appraised value (latest appraised_on, then the latest entry), 4 decimals rounded half away from zero; absent without an appraisal"`
	Warnings     []WarningView      `json:"warnings,omitempty" doc:"On a registration's answer: e.g. pledgor_credit_listed, a pledgor on a credit list (失信) on the registration date; never a refusal"`
}

// PledgedAssetView is a right a pledge covers or covered.
type PledgedAssetView struct {
	ID            string  `json:"id" format:"uuid"`
	Kind          string  `json:"kind"`
	Number        string  `json:"number"`
	DisplayNumber string  `json:"display_number"`
	Title         string  `json:"title"`
	Active        bool    `json:"active" doc:"Still in the pledge"`
	ReleasedOn    *string `json:"released_on" format:"date"`
}

// RealisationView is how a pledge was realised.
type RealisationView struct {
	Method   string `json:"method" enum:"auction,sale,transfer,licence,debt_to_equity,reverse_licence"`
	Proceeds string `json:"proceeds" example:"1200000.00"`

	EquityHolder  *OwnerView `json:"equity_holder,omitempty" doc:"debt_to_equity: who holds the equity the debt became"`
	EquityShare   *string    `json:"equity_share,omitempty" example:"0.1500" doc:"debt_to_equity: the share of the pledgor's equity, 4 decimals"`
	Licensee      *OwnerView `json:"licensee,omitempty" doc:"reverse_licence: the licensee of every right"`
	LicenceEndsOn *string    `json:"licence_ends_on,omitempty" format:"date" doc:"reverse_licence: the licence's last day"`
}

func pledgeView(p registry.Pledge) PledgeView {
	v := PledgeView{
		ID: p.ID.String(), Status: p.Status, Overdue: p.Overdue, Defaulted: p.Defaulted, DefaultedOn: dateStr(p.DefaultedOn),
		Pledgee: OwnerView{ID: p.Pledgee.ID.String(), Name: p.Pledgee.Name}, Pledgors: make([]OwnerView, 0, len(p.Pledgors)),
		Assets: make([]PledgedAssetView, 0, len(p.Assets)), Amount: p.Amount.String(), Financing: p.Financing.String(),
		ContractNo: p.ContractNo, RegionCode: p.RegionCode, RegisteredOn: dateStr(p.RegisteredOn), StartsOn: dateStr(p.StartsOn),
		EndsOn: dateStr(p.EndsOn), EndedOn: dateStr(p.EndedOn), RegSeq: p.Seq, UpdatedSeq: p.UpdatedSeq,
	}
	for _, o := range p.Pledgors {
		v.Pledgors = append(v.Pledgors, OwnerView{ID: o.ID.String(), Name: o.Name})
	}
	for _, a := range p.Assets {
		v.Assets = append(v.Assets, PledgedAssetView{ID: a.ID.String(), Kind: string(a.Kind), Number: a.Number,
			DisplayNumber: a.DisplayNumber, Title: a.Title, Active: a.Active, ReleasedOn: dateStr(a.ReleasedOn)})
	}
	for _, w := range p.Warnings {
		v.Warnings = append(v.Warnings, warningView(w))
	}
	if p.Realisation != nil {
		v.Realisation = &RealisationView{Method: p.Realisation.Method, Proceeds: p.Realisation.Proceeds.String()}
	}
	servicesView(&v, p) // valuation.go
	return v
}

// PublicPledgeView is what the public sees: no amount, term or contract.
type PublicPledgeView struct {
	PledgeID     string            `json:"pledge_id" format:"uuid"`
	Status       string            `json:"status" enum:"active,released,realised"`
	RegisteredOn *string           `json:"registered_on" format:"date" doc:"Pledged since"`
	EndedOn      *string           `json:"ended_on" format:"date" doc:"Released (注销) or realised on"`
	Pledgors     []string          `json:"pledgors" nullable:"false" doc:"Pledgors' names"`
	Pledgee      string            `json:"pledgee" doc:"The pledgee's name (a bank, guarantor or financial institution)"`
	Rights       []PublicRightView `json:"rights" nullable:"false"`
}

// PublicRightView is a pledged right in the public disclosure.
type PublicRightView struct {
	Kind          string  `json:"kind"`
	Number        string  `json:"number"`
	DisplayNumber string  `json:"display_number"`
	Title         string  `json:"title"`
	ReleasedOn    *string `json:"released_on" format:"date" doc:"Left the pledge on (partial release)"`
}

type createPledgeInput struct {
	Body struct {
		PledgorIDs   []string `json:"pledgor_ids" minItems:"1" maxItems:"50" doc:"Party ids: exactly the current owners of every right (all co-owners); the first pledgor's unit is where the financing counts"`
		AssetIDs     []string `json:"asset_ids" minItems:"1" maxItems:"200" doc:"The rights pledged: not GI products or GI marks; granted, in force and not frozen"`
		Amount       string   `json:"amount" maxLength:"32" example:"150000000.00" doc:"Secured debt in CNY as a decimal string: more than 0, at most 2 decimals, up to 1000000000000.00. JSON numbers are refused."`
		ContractNo   string   `json:"contract_no" maxLength:"200" doc:"The pledge contract's number (required)"`
		RegisteredOn string   `json:"registered_on,omitempty" format:"date" doc:"Registration date (default today; not after today)"`
		StartsOn     string   `json:"starts_on,omitempty" format:"date" doc:"Debt term start (default registered_on)"`
		EndsOn       string   `json:"ends_on" format:"date" doc:"Debt term end: on or before every right's expires_on (its last valid day)"`
		ReleasedOn   string   `json:"released_on,omitempty" format:"date" doc:"A pledge that has already ended: released (注销) on this date (on or after registered_on and defaulted_on, not after today), recorded with its registration in one write"`
		DefaultedOn  string   `json:"defaulted_on,omitempty" format:"date" doc:"The debtor defaulted on this date (on or after registered_on, not after today), recorded with the registration in one write; required with realised_on"`
		RealisedOn   string   `json:"realised_on,omitempty" format:"date" doc:"A pledge that ended by realisation on this date (on or after defaulted_on, not after today; not with released_on), recorded with its registration and default in one write"`
		Method       string   `json:"realisation_method,omitempty" maxLength:"32" doc:"With realised_on: how the rights were realised (auction, sale, transfer, licence)"`
		Proceeds     string   `json:"proceeds,omitempty" maxLength:"32" example:"1200000.00" doc:"With realised_on: the proceeds in CNY (decimal string)"`
		PledgeeID    string   `json:"pledgee_id,omitempty" doc:"The pledgee: a party of kind bank, guarantor or financial_institution. Admins and registrars must name it; a bank principal's is its own party and it may not name another"`
		Note         string   `json:"note,omitempty" maxLength:"1000"`
		DemandID     string   `json:"demand_id,omitempty" maxLength:"64" doc:"The financing demand (融资需求) this pledge fulfils: its party must be a pledgor; an open demand is matched in the same write (demand_unknown, demand_party_mismatch, 409 demand_not_open)"`

		Appraisals []AppraisalBody `json:"appraisals,omitempty" maxItems:"20" doc:"Appraisals of the rights (value, appraiser, appraised_on, method); the answer then shows loan_to_value (valuation.go)"`
	}
}

type pledgeEventInput struct {
	ID   string `path:"id"`
	Body struct {
		Type        string   `json:"type" enum:"amend,extend,release_assets,release,default,realise,appraise"`
		EffectiveOn string   `json:"effective_on,omitempty" format:"date" doc:"Business date (default today; not after today, not before the pledge's last change)"`
		Amount      string   `json:"amount,omitempty" maxLength:"32" example:"180000000.00" doc:"amend: the new secured amount (decimal string); an increase counts as financing on effective_on"`
		StartsOn    string   `json:"starts_on,omitempty" format:"date" doc:"amend: new term start"`
		EndsOn      string   `json:"ends_on,omitempty" format:"date" doc:"amend, extend: new term end, on or before every remaining right's expiry"`
		ContractNo  string   `json:"contract_no,omitempty" maxLength:"200" doc:"amend: new contract number"`
		AssetIDs    []string `json:"asset_ids,omitempty" maxItems:"200" doc:"release_assets: the rights leaving the pledge (not all of them)"`
		Method      string   `json:"method,omitempty" doc:"realise: auction, sale, transfer, licence, debt_to_equity (质权转股权) or reverse_licence (反向许可)"`
		Proceeds    string   `json:"proceeds,omitempty" maxLength:"32" doc:"realise: proceeds in CNY (decimal string)"`
		Note        string   `json:"note,omitempty" maxLength:"1000"`

		EquityHolderID string         `json:"equity_holder_id,omitempty" maxLength:"64" doc:"realise by debt_to_equity: the party holding the equity the debt becomes (required)"`
		EquityShare    string         `json:"equity_share,omitempty" maxLength:"16" example:"0.15" doc:"realise by debt_to_equity: its share of the pledgor's equity, a decimal string above 0 and at most 1, up to 4 decimals (required)"`
		LicenseeID     string         `json:"licensee_id,omitempty" maxLength:"64" doc:"realise by reverse_licence: the licensee (required); a licence is recorded on each right still in the pledge"`
		LicenceEndsOn  string         `json:"licence_ends_on,omitempty" format:"date" doc:"realise by reverse_licence: the licence's last day (required; after effective_on, on or before every right's expiry)"`
		Appraisal      *AppraisalBody `json:"appraisal,omitempty" doc:"appraise: a later appraisal of the pledged rights (appraised_on not after effective_on)"`
	}
}

type pledgeOutput struct {
	Status int
	Body   PledgeView
}

type pledgesOutput struct{ Body Page[PledgeView] }

type publicPledgesOutput struct{ Body Page[PublicPledgeView] }

// Who records and reads pledges: banks (their own only), the office, and auditors (read).
var (
	pledgeWriters = roles(access.Admin, access.Registrar, access.Bank)
	pledgeReaders = roles(access.Admin, access.Registrar, access.Bank, access.Auditor)
)

// pledgeViewer is the calling principal as the registry's pledge viewer: a bank sees its own
// pledges only.
func pledgeViewer(ctx context.Context) registry.Viewer {
	p, _ := principalFrom(ctx)
	if p.Role == access.Bank {
		id, err := uuid.Parse(p.PartyID)
		if err != nil {
			return registry.Viewer{} // sees nothing
		}
		return registry.BankViewer(id)
	}
	return registry.OfficeViewer()
}

func (s *Server) registerPledges() {
	register(s, huma.Operation{
		OperationID: "create-pledge", Method: http.MethodPost, Path: "/v1/pledges", Tags: []string{"pledges"},
		Summary: "Register an IP pledge",
		Description: "Registers a pledge over one or more rights (docs/DOMAIN.md, Pledge rules). Refused, writing nothing, with a problem whose `code` names the rule and whose `errors[].location` points at the input: " +
			"`amount_invalid`, `term_invalid` (starts_on after ends_on), `date_in_future` (registered_on), `contract_required`, `pledgee_required`, `pledgee_not_bank` (the pledgee is not of kind bank, guarantor or financial_institution), `pledgor_unknown`, `asset_unknown`, " +
			"`asset_not_pledgeable` (GI products and GI marks), `asset_not_valid` (not granted, lapsed, expired or invalidated on registered_on or starts_on), `asset_frozen`, " +
			"`term_past_expiry` (ends_on after a right's expires_on; equal is fine), `pledgor_not_owner`, `co_owner_missing` (every co-owner must join); " +
			"`date_in_future` / `before_last_change` (defaulted_on, released_on, realised_on after today / out of order: registered_on ≤ defaulted_on ≤ released_on or realised_on); " +
			"`not_defaulted` (realised_on without defaulted_on, at `body.defaulted_on`), `already_released` (realised_on with released_on), `method_invalid` (realisation_method), `amount_invalid` (proceeds), " +
			"`field_not_allowed` (realisation_method or proceeds without realised_on); " +
			"a right in another pledge whose period overlaps this one's (`[registered_on, released_on or realised_on)`, an open pledge running to infinity) is 409 `asset_pledged` with `ref` = that pledge. " +
			"A pledge's history recorded after the fact is one write: with `released_on` its registration and its release (注销); with `defaulted_on` its default; with `realised_on` (and `defaulted_on`, `realisation_method`, `proceeds`) its default and its realisation — " +
			"each a ledger entry of its own, effective on its own date, in that order. " +
			"A bank principal's pledge is always its own (pledgee = its party, a bank, guarantor or financial institution).\n\n" + financingRule,
		DefaultStatus: http.StatusCreated,
		Errors:        []int{http.StatusConflict, http.StatusUnprocessableEntity},
	}, pledgeWriters, func(ctx context.Context, in *createPledgeInput) (*pledgeOutput, error) {
		b := in.Body
		pledgors, err := parseIDs("body.pledgor_ids", "pledgor_unknown", b.PledgorIDs)
		if err != nil {
			return nil, err
		}
		assets, err := parseIDs("body.asset_ids", "asset_unknown", b.AssetIDs)
		if err != nil {
			return nil, err
		}
		var pledgee uuid.UUID
		if b.PledgeeID != "" {
			ids, err := parseIDs("body.pledgee_id", "pledgee_unknown", []string{b.PledgeeID})
			if err != nil {
				return nil, err
			}
			pledgee = ids[0]
		}
		if p, _ := principalFrom(ctx); p.Role == access.Bank {
			own, err := uuid.Parse(p.PartyID)
			if err != nil {
				return nil, newProblem(http.StatusForbidden, "forbidden", "this bank principal is bound to no bank party")
			}
			if pledgee == uuid.Nil {
				pledgee = own // naming another is the registry's pledgee_not_caller
			}
		}
		dates := [...]string{b.RegisteredOn, b.StartsOn, b.EndsOn, b.ReleasedOn, b.DefaultedOn, b.RealisedOn}
		fields := [...]string{"body.registered_on", "body.starts_on", "body.ends_on", "body.released_on", "body.defaulted_on", "body.realised_on"}
		var ds [len(dates)]term.Date
		for i := range dates {
			d, err := parseDate(fields[i], dates[i])
			if err != nil {
				return nil, err
			}
			ds[i] = d
		}
		demand, err := optionalID("body.demand_id", "demand_unknown", b.DemandID)
		if err != nil {
			return nil, err
		}
		appraisals, err := appraisalInputs(b.Appraisals) // valuation.go
		if err != nil {
			return nil, err
		}
		p, err := s.Registry.RegisterPledge(registry.WithViewer(ctx, pledgeViewer(ctx)), registry.PledgeInput{Appraisals: appraisals,
			PledgorIDs: pledgors, AssetIDs: assets, Amount: b.Amount, ContractNo: b.ContractNo,
			RegisteredOn: ds[0], StartsOn: ds[1], EndsOn: ds[2], ReleasedOn: ds[3], DefaultedOn: ds[4], RealisedOn: ds[5],
			RealisationMethod: b.Method, Proceeds: b.Proceeds, PledgeeID: pledgee, Note: b.Note, DemandID: demand,
		})
		if err != nil {
			return nil, s.problemFrom(ctx, err)
		}
		return &pledgeOutput{Status: http.StatusCreated, Body: pledgeView(p)}, nil
	})

	register(s, huma.Operation{
		OperationID: "list-pledge-changes", Method: http.MethodGet, Path: "/v1/pledges/changes", Tags: []string{"pledges"},
		Summary: "The ledger entries about pledges, in chain order",
		Description: "A feed for banks to keep their books in step: every `pledge.*` entry (`pledge.registered`, `pledge.amended`, `pledge.extended`, `pledge.assets_released`, " +
			"`pledge.released`, `pledge.defaulted`, `pledge.realised`) with seq > `after`, oldest first. A bank sees its own pledges' entries only; " +
			"pass the last `seq` seen (or `next_cursor`) as `after`. Amounts in payloads are integer fen (`amount_fen`).",
		Errors: []int{http.StatusUnprocessableEntity},
	}, pledgeReaders, func(ctx context.Context, in *struct {
		After  int64  `query:"after" minimum:"0" doc:"Entries after this seq"`
		Cursor string `query:"cursor" maxLength:"20" doc:"next_cursor of the previous page (same as after)"`
		Limit  int    `query:"limit" minimum:"1" maximum:"1000" default:"100"`
	}) (*entriesOutput, error) {
		after := in.After
		if in.Cursor != "" {
			c, err := strconv.ParseInt(in.Cursor, 10, 64)
			if err != nil || c < 0 {
				p := newProblem(http.StatusUnprocessableEntity, "cursor_invalid", "cursor is not one this API gave out")
				p.Errors = []FieldError{{Location: "query.cursor", Message: "not a valid cursor", Value: in.Cursor}}
				return nil, p
			}
			after = c
		}
		es, err := s.Registry.PledgeChanges(ctx, pledgeViewer(ctx), after, in.Limit+1)
		if err != nil {
			return nil, s.problemFrom(ctx, err)
		}
		return &entriesOutput{Body: pageOf(es, in.Limit, entryView, func(e ledger.Entry) string { return strconv.FormatInt(e.Seq, 10) })}, nil
	})

	register(s, huma.Operation{
		OperationID: "get-pledge", Method: http.MethodGet, Path: "/v1/pledges/{id}", Tags: []string{"pledges"},
		Summary:     "One pledge",
		Description: "A bank sees its own pledges only: another bank's pledge is 404, as if it did not exist.\n\n" + financingRule,
		Errors:      []int{http.StatusNotFound},
	}, pledgeReaders, func(ctx context.Context, in *idPath) (*pledgeOutput, error) {
		id, err := parseID("path.id", in.ID, "pledge")
		if err != nil {
			return nil, err
		}
		p, err := s.Registry.GetPledge(ctx, pledgeViewer(ctx), id)
		if err != nil {
			return nil, s.problemFrom(ctx, err)
		}
		return &pledgeOutput{Status: http.StatusOK, Body: pledgeView(p)}, nil
	})

	register(s, huma.Operation{
		OperationID: "list-pledges", Method: http.MethodGet, Path: "/v1/pledges", Tags: []string{"pledges"},
		Summary:     "List pledges",
		Description: "In registration (id) order. A bank sees its own pledges only. `from`/`to` select by `registered_on` (inclusive).\n\n" + financingRule,
		Errors:      []int{http.StatusUnprocessableEntity},
	}, pledgeReaders, func(ctx context.Context, in *struct {
		Status    string `query:"status" enum:"active,released,realised"`
		AssetID   string `query:"asset_id" maxLength:"64" doc:"Pledges that cover or covered this right"`
		PledgorID string `query:"pledgor_id" maxLength:"64"`
		From      string `query:"from" format:"date"`
		To        string `query:"to" format:"date"`
		Cursor    string `query:"cursor" maxLength:"64"`
		Limit     int    `query:"limit" minimum:"1" maximum:"1000" default:"100"`
	}) (*pledgesOutput, error) {
		f := registry.PledgeFilter{Status: in.Status, Cursor: in.Cursor, Limit: in.Limit}
		var err error
		if f.From, err = parseDate("query.from", in.From); err != nil {
			return nil, err
		}
		if f.To, err = parseDate("query.to", in.To); err != nil {
			return nil, err
		}
		for _, q := range []struct {
			raw, field string
			dst        *uuid.UUID
		}{{in.AssetID, "query.asset_id", &f.AssetID}, {in.PledgorID, "query.pledgor_id", &f.PledgorID}} {
			id, err := optionalID(q.field, "id_invalid", q.raw)
			if err != nil {
				return nil, err
			}
			*q.dst = id
		}
		ps, next, err := s.Registry.ListPledges(ctx, pledgeViewer(ctx), f)
		if err != nil {
			return nil, s.problemFrom(ctx, err)
		}
		return &pledgesOutput{Body: pageFrom(ps, next, pledgeView)}, nil
	})

	register(s, huma.Operation{
		OperationID: "record-pledge-event", Method: http.MethodPost, Path: "/v1/pledges/{id}/events", Tags: []string{"pledges"},
		Summary: "Record a change to a pledge",
		Description: "`amend` (amount, term, contract number), `extend` (a later end, still on or before every right's expiry), `release_assets` (some rights leave, not all), " +
			"`release` (注销 on repayment: ends the pledge and frees its rights), `default`, `realise` (method auction|sale|transfer|licence and proceeds; only after default; ends the pledge). " +
			"Each is one ledger entry; nothing is overwritten. Lifecycle violations are 422 with a code: `already_released`, `already_realised`, `already_defaulted`, `not_defaulted`, " +
			"`before_last_change`, `extend_not_later`, `term_past_expiry`, `asset_not_in_pledge`, `release_all_assets`, `amend_empty`, `method_invalid`, `amount_invalid`; " +
			"a field the type does not take (e.g. `amount` on a `release`) is `field_not_allowed`. " +
			"A bank acts on its own pledges only (another bank's is 404).\n\n" + financingRule,
		Errors: []int{http.StatusNotFound, http.StatusUnprocessableEntity},
	}, pledgeWriters, func(ctx context.Context, in *pledgeEventInput) (*pledgeOutput, error) {
		id, err := parseID("path.id", in.ID, "pledge")
		if err != nil {
			return nil, err
		}
		b := in.Body
		ev := registry.PledgeEventInput{Type: b.Type, Amount: b.Amount, ContractNo: b.ContractNo, Method: b.Method, Proceeds: b.Proceeds, Note: b.Note}
		for _, q := range []struct {
			raw, field string
			dst        *term.Date
		}{{b.EffectiveOn, "body.effective_on", &ev.EffectiveOn}, {b.StartsOn, "body.starts_on", &ev.StartsOn}, {b.EndsOn, "body.ends_on", &ev.EndsOn}} {
			if *q.dst, err = parseDate(q.field, q.raw); err != nil {
				return nil, err
			}
		}
		if ev.AssetIDs, err = parseIDs("body.asset_ids", "asset_not_in_pledge", b.AssetIDs); err != nil {
			return nil, err
		}
		if err := realiseTerms(&ev, b.EquityHolderID, b.EquityShare, b.LicenseeID, b.LicenceEndsOn); err != nil { // valuation.go
			return nil, err
		}
		if b.Appraisal != nil {
			a, err := appraisalInput("body.appraisal", *b.Appraisal)
			if err != nil {
				return nil, err
			}
			ev.Appraisal = &a
		}
		// Inputs refused before the pledge is looked up are refused alike for every id, so
		// another bank learns nothing; the registry answers 404 before applying any rule.
		p, err := s.Registry.PledgeEvent(ctx, pledgeViewer(ctx), id, ev)
		if err != nil {
			return nil, s.problemFrom(ctx, err)
		}
		return &pledgeOutput{Status: http.StatusOK, Body: pledgeView(p)}, nil
	})

	register(s, huma.Operation{
		OperationID: "list-public-pledges", Method: http.MethodGet, Path: "/v1/public/pledges", Tags: []string{"pledges"},
		Summary: "Public disclosure of IP pledges",
		Description: "Which rights are or were pledged, by whom (pledgors' names) to whom (the pledgee's name), since when and released when — as the plan asks pledge information to be made public. " +
			"Never amounts, terms or contract numbers. `number` takes a right's number in any accepted spelling (ZL2013106997442, 201310699744.2); `pledgor` a pledgor's name (substring) or unified social credit code.",
		Errors: []int{http.StatusUnprocessableEntity},
	}, anyone(), func(ctx context.Context, in *struct {
		Number  string `query:"number" maxLength:"64"`
		Pledgor string `query:"pledgor" maxLength:"200"`
		Cursor  string `query:"cursor" maxLength:"64"`
		Limit   int    `query:"limit" minimum:"1" maximum:"500" default:"100"`
	}) (*publicPledgesOutput, error) {
		ps, next, err := s.Registry.PublicPledges(ctx, registry.PublicFilter{Number: in.Number, Pledgor: in.Pledgor, Cursor: in.Cursor, Limit: in.Limit})
		if err != nil {
			return nil, s.problemFrom(ctx, err)
		}
		out := &publicPledgesOutput{Body: Page[PublicPledgeView]{Items: make([]PublicPledgeView, 0, len(ps))}}
		for _, p := range ps {
			v := PublicPledgeView{PledgeID: p.PledgeID.String(), Status: p.Status, RegisteredOn: dateStr(p.RegisteredOn), EndedOn: dateStr(p.EndedOn),
				Pledgors: append([]string{}, p.Pledgors...), Pledgee: p.Pledgee, Rights: make([]PublicRightView, 0, len(p.Rights))}
			for _, r := range p.Rights {
				v.Rights = append(v.Rights, PublicRightView{Kind: string(r.Kind), Number: r.Number, DisplayNumber: r.DisplayNumber, Title: r.Title, ReleasedOn: dateStr(r.ReleasedOn)})
			}
			out.Body.Items = append(out.Body.Items, v)
		}
		if next != "" {
			out.Body.NextCursor = &next
		}
		return out, nil
	})
}
