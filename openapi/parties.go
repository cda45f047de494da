package openapi

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"ipledger/registry"
	"ipledger/registry/access"
	"ipledger/registry/term"
)

// PartyView is a party as the API shows it.
type PartyView struct {
	ID            string  `json:"id" format:"uuid"`
	Name          string  `json:"name"`
	Kind          string  `json:"kind" enum:"enterprise,university,institute,individual,bank,guarantor,financial_institution,government,other"`
	USCC          *string `json:"uscc" doc:"Unified social credit code (GB 32100-2015)"`
	USCCConfirmed bool    `json:"uscc_confirmed" doc:"Accepted despite a wrong check character, on the registrar's explicit confirmation"`
	RegionCode    string  `json:"region_code" doc:"GB/T 2260 code of its county-level unit"`
	RegisteredOn  *string `json:"registered_on" format:"date"`
	// Credit records (credit.go): filled by fillCredit.
	CreditListed   bool                `json:"credit_listed" doc:"On a credit list (失信) today"`
	CreditListings []CreditListingView `json:"credit_listings" nullable:"false" doc:"Every listing on a credit list, current (removed_on null) and past"`
}

func partyView(p registry.Party) PartyView {
	v := PartyView{ID: p.ID.String(), Name: p.Name, Kind: string(p.Kind), USCCConfirmed: p.USCCConfirmed, RegionCode: p.RegionCode, RegisteredOn: dateStr(p.RegisteredOn)}
	if p.USCC != "" {
		u := p.USCC
		v.USCC = &u
	}
	return v
}

// WarningView is a non-fatal remark on an accepted request.
type WarningView struct {
	Code    string `json:"code" example:"uscc_unconfirmed_check"`
	Field   string `json:"field,omitempty" example:"body.uscc"`
	Message string `json:"message"`
	Ref     string `json:"ref,omitempty" doc:"Id of what the warning is about, e.g. the listed pledgor"`
}

// dateStr writes a date as YYYY-MM-DD, or null for none.
func dateStr(d term.Date) *string {
	if d.IsZero() {
		return nil
	}
	s := d.String()
	return &s
}

// parseDate reads an optional YYYY-MM-DD input; a bad one is a 422 naming the field.
func parseDate(field, s string) (term.Date, error) {
	if s == "" {
		return term.Date{}, nil
	}
	d, err := term.ParseDate(s)
	if err != nil {
		p := newProblem(http.StatusUnprocessableEntity, "date_invalid", "dates are YYYY-MM-DD")
		p.Errors = []FieldError{{Location: field, Message: "not a valid YYYY-MM-DD date", Value: s}}
		return term.Date{}, p
	}
	return d, nil
}

// parseID reads a UUID from the path: a malformed one is 404 like an unknown one, so ids
// reveal nothing.
func parseID(field, s, what string) (uuid.UUID, error) {
	id, err := uuid.Parse(s)
	if err != nil {
		p := newProblem(http.StatusNotFound, what+"_not_found", "no "+what+" "+s)
		p.Errors = []FieldError{{Location: field, Message: "not a known id", Value: s}}
		return uuid.Nil, p
	}
	return id, nil
}

// optionalID reads an optional id from a query or body field: "" is none, a malformed one is
// 422 code at field.
func optionalID(field, code, s string) (uuid.UUID, error) {
	if s == "" {
		return uuid.Nil, nil
	}
	id, err := uuid.Parse(s)
	if err != nil {
		p := newProblem(http.StatusUnprocessableEntity, code, "not an id")
		p.Errors = []FieldError{{Location: field, Message: "not an id", Value: s}}
		return uuid.Nil, p
	}
	return id, nil
}

type partyOutput struct {
	Status int
	Body   struct {
		PartyView
		Warnings []WarningView `json:"warnings,omitempty" doc:"Non-fatal remarks, e.g. a confirmed nonconforming USCC"`
	}
}

type createPartyInput struct {
	Body struct {
		Name          string `json:"name" minLength:"1" maxLength:"300"`
		Kind          string `json:"kind" enum:"enterprise,university,institute,individual,bank,guarantor,financial_institution,government,other"`
		USCC          string `json:"uscc,omitempty" maxLength:"40" doc:"18 characters; a wrong check character is refused unless uscc_confirmed"`
		USCCConfirmed bool   `json:"uscc_confirmed,omitempty" doc:"The registrar confirms a known nonconforming early code (e.g. 91350203M0001QAY9B)"`
		RegionCode    string `json:"region_code" minLength:"6" maxLength:"6" doc:"One of the city's 9 county-level units"`
	}
}

type partyEventInput struct {
	ID   string `path:"id"`
	Body struct {
		Type        string `json:"type" enum:"rename,move,credit_listed,credit_removed"`
		Name        string `json:"name,omitempty" maxLength:"300"`
		RegionCode  string `json:"region_code,omitempty" maxLength:"6"`
		List        string `json:"list,omitempty" maxLength:"200" doc:"credit_listed, credit_removed: the credit list, e.g. 严重违法失信名单"`
		SourceRef   string `json:"source_ref,omitempty" maxLength:"200" doc:"credit_listed, credit_removed: the decision or notice it rests on"`
		EffectiveOn string `json:"effective_on,omitempty" format:"date" doc:"Default today"`
	}
}

type partiesOutput struct{ Body Page[PartyView] }

var (
	registrars = roles(access.Admin, access.Registrar)
	everyone   = roles(access.Roles()...)
)

