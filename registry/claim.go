package registry

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"ipledger/ledger"
	"ipledger/registry/term"
)

// Risk-compensation claims (风险补偿, the 2023 action plan's items (272) and (291)): the pledgee
// of a defaulted pledge files a claim for its loss; the office approves it (the loss it
// recognises and the fund's share of it, a policy parameter) or rejects it, and records the
// payout. Each step is one ledger entry with subject claim/<id>.
const (
	kindClaimFiled    = "claim.filed"
	kindClaimApproved = "claim.approved"
	kindClaimRejected = "claim.rejected"
	kindClaimPaid     = "claim.paid"
)

// Claim statuses: filed → approved → paid, or filed → rejected.
const (
	ClaimFiled    = "filed"
	ClaimApproved = "approved"
	ClaimRejected = "rejected"
	ClaimPaid     = "paid"
)

// Claim event types (ClaimEventInput.Type).
const (
	ClaimApprove = "approve"
	ClaimReject  = "reject"
	ClaimPay     = "pay"
)

var claimEventKinds = map[string]string{ClaimApprove: kindClaimApproved, ClaimReject: kindClaimRejected, ClaimPay: kindClaimPaid}

// ClaimEventTypes lists the claim event types.
func ClaimEventTypes() []string { return []string{ClaimApprove, ClaimReject, ClaimPay} }

// ClaimStatuses lists the claim statuses.
func ClaimStatuses() []string { return []string{ClaimFiled, ClaimApproved, ClaimRejected, ClaimPaid} }

// ParamRiskCompensationShareBP is the share of an approved loss the risk-compensation fund
// pays, in basis points (10000 = all of it). The plan names no share; the default pays the
// whole approved loss until admins record the city's figure.
const ParamRiskCompensationShareBP = "risk_compensation_fund_share_bp"

// ClaimInput is a claim filed by the pledgee of a defaulted pledge.
type ClaimInput struct {
	Loss        string    // the lender's loss in CNY, a decimal string
	EvidenceRef string    // reference to the evidence (court judgment, realisation record, …)
	EffectiveOn term.Date // filed on; default today, not before the default, not after today
	Note        string
}

// ClaimEventInput is the office's decision on a claim. Amount: approve — the loss recognised
// (required, at most the loss claimed); pay — optional, and then exactly the approved payout;
// reject — not taken.
type ClaimEventInput struct {
	Type        string
	Amount      string
	EffectiveOn term.Date
	Note        string
}

// Claim is a risk-compensation claim in its current state.
type Claim struct {
	ID          uuid.UUID `json:"id"`
	PledgeID    uuid.UUID `json:"pledge_id"`
	Claimant    Owner     `json:"claimant" bun:"embed:claimant_"` // the pledgee that filed it; read as claimant_id, claimant_name
	RegionCode  string    `json:"region_code"`
	Status      string    `json:"status"`
	Loss        Money     `json:"loss"`
	EvidenceRef string    `json:"evidence_ref"`
	FiledOn     term.Date `json:"filed_on"`
	DecidedOn   term.Date `json:"decided_on"`
	Approved    Money     `json:"approved_amount"` // 0 until approved
	FundShareBP int       `json:"fund_share_bp"`   // 0 until approved
	Payout      Money     `json:"payout"`          // approved × fund share, rounded half away from zero to the fen
	PaidOn      term.Date `json:"paid_on"`
	FiledSeq    int64     `json:"filed_seq"`
	UpdatedSeq  int64     `json:"updated_seq"`
}

// FundShare writes the fund's share as a ratio with 4 decimals ("0.5000"); "" before approval.
func (c Claim) FundShare() string {
	if c.FundShareBP == 0 {
		return ""
	}
	return fmt.Sprintf("%d.%04d", c.FundShareBP/10000, c.FundShareBP%10000)
}

type claimPayload struct {
	ID          uuid.UUID `json:"id"`
	PledgeID    uuid.UUID `json:"pledge_id"`
	ClaimantID  uuid.UUID `json:"claimant_id"`
	RegionCode  string    `json:"region_code"`
	LossFen     int64     `json:"loss_fen"`
	EvidenceRef string    `json:"evidence_ref"`
	Note        string    `json:"note,omitempty"`
}

type claimEventPayload struct {
	ClaimID     uuid.UUID `json:"claim_id"`
	Type        string    `json:"type"`
	ApprovedFen int64     `json:"approved_fen,omitempty"`  // approve
	FundShareBP int       `json:"fund_share_bp,omitempty"` // approve: the parameter when approved
	PayoutFen   int64     `json:"payout_fen,omitempty"`    // approve, pay
	Note        string    `json:"note,omitempty"`
}

