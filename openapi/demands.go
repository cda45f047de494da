package openapi

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"ipledger/registry"
	"ipledger/registry/access"
	"ipledger/registry/indicator"
)

// DemandView is a financing demand (融资需求).
type DemandView struct {
	ID         string         `json:"id" format:"uuid"`
	Party      OwnerView      `json:"party" doc:"The enterprise (or institution, or person) seeking financing"`
	RegionCode string         `json:"region_code" doc:"The party's unit when the demand was posted: where it counts"`
	Amount     string         `json:"amount" example:"3000000.00" doc:"CNY, decimal string"`
	TermMonths int            `json:"term_months"`
	AssetIDs   []string       `json:"asset_ids" nullable:"false" doc:"Rights offered as collateral"`
	Note       string         `json:"note"`
	Status     string         `json:"status" enum:"open,matched,withdrawn"`
	PostedOn   string         `json:"posted_on" format:"date"`
	ClosedOn   *string        `json:"closed_on" format:"date" doc:"Matched or withdrawn on"`
	Lender     *OwnerView     `json:"lender" doc:"Matched: the lender (shown to the office and to that lender)"`
	PledgeID   *string        `json:"pledge_id" format:"uuid" doc:"Matched: the pledge that fulfils it, if one was cited (shown to the office and to that lender)"`
	Interests  []InterestView `json:"interests" nullable:"false" doc:"Lenders' marks of interest: the office sees all, a lender its own"`
	PostedSeq  int64          `json:"posted_seq"`
	UpdatedSeq int64          `json:"updated_seq"`
}

// InterestView is a lender's mark of interest.
type InterestView struct {
	Lender OwnerView `json:"lender"`
	On     string    `json:"on" format:"date"`
}

func demandView(d registry.Demand) DemandView {
	v := DemandView{ID: d.ID.String(), Party: OwnerView{ID: d.Party.ID.String(), Name: d.Party.Name}, RegionCode: d.RegionCode,
		Amount: d.Amount.String(), TermMonths: d.TermMonths, AssetIDs: make([]string, 0, len(d.AssetIDs)), Note: d.Note, Status: d.Status,
		PostedOn: d.PostedOn.String(), ClosedOn: dateStr(d.ClosedOn), Interests: make([]InterestView, 0, len(d.Interests)),
		PostedSeq: d.Seq, UpdatedSeq: d.UpdatedSeq}
	for _, a := range d.AssetIDs {
		v.AssetIDs = append(v.AssetIDs, a.String())
	}
	if d.Lender != nil {
		v.Lender = &OwnerView{ID: d.Lender.ID.String(), Name: d.Lender.Name}
	}
	if d.PledgeID != uuid.Nil {
		id := d.PledgeID.String()
		v.PledgeID = &id
	}
	for _, i := range d.Interests {
		v.Interests = append(v.Interests, InterestView{Lender: OwnerView{ID: i.Lender.ID.String(), Name: i.Lender.Name}, On: i.On.String()})
	}
	return v
}

type demandOutput struct {
	Status int
	Body   DemandView
}

type demandsOutput struct{ Body Page[DemandView] }

type demandFiguresOutput struct {
	Body struct {
		Region string                 `json:"region"`
		Years  []indicator.DemandYear `json:"years" nullable:"false"`
	}
}

// Who posts and reads demands: the office posts and withdraws; lenders (bank principals, for
// a bank, guarantor or financial institution) list, mark interest and match.
var (
	demandWriters = roles(access.Admin, access.Registrar, access.Bank)
	demandReaders = roles(access.Admin, access.Registrar, access.Bank, access.Auditor)
)

