package registry

import (
	"context"
	"fmt"
	"strings"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"ipledger/ledger"
)

// serviceProjection: credit listings and financing demands.
type serviceProjection struct{}

func (*serviceProjection) Owns(kind string) bool {
	return strings.HasPrefix(kind, "credit.") || strings.HasPrefix(kind, "demand.")
}

func (*serviceProjection) Tables() []string {
	return []string{"registry.credit_listings", "registry.demands", "registry.demand_events"}
}

func (*serviceProjection) Apply(ctx context.Context, db bun.IDB, es []ledger.Entry) error {
	for _, e := range es {
		var err error
		if strings.HasPrefix(e.Kind, "credit.") {
			err = applyCredit(ctx, db, e)
		} else {
			err = applyDemand(ctx, db, e)
		}
		if err != nil {
			return fmt.Errorf("registry: apply %s #%d: %w", e.Kind, e.Seq, err)
		}
	}
	return nil
}

func applyDemand(ctx context.Context, db bun.IDB, e ledger.Entry) error {
	if e.Kind == kindDemandPosted {
		var p demandPayload
		if err := decode(e, &p); err != nil {
			return err
		}
		assets := make([]string, len(p.AssetIDs))
		for i, a := range p.AssetIDs {
			assets[i] = a.String()
		}
		_, err := db.ExecContext(ctx, `INSERT INTO registry.demands (id, party_id, region_code, amount_fen, term_months,
			asset_ids, note, status, posted_on, posted_seq, changed_on, updated_seq)
			VALUES (?, ?, ?, ?, ?, ?::uuid[], ?, ?, ?, ?, ?, ?)`,
			p.ID.String(), p.PartyID.String(), p.RegionCode, p.AmountFen, p.TermMonths, pgdialect.Array(assets), p.Note,
			DemandOpen, e.EffectiveDate(), e.Seq, e.EffectiveDate(), e.Seq)
		return err
	}
	var p demandEventPayload
	if err := decode(e, &p); err != nil {
		return err
	}
	id := p.DemandID.String()
	if _, err := db.ExecContext(ctx, `INSERT INTO registry.demand_events (demand_id, seq, type, effective_on, lender_id, pledge_id, note)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, id, e.Seq, p.Type, e.EffectiveDate(), uuidArg(p.LenderID), uuidArg(p.PledgeID), p.Note); err != nil {
		return err
	}
	var err error
	switch e.Kind {
	case kindDemandInterest:
		_, err = db.ExecContext(ctx, `UPDATE registry.demands SET changed_on = ?, updated_seq = ? WHERE id = ?`, e.EffectiveDate(), e.Seq, id)
	case kindDemandMatched, kindDemandWithdrawn:
		status := DemandMatched
		if e.Kind == kindDemandWithdrawn {
			status = DemandWithdrawn
		}
		_, err = db.ExecContext(ctx, `UPDATE registry.demands SET status = ?, closed_on = ?, lender_id = ?, pledge_id = ?,
			changed_on = ?, updated_seq = ? WHERE id = ?`,
			status, e.EffectiveDate(), uuidArg(p.LenderID), uuidArg(p.PledgeID), e.EffectiveDate(), e.Seq, id)
	}
	return err
}

func applyCredit(ctx context.Context, db bun.IDB, e ledger.Entry) error {
	var p creditPayload
	if err := decode(e, &p); err != nil {
		return err
	}
	var err error
	switch e.Kind {
	case kindCreditListed:
		_, err = db.ExecContext(ctx, `INSERT INTO registry.credit_listings (party_id, list, listed_on, listed_ref, listed_seq)
			VALUES (?, ?, ?, ?, ?)`, p.PartyID.String(), p.List, e.EffectiveDate(), p.SourceRef, e.Seq)
	case kindCreditRemoved:
		_, err = db.ExecContext(ctx, `UPDATE registry.credit_listings SET removed_on = ?, removed_ref = ?, removed_seq = ?
			WHERE party_id = ? AND list = ? AND removed_seq IS NULL`, e.EffectiveDate(), p.SourceRef, e.Seq, p.PartyID.String(), p.List)
	}
	return err
}
