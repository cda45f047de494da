package registry

import (
	"context"
	"fmt"
	"strings"

	"github.com/uptrace/bun"

	"ipledger/ledger"
)

// claimProjection: risk-compensation claims and their decisions.
type claimProjection struct{}

func (*claimProjection) Owns(kind string) bool { return strings.HasPrefix(kind, "claim.") }

func (*claimProjection) Tables() []string {
	return []string{"registry.claims", "registry.claim_events"}
}

func (*claimProjection) Apply(ctx context.Context, db bun.IDB, es []ledger.Entry) error {
	for _, e := range es {
		if err := applyClaim(ctx, db, e); err != nil {
			return fmt.Errorf("registry: apply %s #%d: %w", e.Kind, e.Seq, err)
		}
	}
	return nil
}

func applyClaim(ctx context.Context, db bun.IDB, e ledger.Entry) error {
	if e.Kind == kindClaimFiled {
		var p claimPayload
		if err := decode(e, &p); err != nil {
			return err
		}
		_, err := db.ExecContext(ctx, `INSERT INTO registry.claims (id, pledge_id, claimant_id, region_code, loss_fen, evidence_ref,
			status, filed_on, filed_seq, updated_seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			p.ID.String(), p.PledgeID.String(), p.ClaimantID.String(), p.RegionCode, p.LossFen, p.EvidenceRef,
			ClaimFiled, e.EffectiveDate(), e.Seq, e.Seq)
		return err
	}
	var ev claimEventPayload
	if err := decode(e, &ev); err != nil {
		return err
	}
	id := ev.ClaimID.String()
	if _, err := db.ExecContext(ctx, `INSERT INTO registry.claim_events (claim_id, seq, type, effective_on, payload)
		VALUES (?, ?, ?, ?, ?)`, id, e.Seq, ev.Type, e.EffectiveDate(), string(e.Payload)); err != nil {
		return err
	}
	var err error
	switch e.Kind {
	case kindClaimApproved:
		_, err = db.ExecContext(ctx, `UPDATE registry.claims SET status = ?, decided_on = ?, approved_fen = ?, fund_share_bp = ?,
			payout_fen = ?, updated_seq = ? WHERE id = ?`, ClaimApproved, e.EffectiveDate(), ev.ApprovedFen, ev.FundShareBP, ev.PayoutFen, e.Seq, id)
	case kindClaimRejected:
		_, err = db.ExecContext(ctx, `UPDATE registry.claims SET status = ?, decided_on = ?, updated_seq = ? WHERE id = ?`,
			ClaimRejected, e.EffectiveDate(), e.Seq, id)
	case kindClaimPaid:
		_, err = db.ExecContext(ctx, `UPDATE registry.claims SET status = ?, paid_on = ?, paid_seq = ?, updated_seq = ? WHERE id = ?`,
			ClaimPaid, e.EffectiveDate(), e.Seq, e.Seq, id)
	}
	return err
}
