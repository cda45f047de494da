package openapi

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"ipledger/registry"
	"ipledger/registry/access"
	"ipledger/registry/indicator"
)

// ClaimView is a risk-compensation claim (风险补偿) as its lender and the office see it.
type ClaimView struct {
	ID             string    `json:"id" format:"uuid"`
	PledgeID       string    `json:"pledge_id" format:"uuid"`
	Claimant       OwnerView `json:"claimant" doc:"The pledgee that filed it"`
	RegionCode     string    `json:"region_code" doc:"The pledge's unit (its first pledgor's), where the claim counts"`
	Status         string    `json:"status" enum:"filed,approved,rejected,paid"`
	Loss           string    `json:"loss" example:"1200000.00" doc:"The loss claimed, CNY"`
	EvidenceRef    string    `json:"evidence_ref"`
	FiledOn        *string   `json:"filed_on" format:"date"`
	DecidedOn      *string   `json:"decided_on" format:"date" doc:"Approved or rejected on"`
	ApprovedAmount *string   `json:"approved_amount" doc:"The loss the office recognised (at most the loss claimed)"`
	FundShare      *string   `json:"fund_share" example:"1.0000" doc:"The fund's share of the approved amount when it was approved (policy parameter risk_compensation_fund_share_bp), 4 decimals"`
	Payout         *string   `json:"payout" doc:"approved_amount × fund_share, rounded half away from zero to the fen: what the fund pays"`
	PaidOn         *string   `json:"paid_on" format:"date"`
	FiledSeq       int64     `json:"filed_seq" doc:"The filing's ledger entry"`
	UpdatedSeq     int64     `json:"updated_seq" doc:"The last ledger entry that changed it"`
}

func claimView(c registry.Claim) ClaimView {
	v := ClaimView{ID: c.ID.String(), PledgeID: c.PledgeID.String(), Claimant: OwnerView{ID: c.Claimant.ID.String(), Name: c.Claimant.Name},
		RegionCode: c.RegionCode, Status: c.Status, Loss: c.Loss.String(), EvidenceRef: c.EvidenceRef, FiledOn: dateStr(c.FiledOn),
		DecidedOn: dateStr(c.DecidedOn), PaidOn: dateStr(c.PaidOn), FiledSeq: c.FiledSeq, UpdatedSeq: c.UpdatedSeq}
	if c.Approved > 0 {
		a, share, p := c.Approved.String(), c.FundShare(), c.Payout.String()
		v.ApprovedAmount, v.FundShare, v.Payout = &a, &share, &p
	}
	return v
}

type claimOutput struct {
	Status int
	Body   ClaimView
}

type claimsOutput struct{ Body Page[ClaimView] }

type claimFiguresOutput struct {
	Body struct {
		Region string                `json:"region"`
		Years  []indicator.ClaimYear `json:"years" nullable:"false"`
	}
}

type createClaimInput struct {
	ID   string `path:"id" maxLength:"64" doc:"The defaulted pledge"`
	Body struct {
		Loss        string `json:"loss" maxLength:"32" example:"1200000.00" doc:"The lender's loss in CNY (decimal string, up to 1000000000000.00)"`
		EvidenceRef string `json:"evidence_ref" minLength:"1" maxLength:"200" doc:"Reference to the evidence: a judgment, the realisation record, …"`
		EffectiveOn string `json:"effective_on,omitempty" format:"date" doc:"Filed on (default today; not after today, not before the default)"`
		Note        string `json:"note,omitempty" maxLength:"1000"`
	}
}

type claimEventInput struct {
	ID   string `path:"id" maxLength:"64"`
	Body struct {
		Type        string `json:"type" enum:"approve,reject,pay"`
		Amount      string `json:"amount,omitempty" maxLength:"32" doc:"approve: the loss recognised (required, at most the loss claimed); pay: optional, exactly the approved payout"`
		EffectiveOn string `json:"effective_on,omitempty" format:"date" doc:"Business date (default today; not after today, not before the claim's last change)"`
		Note        string `json:"note,omitempty" maxLength:"1000"`
	}
}