func (s *Server) registerParties() {
	register(s, huma.Operation{
		OperationID: "create-party", Method: http.MethodPost, Path: "/v1/parties", Tags: []string{"parties"},
		Summary:       "Register a party (an owner, pledgor or bank)",
		Description:   "The USCC is checked (GB 32100-2015 check character); a duplicate code is 409 naming the party that has it (`ref`).",
		DefaultStatus: http.StatusCreated,
	}, registrars, func(ctx context.Context, in *createPartyInput) (*partyOutput, error) {
		p, warns, err := s.Registry.RegisterParty(ctx, registry.PartyInput{
			Name: in.Body.Name, Kind: registry.PartyKind(in.Body.Kind), USCC: in.Body.USCC,
			USCCConfirmed: in.Body.USCCConfirmed, RegionCode: in.Body.RegionCode,
		})
		if err != nil {
			return nil, s.problemFrom(ctx, err)
		}
		out := &partyOutput{Status: http.StatusCreated}
		out.Body.PartyView = partyView(p)
		if err := s.fillCredit(ctx, &out.Body.PartyView); err != nil {
			return nil, s.problemFrom(ctx, err)
		}
		for _, w := range warns {
			out.Body.Warnings = append(out.Body.Warnings, warningView(w))
		}
		return out, nil
	})
	register(s, huma.Operation{
		OperationID: "get-party", Method: http.MethodGet, Path: "/v1/parties/{id}", Tags: []string{"parties"},
		Summary: "One party", Errors: []int{http.StatusNotFound},
	}, everyone, func(ctx context.Context, in *idPath) (*partyOutput, error) {
		id, err := parseID("path.id", in.ID, "party")
		if err != nil {
			return nil, err
		}
		p, err := s.Registry.GetParty(ctx, id)
		if err != nil {
			return nil, s.problemFrom(ctx, err)
		}
		out := &partyOutput{Status: http.StatusOK}
		out.Body.PartyView = partyView(p)
		if err := s.fillCredit(ctx, &out.Body.PartyView); err != nil {
			return nil, s.problemFrom(ctx, err)
		}
		return out, nil
	})
	register(s, huma.Operation{
		OperationID: "list-parties", Method: http.MethodGet, Path: "/v1/parties", Tags: []string{"parties"},
		Summary: "List parties", Errors: []int{http.StatusUnprocessableEntity},
	}, everyone, func(ctx context.Context, in *struct {
		Q      string `query:"q" maxLength:"200" doc:"Substring of the name, or the unified social credit code in any case or width"`
		Kind   string `query:"kind" enum:"enterprise,university,institute,individual,bank,guarantor,financial_institution,government,other,"`
		Region string `query:"region" maxLength:"6"`
		Cursor string `query:"cursor" maxLength:"100"`
		Limit  int    `query:"limit" minimum:"1" maximum:"1000" default:"100"`
		Credit string `query:"credit_listed" enum:"true,false," doc:"true: parties on a credit list today; false: on none"`
	}) (*partiesOutput, error) {
		f := registry.PartyFilter{Q: in.Q, Kind: registry.PartyKind(in.Kind), Region: in.Region, Cursor: in.Cursor, Limit: in.Limit}
		if in.Credit != "" {
			listed := in.Credit == "true"
			f.CreditListed = &listed
		}
		ps, next, err := s.Registry.ListParties(ctx, f)
		if err != nil {
			return nil, s.problemFrom(ctx, err)
		}
		out := &partiesOutput{}
		out.Body.Items = make([]PartyView, 0, len(ps))
		for _, p := range ps {
			out.Body.Items = append(out.Body.Items, partyView(p))
		}
		views := make([]*PartyView, len(out.Body.Items))
		for i := range out.Body.Items {
			views[i] = &out.Body.Items[i]
		}
		if err := s.fillCredit(ctx, views...); err != nil {
			return nil, s.problemFrom(ctx, err)
		}
		if next != "" {
			out.Body.NextCursor = &next
		}
		return out, nil
	})
	register(s, huma.Operation{
		OperationID: "record-party-event", Method: http.MethodPost, Path: "/v1/parties/{id}/events", Tags: []string{"parties"},
		Summary: "Rename a party, move it to another unit, or record its credit listing",
		Description: "`rename` (name), `move` (region_code), and credit records (失信, docs/SERVICES.md): `credit_listed` / `credit_removed` (list, source_ref, effective_on). " +
			"Listing a party twice on the same list is 409 `credit_already_listed`; removing a listing that is not on is 409 `credit_not_listed`; " +
			"a removal dated before its listing, or a new listing dated before the last removal from that list, is 422 `before_last_change`; `list_required`, `source_ref_required`. " +
			"A listing never refuses a pledge: a pledge registered for a pledgor listed on its registration date answers with the warning `pledgor_credit_listed`.",
		Errors: []int{http.StatusNotFound, http.StatusConflict},
	}, registrars, func(ctx context.Context, in *partyEventInput) (*partyOutput, error) {
		id, err := parseID("path.id", in.ID, "party")
		if err != nil {
			return nil, err
		}
		eff, err := parseDate("body.effective_on", in.Body.EffectiveOn)
		if err != nil {
			return nil, err
		}
		p, err := s.Registry.PartyEvent(ctx, id, registry.PartyEventInput{Type: in.Body.Type, Name: in.Body.Name, RegionCode: in.Body.RegionCode,
			List: in.Body.List, SourceRef: in.Body.SourceRef, EffectiveOn: eff})
		if err != nil {
			return nil, s.problemFrom(ctx, err)
		}
		out := &partyOutput{Status: http.StatusOK}
		out.Body.PartyView = partyView(p)
		if err := s.fillCredit(ctx, &out.Body.PartyView); err != nil {
			return nil, s.problemFrom(ctx, err)
		}
		return out, nil
	})
}
