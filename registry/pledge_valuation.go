package registry

import (
	"fmt"
	"slices"
	"strings"

	"ipledger/registry/term"
)

// Valuation as credit enhancement: a pledge may carry appraisals of its rights (at
// registration, or later by an appraise event), and shows its loan-to-value ratio — the
// secured amount now ÷ the latest appraised value — to its pledgee and the office.

// AppraisalMethods are the three approaches of the asset-appraisal standard for intangible
// assets (资产评估准则—无形资产): income (收益法), market (市场法) and cost (成本法).
var AppraisalMethods = []string{"income", "market", "cost"}

// maxAppraisals bounds the appraisals one registration carries.
const maxAppraisals = 20

// AppraisalInput is one appraisal of a pledge's rights.
type AppraisalInput struct {
	Value       string    // CNY, a decimal string
	Appraiser   string    // the appraisal firm
	AppraisedOn term.Date // the valuation date (评估基准日), not after the entry's date
	Method      string    // one of AppraisalMethods
}

type appraisalPayload struct {
	ValueFen    int64     `json:"value_fen"`
	Appraiser   string    `json:"appraiser"`
	AppraisedOn term.Date `json:"appraised_on"`
	Method      string    `json:"method"`
}

// prepareAppraisal checks one appraisal; field is where it sits in the input
// (appraisals[0], appraisal). It is dated on or before latest.
func prepareAppraisal(in AppraisalInput, latest term.Date, field string) (appraisalPayload, *Error) {
	var a appraisalPayload
	v, ok := ParseMoney(in.Value)
	if !ok {
		return a, Errorf(Invalid, "amount_invalid", field+".value",
			"the appraised value is a decimal string in CNY, more than 0, with at most 2 decimals, up to %s; got %q", MaxMoney, in.Value)
	}
	appraiser := strings.TrimSpace(in.Appraiser)
	if appraiser == "" {
		return a, Errorf(Invalid, "field_required", field+".appraiser", "name the appraiser (the appraisal firm)")
	}
	if err := CheckText(field+".appraiser", appraiser, false); err != nil {
		return a, err
	}
	if len(appraiser) > 200 {
		return a, Errorf(Invalid, "text_invalid", field+".appraiser", "the appraiser's name is at most 200 bytes")
	}
	if in.AppraisedOn.IsZero() {
		return a, Errorf(Invalid, "field_required", field+".appraised_on", "the valuation date is required")
	}
	if in.AppraisedOn.After(latest) {
		return a, Errorf(Invalid, "date_in_future", field+".appraised_on", "appraised on %s, after %s", in.AppraisedOn, latest)
	}
	if !slices.Contains(AppraisalMethods, in.Method) {
		return a, Errorf(Invalid, "appraisal_method_invalid", field+".method", "the method is %s (收益法, 市场法, 成本法); got %q",
			strings.Join(AppraisalMethods, ", "), in.Method)
	}
	return appraisalPayload{ValueFen: int64(v), Appraiser: appraiser, AppraisedOn: in.AppraisedOn, Method: in.Method}, nil
}

// prepareAppraisals checks a registration's appraisals (dated not after today).
func prepareAppraisals(in []AppraisalInput, today term.Date) ([]appraisalPayload, *Error) {
	if len(in) > maxAppraisals {
		return nil, Errorf(Invalid, "appraisals_too_many", "appraisals", "at most %d appraisals", maxAppraisals)
	}
	var out []appraisalPayload
	for i, a := range in {
		p, err := prepareAppraisal(a, today, fmt.Sprintf("appraisals[%d]", i))
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}