func claimSubject(id uuid.UUID) string { return "claim/" + id.String() }

// effectiveOn is a claim step's business date: d, or today when d is zero; never after today.
func effectiveOn(d, today term.Date) (term.Date, *Error) {
	if d.IsZero() {
		return today, nil
	}
	if d.After(today) {
		return d, Errorf(Invalid, "date_in_future", "effective_on", "%s is after today (%s)", d, today)
	}
	return d, nil
}

// claimPayout is approved × bp / 10000, rounded half away from zero to the fen. approved ≤
// MaxMoney (10^14 fen) and bp ≤ 10^4, so the product fits an int64.
func claimPayout(approved int64, bp int) int64 {
	return (2*approved*int64(bp) + 10000) / 20000
}

// FileClaim records a claim (claim.filed) on the pledge pledgeID for its pledgee. v must see
// the pledge (a bank: its own), else NotFound. Refused unless the pledge is defaulted and not
// released, and while another claim on it is not rejected.
func (s *Service) FileClaim(ctx context.Context, v Viewer, pledgeID uuid.UUID, in ClaimInput) (Claim, error) {
	loss, ok := ParseMoney(in.Loss)
	if !ok {
		return Claim{}, Errorf(Invalid, "amount_invalid", "loss",
			"the loss is a decimal string in CNY, more than 0, with at most 2 decimals, up to %s; got %q", MaxMoney, in.Loss)
	}
	ref := strings.TrimSpace(in.EvidenceRef)
	if ref == "" {
		return Claim{}, Errorf(Invalid, "field_required", "evidence_ref", "a claim cites its evidence (a judgment, the realisation record, …)")
	}
	if err := CheckText("evidence_ref", ref, false); err != nil {
		return Claim{}, err
	}
	if err := CheckText("note", in.Note, true); err != nil {
		return Claim{}, err
	}
	eff, derr := effectiveOn(in.EffectiveOn, s.Today())
	if derr != nil {
		return Claim{}, derr
	}
	id := newID()
	_, err := s.write(ctx, func(ctx context.Context, tx *ledger.Tx) error {
		db := tx.DB()
		cur, err := loadPledgeRow(ctx, db, v, pledgeID)
		if err != nil {
			return err
		}
		if cur.status == PledgeReleased {
			return Errorf(Invalid, "already_released", "path.id", "the pledge was released (注销): the debt was repaid, there is no loss to compensate")
		}
		if cur.defaultedOn.IsZero() {
			return Errorf(Invalid, "not_defaulted", "path.id", "a claim is filed only on a pledge whose default is recorded")
		}
		if eff.Before(cur.defaultedOn) {
			return Errorf(Invalid, "before_last_change", "effective_on", "%s is before the default (%s)", eff, cur.defaultedOn)
		}
		var other uuid.UUID
		err = db.QueryRowContext(ctx, `SELECT id FROM registry.claims WHERE pledge_id = ? AND status <> ? ORDER BY id LIMIT 1`,
			pledgeID.String(), ClaimRejected).Scan(&other)
		if err == nil {
			e := Errorf(Conflict, "claim_exists", "path.id", "claim %s on this pledge is not rejected; a pledge has one claim at a time", other)
			e.Ref = other.String()
			return e
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("registry: claims of pledge: %w", err)
		}
		var region string
		if err := db.QueryRowContext(ctx, `SELECT region_code FROM registry.pledges WHERE id = ?`, pledgeID.String()).Scan(&region); err != nil {
			return fmt.Errorf("registry: pledge region: %w", err)
		}
		_, err = appendApply(ctx, tx, ledger.Draft{Kind: kindClaimFiled, Subject: claimSubject(id), EffectiveOn: eff.Time(),
			Payload: claimPayload{ID: id, PledgeID: pledgeID, ClaimantID: cur.pledgee, RegionCode: region, LossFen: int64(loss),
				EvidenceRef: ref, Note: strings.TrimSpace(in.Note)}})
		return err
	})
	if err != nil {
		return Claim{}, err
	}
	return s.getClaim(ctx, s.l.DB(), v, id)
}

