package registry

import (
	"context"

	"github.com/uptrace/bun"

	"ipledger/ledger"
)

func applyParty(ctx context.Context, db bun.IDB, e ledger.Entry) error {
	var p partyPayload
	if err := decode(e, &p); err != nil {
		return err
	}
	var err error
	switch e.Kind {
	case kindPartyRegistered:
		var uscc any
		if p.USCC != "" {
			uscc = p.USCC
		}
		_, err = db.ExecContext(ctx, `INSERT INTO registry.parties
			(id, name, kind, uscc, uscc_confirmed, region_code, registered_on, registered_seq, updated_seq)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			p.ID, p.Name, string(p.Kind), uscc, p.USCCConfirmed, p.RegionCode, e.EffectiveDate(), e.Seq, e.Seq)
	case kindPartyRenamed:
		_, err = db.ExecContext(ctx, `UPDATE registry.parties SET name = ?, updated_seq = ? WHERE id = ?`, p.Name, e.Seq, p.ID)
	case kindPartyMoved:
		_, err = db.ExecContext(ctx, `UPDATE registry.parties SET region_code = ?, updated_seq = ? WHERE id = ?`, p.RegionCode, e.Seq, p.ID)
	}
	return err
}
