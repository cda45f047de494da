package openapi

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"ipledger/registry/access"
)

type principalBody struct {
	ID        string  `json:"id" format:"uuid"`
	Name      string  `json:"name"`
	Role      string  `json:"role" enum:"admin,registrar,bank,planner,auditor"`
	PartyID   *string `json:"party_id" doc:"The lender party (kind bank, guarantor or financial_institution), for role bank"`
	CreatedAt string  `json:"created_at,omitempty" format:"date-time"`
	RevokedAt *string `json:"revoked_at,omitempty" format:"date-time"`
}

func principalView(v access.View) principalBody {
	b := principalBody{ID: v.ID, Name: v.Name, Role: string(v.Role), CreatedAt: v.CreatedAt.UTC().Format("2006-01-02T15:04:05.000000Z07:00")}
	if v.PartyID != "" {
		b.PartyID = &v.PartyID
	}
	if v.RevokedAt != nil {
		s := v.RevokedAt.UTC().Format("2006-01-02T15:04:05.000000Z07:00")
		b.RevokedAt = &s
	}
	return b
}

type createPrincipalInput struct {
	Body struct {
		Name    string `json:"name" minLength:"1" maxLength:"200"`
		Role    string `json:"role" enum:"admin,registrar,bank,planner,auditor"`
		PartyID string `json:"party_id,omitempty" doc:"Required for role bank: the party it acts for, of kind bank, guarantor or financial_institution (else party_not_bank)"`
	}
}

type tokenOutput struct {
	Status int
	Body   struct {
		Principal principalBody `json:"principal"`
		Token     string        `json:"token" doc:"Shown once; only its SHA-256 digest is kept"`
	}
}

type principalOutput struct{ Body principalBody }

type principalsOutput struct{ Body Page[principalBody] }

type idPath struct {
	ID string `path:"id" maxLength:"64"`
}

func (s *Server) registerAccess() {
	admin := roles(access.Admin)
	register(s, huma.Operation{
		OperationID: "create-principal", Method: http.MethodPost, Path: "/v1/principals", Tags: []string{"access"},
		Summary: "Create a principal and its first token", DefaultStatus: http.StatusCreated,
	}, admin, func(ctx context.Context, in *createPrincipalInput) (*tokenOutput, error) {
		p, tok, err := s.Access.Create(ctx, in.Body.Name, access.Role(in.Body.Role), in.Body.PartyID)
		if err != nil {
			return nil, s.problemFrom(ctx, err)
		}
		v, err := s.Access.Get(ctx, p.ID)
		if err != nil {
			return nil, s.problemFrom(ctx, err)
		}
		out := &tokenOutput{Status: http.StatusCreated}
		out.Body.Principal, out.Body.Token = principalView(v), tok
		return out, nil
	})
	register(s, huma.Operation{
		OperationID: "list-principals", Method: http.MethodGet, Path: "/v1/principals", Tags: []string{"access"},
		Summary: "List principals",
	}, admin, func(ctx context.Context, in *struct {
		Cursor string `query:"cursor" maxLength:"64"`
		Limit  int    `query:"limit" minimum:"1" maximum:"500" default:"100"`
	}) (*principalsOutput, error) {
		vs, err := s.Access.List(ctx, in.Cursor, in.Limit+1)
		if err != nil {
			return nil, s.problemFrom(ctx, err)
		}
		return &principalsOutput{Body: pageOf(vs, in.Limit, principalView, func(v access.View) string { return v.ID })}, nil
	})
	register(s, huma.Operation{
		OperationID: "revoke-principal", Method: http.MethodPost, Path: "/v1/principals/{id}/revoke", Tags: []string{"access"},
		Summary: "Revoke a principal and all its tokens, effective on the next request",
		Errors:  []int{http.StatusNotFound},
	}, admin, func(ctx context.Context, in *idPath) (*principalOutput, error) {
		if err := s.Access.Revoke(ctx, in.ID); err != nil {
			return nil, s.problemFrom(ctx, err)
		}
		v, err := s.Access.Get(ctx, in.ID)
		if err != nil {
			return nil, s.problemFrom(ctx, err)
		}
		return &principalOutput{Body: principalView(v)}, nil
	})
	register(s, huma.Operation{
		OperationID: "rotate-principal-token", Method: http.MethodPost, Path: "/v1/principals/{id}/rotate", Tags: []string{"access"},
		Summary: "Issue a new token and revoke the old ones",
		Errors:  []int{http.StatusNotFound},
	}, admin, func(ctx context.Context, in *idPath) (*tokenOutput, error) {
		tok, err := s.Access.Rotate(ctx, in.ID)
		if err != nil {
			return nil, s.problemFrom(ctx, err)
		}
		v, err := s.Access.Get(ctx, in.ID)
		if err != nil {
			return nil, s.problemFrom(ctx, err)
		}
		out := &tokenOutput{Status: http.StatusOK}
		out.Body.Principal, out.Body.Token = principalView(v), tok
		return out, nil
	})
	register(s, huma.Operation{
		OperationID: "get-me", Method: http.MethodGet, Path: "/v1/me", Tags: []string{"access"},
		Summary: "The calling principal",
	}, roles(access.Roles()...), func(ctx context.Context, _ *struct{}) (*principalOutput, error) {
		p, _ := principalFrom(ctx)
		v, err := s.Access.Get(ctx, p.ID)
		if err != nil {
			return nil, s.problemFrom(ctx, err)
		}
		return &principalOutput{Body: principalView(v)}, nil
	})
}
