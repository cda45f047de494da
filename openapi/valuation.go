package openapi

import (
	"fmt"
	"net/http"

	"github.com/google/uuid"

	"ipledger/registry"
)

// AppraisalBody is an appraisal of a pledge's rights as a client sends it.
type AppraisalBody struct {
	Value       string `json:"value" maxLength:"32" example:"300000000.00" doc:"Appraised value in CNY (decimal string)"`
	Appraiser   string `json:"appraiser" minLength:"1" maxLength:"200" doc:"The appraisal firm"`
	AppraisedOn string `json:"appraised_on" format:"date" doc:"The valuation date (评估基准日): not after today (an appraise event: not after its effective_on)"`
	Method      string `json:"method" enum:"income,market,cost" doc:"收益法 income, 市场法 market or 成本法 cost approach"`
}

// AppraisalView is an appraisal as recorded.
type AppraisalView struct {
	Value       string  `json:"value" example:"300000000.00"`
	Appraiser   string  `json:"appraiser"`
	AppraisedOn *string `json:"appraised_on" format:"date"`
	Method      string  `json:"method" enum:"income,market,cost"`
	Seq         int64   `json:"seq" doc:"The ledger entry that recorded it"`
}

// appraisalInput reads an appraisal body; a malformed date names its field.
func appraisalInput(field string, b AppraisalBody) (registry.AppraisalInput, error) {
	d, err := parseDate(field+".appraised_on", b.AppraisedOn)
	if err != nil {
		return registry.AppraisalInput{}, err
	}
	return registry.AppraisalInput{Value: b.Value, Appraiser: b.Appraiser, AppraisedOn: d, Method: b.Method}, nil
}

func appraisalInputs(bs []AppraisalBody) ([]registry.AppraisalInput, error) {
	var out []registry.AppraisalInput
	for i, b := range bs {
		a, err := appraisalInput(fmt.Sprintf("body.appraisals[%d]", i), b)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// servicesView adds to a pledge's view its appraisals, loan-to-value ratio and the terms of a
// debt_to_equity or reverse_licence realisation.
func servicesView(v *PledgeView, p registry.Pledge) {
	v.Appraisals = make([]AppraisalView, 0, len(p.Appraisals))
	for _, a := range p.Appraisals {
		v.Appraisals = append(v.Appraisals, AppraisalView{Value: a.Value.String(), Appraiser: a.Appraiser, AppraisedOn: dateStr(a.AppraisedOn), Method: a.Method, Seq: a.Seq})
	}
	if p.LoanToValue != "" {
		ltv := p.LoanToValue
		v.LoanToValue = &ltv
	}
	if r, rv := p.Realisation, v.Realisation; r != nil && rv != nil {
		if r.EquityHolder != nil {
			rv.EquityHolder = &OwnerView{ID: r.EquityHolder.ID.String(), Name: r.EquityHolder.Name}
			rv.EquityShare = &r.EquityShare
		}
		if r.Licensee != nil {
			rv.Licensee = &OwnerView{ID: r.Licensee.ID.String(), Name: r.Licensee.Name}
			rv.LicenceEndsOn = dateStr(r.LicenceEndsOn)
		}
	}
}

// realiseTerms reads the debt_to_equity and reverse_licence fields of a realise event.
func realiseTerms(ev *registry.PledgeEventInput, holder, share, licensee, endsOn string) error {
	ev.EquityShare = share
	for _, f := range []struct {
		raw, field, code string
		dst              *uuid.UUID
	}{{holder, "body.equity_holder_id", "equity_holder_unknown", &ev.EquityHolderID}, {licensee, "body.licensee_id", "licensee_unknown", &ev.LicenseeID}} {
		if f.raw == "" {
			continue
		}
		id, err := uuid.Parse(f.raw)
		if err != nil {
			p := newProblem(http.StatusUnprocessableEntity, f.code, "not an id")
			p.Errors = []FieldError{{Location: f.field, Message: "not an id", Value: f.raw}}
			return p
		}
		*f.dst = id
	}
	d, err := parseDate("body.licence_ends_on", endsOn)
	ev.LicenceEndsOn = d
	return err
}