func (s *Server) registerDemands() {
	register(s, huma.Operation{
		OperationID: "create-demand", Method: http.MethodPost, Path: "/v1/demands", Tags: []string{"demands"},
		Summary: "Record a financing demand (融资需求)",
		Description: "The office records an enterprise's demand for pledge financing: amount, term in months, a note and, optionally, the rights it offers. " +
			"Refused, writing nothing: `party_unknown`, `party_not_borrower` (a lender or a government body), `amount_invalid`, `term_months_invalid` (1–360), " +
			"`asset_unknown`, `asset_not_pledgeable`, `asset_not_owned` (not the party's on posted_on), `asset_duplicate`, `date_in_future` (posted_on).",
		DefaultStatus: http.StatusCreated,
		Errors:        []int{http.StatusUnprocessableEntity},
	}, registrars, func(ctx context.Context, in *struct {
		Body struct {
			PartyID    string   `json:"party_id" maxLength:"64"`
			Amount     string   `json:"amount" maxLength:"32" example:"3000000.00" doc:"CNY as a decimal string, more than 0, at most 2 decimals"`
			TermMonths int      `json:"term_months" doc:"1 to 360"`
			Note       string   `json:"note,omitempty" maxLength:"1000"`
			AssetIDs   []string `json:"asset_ids,omitempty" maxItems:"200" doc:"Rights offered as collateral: the party's, pledgeable"`
			PostedOn   string   `json:"posted_on,omitempty" format:"date" doc:"Default today; not after today"`
		}
	}) (*demandOutput, error) {
		b := in.Body
		party, err := optionalID("body.party_id", "party_unknown", b.PartyID)
		if err != nil {
			return nil, err
		}
		if party == uuid.Nil {
			p := newProblem(http.StatusUnprocessableEntity, "party_unknown", "name the party")
			p.Errors = []FieldError{{Location: "body.party_id", Message: "required"}}
			return nil, p
		}
		assets, err := parseIDs("body.asset_ids", "asset_unknown", b.AssetIDs)
		if err != nil {
			return nil, err
		}
		posted, err := parseDate("body.posted_on", b.PostedOn)
		if err != nil {
			return nil, err
		}
		d, err := s.Registry.PostDemand(ctx, registry.DemandInput{PartyID: party, Amount: b.Amount, TermMonths: b.TermMonths, Note: b.Note, AssetIDs: assets, PostedOn: posted})
		if err != nil {
			return nil, s.problemFrom(ctx, err)
		}
		return &demandOutput{Status: http.StatusCreated, Body: demandView(d)}, nil
	})

	register(s, huma.Operation{
		OperationID: "list-demands", Method: http.MethodGet, Path: "/v1/demands", Tags: []string{"demands"},
		Summary:     "List financing demands",
		Description: "In posting (id) order. Lenders see every demand and their own interest only.",
		Errors:      []int{http.StatusUnprocessableEntity},
	}, demandReaders, func(ctx context.Context, in *struct {
		Status  string `query:"status" enum:"open,matched,withdrawn,"`
		PartyID string `query:"party_id" maxLength:"64"`
		Cursor  string `query:"cursor" maxLength:"64"`
		Limit   int    `query:"limit" minimum:"1" maximum:"1000" default:"100"`
	}) (*demandsOutput, error) {
		f := registry.DemandFilter{Status: in.Status, Cursor: in.Cursor, Limit: in.Limit}
		var err error
		if f.PartyID, err = optionalID("query.party_id", "id_invalid", in.PartyID); err != nil {
			return nil, err
		}
		ds, next, err := s.Registry.ListDemands(ctx, pledgeViewer(ctx), f)
		if err != nil {
			return nil, s.problemFrom(ctx, err)
		}
		return &demandsOutput{Body: pageFrom(ds, next, demandView)}, nil
	})

	register(s, huma.Operation{
		OperationID: "get-demand", Method: http.MethodGet, Path: "/v1/demands/{id}", Tags: []string{"demands"},
		Summary: "One financing demand", Errors: []int{http.StatusNotFound},
	}, demandReaders, func(ctx context.Context, in *idPath) (*demandOutput, error) {
		id, err := parseID("path.id", in.ID, "demand")
		if err != nil {
			return nil, err
		}
		d, err := s.Registry.GetDemand(ctx, pledgeViewer(ctx), id)
		if err != nil {
			return nil, s.problemFrom(ctx, err)
		}
		return &demandOutput{Status: http.StatusOK, Body: demandView(d)}, nil
	})

	register(s, huma.Operation{
		OperationID: "record-demand-event", Method: http.MethodPost, Path: "/v1/demands/{id}/events", Tags: []string{"demands"},
		Summary: "Mark interest in, match or withdraw a financing demand",
		Description: "`interest`: a lender marks its interest (a bank principal for its own party; the office names `lender_id`); twice is 409 `interest_already_marked`. " +
			"`matched`: the office or a lender that marked interest (or cites its own pledge) closes the demand as matched, optionally citing `pledge_id` " +
			"(the demand's party must be a pledgor: `pledge_party_mismatch`; the lender its pledgee: `pledge_lender_mismatch`; `pledge_unknown`); a lender without interest or pledge is 409 `interest_required`. " +
			"`withdrawn`: the office only (a lender: 403 `withdraw_office_only`). " +
			"A demand no longer open is 409 `demand_not_open`; `effective_on` after today is `date_in_future`, before the demand's last change `before_last_change`; " +
			"`lender_required`, `lender_invalid` (not a bank, guarantor or financial institution), `lender_not_caller` (403: a lender names another), `field_not_allowed`.",
		Errors: []int{http.StatusNotFound, http.StatusConflict, http.StatusUnprocessableEntity},
	}, demandWriters, func(ctx context.Context, in *struct {
		ID   string `path:"id"`
		Body struct {
			Type        string `json:"type" enum:"interest,matched,withdrawn"`
			LenderID    string `json:"lender_id,omitempty" maxLength:"64" doc:"interest, matched: the lender (the office names it; a lender is itself)"`
			PledgeID    string `json:"pledge_id,omitempty" maxLength:"64" doc:"matched: the pledge that fulfils the demand"`
			Note        string `json:"note,omitempty" maxLength:"1000"`
			EffectiveOn string `json:"effective_on,omitempty" format:"date" doc:"Default today"`
		}
	}) (*demandOutput, error) {
		id, err := parseID("path.id", in.ID, "demand")
		if err != nil {
			return nil, err
		}
		b := in.Body
		ev := registry.DemandEventInput{Type: b.Type, Note: b.Note}
		if ev.LenderID, err = optionalID("body.lender_id", "lender_invalid", b.LenderID); err != nil {
			return nil, err
		}
		if ev.PledgeID, err = optionalID("body.pledge_id", "pledge_unknown", b.PledgeID); err != nil {
			return nil, err
		}
		if ev.EffectiveOn, err = parseDate("body.effective_on", b.EffectiveOn); err != nil {
			return nil, err
		}
		d, err := s.Registry.DemandEvent(ctx, pledgeViewer(ctx), id, ev)
		if err != nil {
			return nil, s.problemFrom(ctx, err)
		}
		return &demandOutput{Status: http.StatusOK, Body: demandView(d)}, nil
	})

	var ind *indicator.Service
	if s.Registry != nil {
		ind = indicator.New(s.Registry, indicator.WithReadDB(s.ReadDB))
	}
	register(s, huma.Operation{
		OperationID: "get-demand-figures", Method: http.MethodGet, Path: "/v1/indicators/demands", Tags: []string{"indicators"},
		Summary: "Financing demands posted and matched per year",
		Description: "For each year from..to: demands posted in it and demands matched in it (whenever posted), with their amounts, in the region's units " +
			"(a demand counts in its party's unit when posted; the city sums its 9 units). Figures without a target. `region_unknown`, `year_range_invalid`.",
		Errors: []int{http.StatusUnprocessableEntity},
	}, roles(access.Admin, access.Registrar, access.Planner, access.Auditor), func(ctx context.Context, in *struct {
		Region string `query:"region" maxLength:"6" default:"150500"`
		From   int    `query:"from" minimum:"2000" maximum:"2100" default:"2021"`
		To     int    `query:"to" minimum:"2000" maximum:"2100" default:"2025"`
	}) (*demandFiguresOutput, error) {
		ys, err := ind.Demands(ctx, in.Region, in.From, in.To)
		if err != nil {
			return nil, s.problemFrom(ctx, err)
		}
		out := &demandFiguresOutput{}
		out.Body.Region, out.Body.Years = in.Region, ys
		return out, nil
	})
}