// Who files, decides and reads claims: the pledgee files, the office decides, auditors read.
var (
	claimDeciders = roles(access.Admin, access.Registrar)
	claimReaders  = roles(access.Admin, access.Registrar, access.Bank, access.Auditor)
)

const claimRule = "**Risk compensation** (风险补偿): the pledgee of a defaulted pledge files a claim for its loss; the office approves it " +
	"with the loss it recognises (`amount`, at most the loss claimed) — the fund pays `payout` = amount × `fund_share` (the policy parameter " +
	"`risk_compensation_fund_share_bp` when approved, default 10000 = all of it) — or rejects it, and records the payout (`pay`). " +
	"Each step is one ledger entry (`claim.filed`, `claim.approved`, `claim.rejected`, `claim.paid`). A lender sees its own claims only."

func (s *Server) registerClaims() {
	register(s, huma.Operation{
		OperationID: "create-claim", Method: http.MethodPost, Path: "/v1/pledges/{id}/claims", Tags: []string{"claims"},
		Summary: "File a risk-compensation claim on a defaulted pledge",
		Description: "The pledgee only (another lender's pledge is 404 `pledge_not_found`, as if it did not exist). Refused, writing nothing: " +
			"`not_defaulted` (no default recorded), `already_released` (released: repaid), 409 `claim_exists` (a claim on the pledge that is not rejected; `ref` names it), " +
			"`amount_invalid` (`loss`), `before_last_change` (filed before the default), `date_in_future`.\n\n" + claimRule,
		DefaultStatus: http.StatusCreated,
		Errors:        []int{http.StatusNotFound, http.StatusConflict, http.StatusUnprocessableEntity},
	}, roles(access.Bank), func(ctx context.Context, in *createClaimInput) (*claimOutput, error) {
		id, err := parseID("path.id", in.ID, "pledge")
		if err != nil {
			return nil, err
		}
		b := in.Body
		eff, err := parseDate("body.effective_on", b.EffectiveOn)
		if err != nil {
			return nil, err
		}
		c, err := s.Registry.FileClaim(ctx, pledgeViewer(ctx), id, registry.ClaimInput{Loss: b.Loss, EvidenceRef: b.EvidenceRef, EffectiveOn: eff, Note: b.Note})
		if err != nil {
			return nil, s.problemFrom(ctx, err)
		}
		return &claimOutput{Status: http.StatusCreated, Body: claimView(c)}, nil
	})

	register(s, huma.Operation{
		OperationID: "record-claim-event", Method: http.MethodPost, Path: "/v1/claims/{id}/events", Tags: []string{"claims"},
		Summary: "Approve, reject or pay a claim",
		Description: "`approve` (`amount` required: the loss recognised, at most the loss claimed, else `amount_exceeds_loss`), `reject`, `pay` (after approval; " +
			"`amount`, if given, must be the approved payout, else `amount_mismatch`). Lifecycle violations are 422 with a code, as for pledges: " +
			"`not_approved` (pay before approve), `already_approved`, `already_rejected`, `already_paid`, `before_last_change`; `field_required` (approve without amount), " +
			"`field_not_allowed` (amount on a reject).\n\n" + claimRule,
		Errors: []int{http.StatusNotFound, http.StatusUnprocessableEntity},
	}, claimDeciders, func(ctx context.Context, in *claimEventInput) (*claimOutput, error) {
		id, err := parseID("path.id", in.ID, "claim")
		if err != nil {
			return nil, err
		}
		b := in.Body
		eff, err := parseDate("body.effective_on", b.EffectiveOn)
		if err != nil {
			return nil, err
		}
		c, err := s.Registry.ClaimEvent(ctx, pledgeViewer(ctx), id, registry.ClaimEventInput{Type: b.Type, Amount: b.Amount, EffectiveOn: eff, Note: b.Note})
		if err != nil {
			return nil, s.problemFrom(ctx, err)
		}
		return &claimOutput{Status: http.StatusOK, Body: claimView(c)}, nil
	})

	register(s, huma.Operation{
		OperationID: "get-claim", Method: http.MethodGet, Path: "/v1/claims/{id}", Tags: []string{"claims"},
		Summary:     "One risk-compensation claim",
		Description: "A lender sees its own claims only: another's is 404 `claim_not_found`, as if it did not exist.\n\n" + claimRule,
		Errors:      []int{http.StatusNotFound},
	}, claimReaders, func(ctx context.Context, in *idPath) (*claimOutput, error) {
		id, err := parseID("path.id", in.ID, "claim")
		if err != nil {
			return nil, err
		}
		c, err := s.Registry.GetClaim(ctx, pledgeViewer(ctx), id)
		if err != nil {
			return nil, s.problemFrom(ctx, err)
		}
		return &claimOutput{Status: http.StatusOK, Body: claimView(c)}, nil
	})

	register(s, huma.Operation{
		OperationID: "list-claims", Method: http.MethodGet, Path: "/v1/claims", Tags: []string{"claims"},
		Summary:     "List risk-compensation claims",
		Description: "In filing (id) order. A lender sees its own claims only; the office and auditors see all.\n\n" + claimRule,
		Errors:      []int{http.StatusUnprocessableEntity},
	}, claimReaders, func(ctx context.Context, in *struct {
		Status   string `query:"status" enum:"filed,approved,rejected,paid"`
		PledgeID string `query:"pledge_id" maxLength:"64"`
		Cursor   string `query:"cursor" maxLength:"64"`
		Limit    int    `query:"limit" minimum:"1" maximum:"1000" default:"100"`
	}) (*claimsOutput, error) {
		f := registry.ClaimFilter{Status: in.Status, Cursor: in.Cursor, Limit: in.Limit}
		var err error
		if f.PledgeID, err = optionalID("query.pledge_id", "id_invalid", in.PledgeID); err != nil {
			return nil, err
		}
		cs, next, err := s.Registry.ListClaims(ctx, pledgeViewer(ctx), f)
		if err != nil {
			return nil, s.problemFrom(ctx, err)
		}
		return &claimsOutput{Body: pageFrom(cs, next, claimView)}, nil
	})
	var ind *indicator.Service
	if s.Registry != nil {
		ind = indicator.New(s.Registry, indicator.WithReadDB(s.ReadDB))
	}
	register(s, huma.Operation{
		OperationID: "get-claim-figures", Method: http.MethodGet, Path: "/v1/indicators/claims", Tags: []string{"indicators"},
		Summary: "Risk-compensation claims and payouts per year",
		Description: "For each year from..to: claims filed in it (and the losses claimed), approved and rejected in it, and paid in it (and what the fund paid), " +
			"in the region's units (a claim counts in its pledge's unit, the first pledgor's; the city sums its 9 units). Figures without a target. `region_unknown`, `year_range_invalid`.",
		Errors: []int{http.StatusUnprocessableEntity},
	}, roles(access.Admin, access.Registrar, access.Planner, access.Auditor), func(ctx context.Context, in *struct {
		Region string `query:"region" maxLength:"6" default:"150500"`
		From   int    `query:"from" minimum:"2000" maximum:"2100" default:"2021"`
		To     int    `query:"to" minimum:"2000" maximum:"2100" default:"2025"`
	}) (*claimFiguresOutput, error) {
		ys, err := ind.Claims(ctx, in.Region, in.From, in.To)
		if err != nil {
			return nil, s.problemFrom(ctx, err)
		}
		out := &claimFiguresOutput{}
		out.Body.Region, out.Body.Years = in.Region, ys
		return out, nil
	})
}
