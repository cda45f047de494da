package registry

import (
	"context"
	"fmt"
	"strings"

	"github.com/uptrace/bun"

	"ipledger/ledger"
)

// The registry's projections, listed here and nowhere else: where an entry kind is projected
// has one answer, for live writes (apply) and for ledger.Rebuild alike.
var (
	core     = &coreProjection{}
	pledges  = &pledgeProjection{}
	services = &serviceProjection{} // service_projection.go: credit listings, demands
	claims   = &claimProjection{}   // claim_projection.go
)

// Projections are the registry's projections, in the order a rebuild empties their tables.
func Projections() []ledger.Projection { return []ledger.Projection{core, pledges, services, claims} }

// apply projects one entry a live write appended, through the projection that owns its kind.
func apply(ctx context.Context, db bun.IDB, e ledger.Entry) error {
	for _, p := range Projections() {
		if p.Owns(e.Kind) {
			return p.Apply(ctx, db, []ledger.Entry{e})
		}
	}
	return nil
}

// coreProjection: reference data (regions, params, the IPC concordance), parties and assets.
type coreProjection struct{}

func (*coreProjection) Owns(kind string) bool {
	for _, pre := range []string{"region.", "param.", "concordance.", "party.", "asset."} {
		if strings.HasPrefix(kind, pre) {
			return true
		}
	}
	return false
}

func (*coreProjection) Tables() []string {
	return []string{"registry.regions", "registry.params", "registry.ipc_concordance", "registry.parties",
		"registry.assets", "registry.asset_owners", "registry.asset_events", "registry.asset_spans",
		"registry.foreign_family_members", // written with the asset events (family_write.go)
		// The spans' summaries, written with the spans (span_write.go); indicator_checkpoint_every is a setting.
		"registry.indicator_counts", "registry.indicator_count_log", "registry.indicator_checkpoint_counts",
		"registry.indicator_checkpoints"}
}

// Apply projects consecutive asset registrations together (one statement per table), every
// other entry by itself.
func (*coreProjection) Apply(ctx context.Context, db bun.IDB, es []ledger.Entry) error {
	ctx = withPolicyMemo(ctx)
	for len(es) > 0 {
		n := 0
		for n < len(es) && es[n].Kind == kindAssetRegistered {
			n++
		}
		if n > 0 {
			if err := applyAssetsRegistered(ctx, db, es[:n]); err != nil {
				return fmt.Errorf("registry: apply %s #%d..#%d: %w", kindAssetRegistered, es[0].Seq, es[n-1].Seq, err)
			}
			es = es[n:]
			continue
		}
		for n < len(es) && isAssetEvent(es[n].Kind) {
			n++
		}
		if n > 0 {
			if err := applyAssetEvents(ctx, db, nil, es[:n]); err != nil { // asset_event_projection.go
				return fmt.Errorf("registry: apply asset events #%d..#%d: %w", es[0].Seq, es[n-1].Seq, err)
			}
			es = es[n:]
			continue
		}
		if err := applyRegistry(ctx, db, es[0]); err != nil {
			return fmt.Errorf("registry: apply %s #%d: %w", es[0].Kind, es[0].Seq, err)
		}
		es = es[1:]
	}
	return nil
}

// isAssetEvent says whether kind is an asset's lifecycle event (asset_event.go).
func isAssetEvent(kind string) bool {
	return strings.HasPrefix(kind, "asset.") && kind != kindAssetRegistered
}

func applyRegistry(ctx context.Context, db bun.IDB, e ledger.Entry) error {
	switch {
	case e.Kind == kindRegionDefined:
		return applyRegion(ctx, db, e)
	case e.Kind == kindParamSet:
		return applyParam(ctx, db, e)
	case e.Kind == kindConcordanceLoaded:
		return applyConcordance(ctx, db, e)
	case strings.HasPrefix(e.Kind, "party."):
		return applyParty(ctx, db, e)
	case e.Kind == kindAssetRegistered:
		return applyAssetsRegistered(ctx, db, []ledger.Entry{e})
	case isAssetEvent(e.Kind):
		return applyAssetEvents(ctx, db, nil, []ledger.Entry{e})
	}
	return nil
}