// ClaimEvent records the office's decision on claim id (approve, reject, pay) and returns the
// claim after it. Lifecycle violations are Invalid with a code naming the rule.
func (s *Service) ClaimEvent(ctx context.Context, v Viewer, id uuid.UUID, in ClaimEventInput) (Claim, error) {
	kind, ok := claimEventKinds[in.Type]
	if !ok {
		return Claim{}, Errorf(Invalid, "event_type_unknown", "type", "no claim event %q (known: %s)", in.Type, strings.Join(ClaimEventTypes(), ", "))
	}
	if in.Amount != "" && in.Type == ClaimReject {
		return Claim{}, Errorf(Invalid, "field_not_allowed", "amount", "amount does not belong to a reject event (only to approve, pay)")
	}
	if in.Amount == "" && in.Type == ClaimApprove {
		return Claim{}, Errorf(Invalid, "field_required", "amount", "an approval names the loss recognised (at most the loss claimed)")
	}
	var amount Money
	if in.Amount != "" {
		if amount, ok = ParseMoney(in.Amount); !ok {
			return Claim{}, Errorf(Invalid, "amount_invalid", "amount",
				"the amount is a decimal string in CNY, more than 0, with at most 2 decimals, up to %s; got %q", MaxMoney, in.Amount)
		}
	}
	if err := CheckText("note", in.Note, true); err != nil {
		return Claim{}, err
	}
	eff, derr := effectiveOn(in.EffectiveOn, s.Today())
	if derr != nil {
		return Claim{}, derr
	}
	_, err := s.write(ctx, func(ctx context.Context, tx *ledger.Tx) error {
		cur, err := s.getClaim(ctx, tx.DB(), v, id)
		if err != nil {
			return err
		}
		ev, err := checkClaimEvent(ctx, tx.DB(), cur, in.Type, amount, eff)
		if err != nil {
			return err
		}
		ev.ClaimID, ev.Type, ev.Note = id, in.Type, strings.TrimSpace(in.Note)
		_, err = appendApply(ctx, tx, ledger.Draft{Kind: kind, Subject: claimSubject(id), EffectiveOn: eff.Time(), Payload: ev})
		return err
	})
	if err != nil {
		return Claim{}, err
	}
	return s.getClaim(ctx, s.l.DB(), v, id)
}

// checkClaimEvent applies the lifecycle rules and returns the payload to record.
func checkClaimEvent(ctx context.Context, db bun.IDB, cur Claim, typ string, amount Money, eff term.Date) (claimEventPayload, error) {
	var ev claimEventPayload
	invalid := func(code, field, format string, args ...any) (claimEventPayload, error) {
		return ev, Errorf(Invalid, code, field, format, args...)
	}
	last := cur.FiledOn
	if cur.DecidedOn.After(last) {
		last = cur.DecidedOn
	}
	switch cur.Status {
	case ClaimPaid:
		return invalid("already_paid", "type", "the claim was paid on %s; it takes no further events", cur.PaidOn)
	case ClaimRejected:
		return invalid("already_rejected", "type", "the claim was rejected on %s; it takes no further events", cur.DecidedOn)
	case ClaimApproved:
		if typ != ClaimPay {
			return invalid("already_approved", "type", "the claim was approved on %s; what follows is its payout", cur.DecidedOn)
		}
	case ClaimFiled:
		if typ == ClaimPay {
			return invalid("not_approved", "type", "a claim is paid only after it is approved")
		}
	}
	if eff.Before(last) {
		return invalid("before_last_change", "effective_on", "%s is before the claim's last recorded change (%s)", eff, last)
	}
	switch typ {
	case ClaimApprove:
		if amount > cur.Loss {
			return invalid("amount_exceeds_loss", "amount", "%s is more than the loss claimed (%s)", amount, cur.Loss)
		}
		bp, err := riskCompensationShare(ctx, db)
		if err != nil {
			return ev, err
		}
		ev.ApprovedFen, ev.FundShareBP = int64(amount), bp
		ev.PayoutFen = claimPayout(int64(amount), bp)
		if ev.PayoutFen <= 0 {
			return invalid("amount_invalid", "amount", "the fund's share (%d/10000) of %s rounds to nothing", bp, amount)
		}
	case ClaimPay:
		if amount != 0 && amount != cur.Payout {
			return invalid("amount_mismatch", "amount", "the approved payout is %s, not %s", cur.Payout, amount)
		}
		ev.PayoutFen = int64(cur.Payout)
	}
	return ev, nil
}

// riskCompensationShare is the current fund share in basis points.
func riskCompensationShare(ctx context.Context, db bun.IDB) (int, error) {
	cur, err := currentParams(ctx, db)
	if err != nil {
		return 0, err
	}
	bp := int(paramSpecs[ParamRiskCompensationShareBP].def.(int64))
	if v, ok := cur[ParamRiskCompensationShareBP]; ok {
		if err := json.Unmarshal(v, &bp); err != nil {
			return 0, fmt.Errorf("registry: %s: %w", ParamRiskCompensationShareBP, err)
		}
	}
	return bp, nil
}
