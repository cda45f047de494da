package registry

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"ipledger/ledger"
	"ipledger/registry/term"
)

// The pledge registration path before issue 13, kept as the oracle of the property test: each
// registration checked by statements against the database and projected by itself.

// recordPledge checks a prepared registration against the state in tx and records it: the
// one path of RegisterPledge and RegisterPledges. Every rule is checked before anything is
// written, so a refusal (*Error) leaves tx as it was.
func recordPledge(ctx context.Context, tx *ledger.Tx, p *pledgePayload) error {
	if err := checkPledge(ctx, tx.DB(), p); err != nil {
		return err
	}
	_, err := appendApply(ctx, tx, ledger.Draft{Kind: kindPledgeRegistered, Subject: pledgeSubject(p.ID),
		EffectiveOn: p.RegisteredOn.Time(), Payload: p})
	if err != nil {
		return err
	}
	for _, d := range historyDrafts(p) { // default, release or realisation: as the batch path writes them
		if _, err := appendApply(ctx, tx, d); err != nil {
			return err
		}
	}
	return nil
}

// checkPledge applies the registration rules that read state, in the order docs/DOMAIN.md (Pledge rules)
// lists them, and fills the region. It sees every earlier write (writes are serialised).
func checkPledge(ctx context.Context, db bun.IDB, p *pledgePayload) error {
	pledgee, err := getParty(ctx, db, p.PledgeeID)
	if err != nil {
		if de, ok := AsError(err); ok && de.Class == NotFound {
			return Errorf(Invalid, "pledgee_unknown", "pledgee_id", "no party %s", p.PledgeeID)
		}
		return err
	}
	if !pledgee.Kind.Pledgee() {
		return pledgeeNotLender(pledgee.Name, pledgee.Kind)
	}
	ids := make([]string, len(p.PledgorIDs))
	for i, id := range p.PledgorIDs {
		ids[i] = id.String()
	}
	regions, err := partyRegions(ctx, db, ids)
	if err != nil {
		return err
	}
	for i, id := range p.PledgorIDs {
		if _, ok := regions[id]; !ok {
			return Errorf(Invalid, "pledgor_unknown", fmt.Sprintf("pledgor_ids[%d]", i), "no party %s", id)
		}
	}
	p.RegionCode = regions[p.PledgorIDs[0]]

	ls, pol, err := loadPledgeAssets(ctx, db, p.AssetIDs)
	if err != nil {
		return err
	}
	for i, id := range p.AssetIDs {
		field := fmt.Sprintf("asset_ids[%d]", i)
		l := ls[id]
		if l == nil {
			return Errorf(Invalid, "asset_unknown", field, "no asset %s", id)
		}
		if err := checkPledgeable(l, pol, p, field); err != nil {
			return err
		}
	}
	return checkNotPledged(ctx, db, p.AssetIDs, p.RegisteredOn, p.end(), uuid.Nil)
}

// checkNotPledged refuses rights already pledged in the new pledge's period
// [registeredOn, releasedOn) (nil releasedOn: open), as Conflict asset_pledged whose Ref is
// the other pledge, an active one first: the periods are date ranges, as the exclusion
// constraint pledge_assets_no_overlap compares them.
func checkNotPledged(ctx context.Context, db bun.IDB, assets []uuid.UUID, registeredOn term.Date, releasedOn *term.Date, except uuid.UUID) error {
	strs := make([]string, len(assets))
	for i, id := range assets {
		strs[i] = id.String()
	}
	var asset, pledge uuid.UUID
	err := db.QueryRowContext(ctx, `SELECT asset_id, pledge_id FROM registry.pledge_assets
		WHERE daterange(pledged_on, released_on, '[)') && daterange(?::date, ?::date, '[)') AND asset_id = ANY(?::uuid[]) AND pledge_id <> ?
		ORDER BY array_position(?::uuid[], asset_id), active DESC LIMIT 1`,
		registeredOn.String(), pledgeDateArg(releasedOn), pgdialect.Array(strs), except.String(), pgdialect.Array(strs)).Scan(&asset, &pledge)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		return err
	}
	return assetPledged(asset, pledge, slices.Index(assets, asset))
}
