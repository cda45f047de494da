package openapi

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"ipledger/registry/access"
)

type paramsOutput struct {
	Body struct {
		Params map[string]json.RawMessage `json:"params" doc:"Every policy parameter's current value, by name (docs/DOMAIN.md, Policy parameters)"`
	}
}

type setParamInput struct {
	Body struct {
		Name        string `json:"name" maxLength:"64" doc:"A policy parameter, e.g. risk_compensation_fund_share_bp, high_value_pledge_threshold_fen"`
		Value       any    `json:"value" doc:"An integer, or a YYYY-MM-DD string for a date parameter"`
		EffectiveOn string `json:"effective_on,omitempty" format:"date" doc:"Default today; not after today"`
	}
}

// params answers every parameter's current value.
func (s *Server) params(ctx context.Context) (*paramsOutput, error) {
	ps, err := s.Registry.Params(ctx)
	if err != nil {
		return nil, s.problemFrom(ctx, err)
	}
	out := &paramsOutput{}
	out.Body.Params = ps
	return out, nil
}

// registerParams: the policy parameters, data set by admins (registry/refdata.go). The
// risk-compensation fund's share (claims.go) is one.
func (s *Server) registerParams() {
	register(s, huma.Operation{
		OperationID: "list-params", Method: http.MethodGet, Path: "/v1/params", Tags: []string{"reference data"},
		Summary: "The policy parameters",
	}, roles(access.Admin, access.Registrar, access.Planner, access.Auditor), func(ctx context.Context, _ *struct{}) (*paramsOutput, error) {
		return s.params(ctx)
	})

	register(s, huma.Operation{
		OperationID: "set-param", Method: http.MethodPost, Path: "/v1/params", Tags: []string{"reference data"},
		Summary:     "Set a policy parameter",
		Description: "One `param.set` ledger entry; rights whose timelines depend on the parameter are re-derived in the same write. Refused: `param_unknown`, `param_value` (not an integer in range, or not a date), `date_in_future`.",
		Errors:      []int{http.StatusUnprocessableEntity},
	}, roles(access.Admin), func(ctx context.Context, in *setParamInput) (*paramsOutput, error) {
		eff, err := parseDate("body.effective_on", in.Body.EffectiveOn)
		if err != nil {
			return nil, err
		}
		v := in.Body.Value
		if f, ok := v.(float64); ok && f == float64(int64(f)) {
			v = int64(f) // JSON numbers decode as float64; an integer parameter is stored as an integer
		}
		if err := s.Registry.SetParam(ctx, in.Body.Name, v, eff); err != nil {
			return nil, s.problemFrom(ctx, err)
		}
		return s.params(ctx)
	})
}
