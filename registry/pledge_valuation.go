package registry

import (
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"slices"
	"strings"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

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

// Appraisal is an appraisal as recorded.
type Appraisal struct {
	Value       Money     `json:"value"`
	Appraiser   string    `json:"appraiser"`
	AppraisedOn term.Date `json:"appraised_on"`
	Method      string    `json:"method"`
	Seq         int64     `json:"seq"` // the entry that recorded it
}

// prepareAppraisal checks one appraisal; field is where it sits in the input
// (body.appraisals[0], body.appraisal). It is dated on or before latest.
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
		return nil, Errorf(Invalid, "appraisals_too_many", "body.appraisals", "at most %d appraisals", maxAppraisals)
	}
	var out []appraisalPayload
	for i, a := range in {
		p, err := prepareAppraisal(a, today, fmt.Sprintf("body.appraisals[%d]", i))
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// insertAppraisals projects the appraisals an entry (seq) recorded for a pledge.
func insertAppraisals(ctx context.Context, db bun.IDB, pledge uuid.UUID, seq int64, as []appraisalPayload) error {
	for i, a := range as {
		if _, err := db.ExecContext(ctx, `INSERT INTO registry.pledge_appraisals (pledge_id, seq, position, value_fen, appraiser,
			appraised_on, method) VALUES (?, ?, ?, ?, ?, ?, ?)`, pledge.String(), seq, i, a.ValueFen, a.Appraiser, a.AppraisedOn.String(), a.Method); err != nil {
			return fmt.Errorf("registry: insert appraisal: %w", err)
		}
	}
	return nil
}

// LoanToValue is amount ÷ value with 4 decimals, rounded half away from zero ("0.5000"):
// (2·amount·10⁴ + value) div (2·value), exact in big integers.
func LoanToValue(amount, value Money) string {
	a, v := big.NewInt(int64(amount)), big.NewInt(int64(value))
	num := new(big.Int).Mul(a, big.NewInt(20000))
	num.Add(num, v)
	n := num.Quo(num, v.Mul(v, big.NewInt(2)))
	s := fmt.Sprintf("%05s", n.String())
	return s[:len(s)-4] + "." + s[len(s)-4:]
}

// latestAppraisal is the appraisal the ratio divides by: the latest valuation date, then the
// latest entry, then the last in its list.
func latestAppraisal(as []Appraisal) (Appraisal, bool) {
	if len(as) == 0 {
		return Appraisal{}, false
	}
	best := as[0]
	for _, a := range as[1:] {
		if a.AppraisedOn.After(best.AppraisedOn) || (a.AppraisedOn == best.AppraisedOn && a.Seq >= best.Seq) {
			best = a
		}
	}
	return best, true
}

// setValuation fills a pledge's appraisals and loan-to-value ratio.
func (p *Pledge) setValuation(as []Appraisal) {
	p.Appraisals = as
	p.LoanToValue = ""
	if a, ok := latestAppraisal(as); ok {
		p.LoanToValue = LoanToValue(p.Amount, a.Value)
	}
}

// recordedValuation is setValuation for a registration just written at seq.
func (p *Pledge) recordedValuation(as []appraisalPayload, seq int64) {
	out := make([]Appraisal, len(as))
	for i, a := range as {
		out[i] = Appraisal{Value: Money(a.ValueFen), Appraiser: a.Appraiser, AppraisedOn: a.AppraisedOn, Method: a.Method, Seq: seq}
	}
	p.setValuation(out)
}

// attachServices reads, for the loaded pledges, their appraisals and the terms of a
// debt_to_equity or reverse_licence realisation, in one statement.
func attachServices(ctx context.Context, db bun.IDB, ps []Pledge) ([]Pledge, error) {
	if len(ps) == 0 {
		return ps, nil
	}
	ids := make([]string, len(ps))
	for i, p := range ps {
		ids[i] = p.ID.String()
	}
	rows, err := db.QueryContext(ctx, `SELECT p.id,
		coalesce((SELECT json_agg(json_build_object('value_fen', a.value_fen, 'appraiser', a.appraiser, 'appraised_on', a.appraised_on,
			'method', a.method, 'seq', a.seq) ORDER BY a.seq, a.position) FROM registry.pledge_appraisals a WHERE a.pledge_id = p.id), '[]')::text,
		p.equity_holder_id, coalesce(h.name, ''), coalesce(p.equity_share::text, ''), p.licensee_id, coalesce(l.name, ''), p.licence_ends_on::text
		FROM registry.pledges p LEFT JOIN registry.parties h ON h.id = p.equity_holder_id LEFT JOIN registry.parties l ON l.id = p.licensee_id
		WHERE p.id = ANY(?::uuid[])`, pgdialect.Array(ids))
	if err != nil {
		return nil, fmt.Errorf("registry: pledge valuations: %w", err)
	}
	defer rows.Close()
	at := map[uuid.UUID]int{}
	for i, p := range ps {
		at[p.ID] = i
	}
	for rows.Next() {
		var id uuid.UUID
		var apps, holderName, share, licName string
		var holder, licensee *uuid.UUID
		var ends *string
		if err := rows.Scan(&id, &apps, &holder, &holderName, &share, &licensee, &licName, &ends); err != nil {
			return nil, err
		}
		var raw []struct {
			ValueFen    int64     `json:"value_fen"`
			Appraiser   string    `json:"appraiser"`
			AppraisedOn term.Date `json:"appraised_on"`
			Method      string    `json:"method"`
			Seq         int64     `json:"seq"`
		}
		if err := json.Unmarshal([]byte(apps), &raw); err != nil {
			return nil, fmt.Errorf("registry: pledge %s appraisals: %w", id, err)
		}
		as := make([]Appraisal, len(raw))
		for i, a := range raw {
			as[i] = Appraisal{Value: Money(a.ValueFen), Appraiser: a.Appraiser, AppraisedOn: a.AppraisedOn, Method: a.Method, Seq: a.Seq}
		}
		p := &ps[at[id]]
		p.setValuation(as)
		if r := p.Realisation; r != nil {
			if holder != nil {
				r.EquityHolder, r.EquityShare = &Owner{ID: *holder, Name: holderName}, share
			}
			if licensee != nil {
				r.Licensee, r.LicenceEndsOn = &Owner{ID: *licensee, Name: licName}, parseDateCol(ends)
			}
		}
	}
	return ps, rows.Err()
}
