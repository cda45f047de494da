// Exported API of the registry's parties, assets and reference data (issue 4). Every change
// is one ledger entry written through ledger.Ledger.Write, with the projections of migration
// 0003_registry updated in the same transaction; reads go to the ledger's database.
//
//	func New(l *ledger.Ledger, opts ...Option) *Service         // WithClock, WithReadDB; Service.Now is the clock
//	func (s *Service) Today() term.Date                          // in Office time (UTC+8)
//	func (s *Service) Seed(ctx) error                            // regions 150500 + 9 units, policy parameters; idempotent
//	func (s *Service) Regions(ctx) ([]Region, error)
//	func (s *Service) SetParam(ctx, name string, value any, effectiveOn term.Date) error
//	func (s *Service) Params(ctx) (map[string]json.RawMessage, error)
//	func (s *Service) LoadConcordance(ctx, []ConcordanceRow) error
//	func (s *Service) Concordance(ctx) ([]ConcordanceRow, error)
//
//	func (s *Service) RegisterParty(ctx, PartyInput) (Party, []Warning, error)
//	func (s *Service) GetParty(ctx, id uuid.UUID) (Party, error)
//	func (s *Service) ListParties(ctx, PartyFilter) (items []Party, nextCursor string, err error)
//	func (s *Service) PartyEvent(ctx, id, PartyEventInput) (Party, error)      // rename | move
//	func (s *Service) PartyIDsByUSCC(ctx, []string) (map[string]uuid.UUID, error)
//
//	func (s *Service) RegisterAsset(ctx, AssetInput) (Asset, error)
//	func (s *Service) RegisterAssets(ctx, []AssetInput) ([]BatchResult, error) // one write; imports
//	func (s *Service) AssetEvent(ctx, id, EventInput) (Asset, error)           // grant, renew, lapse, …
//	func (s *Service) AssetEvents(ctx, []AssetEventItem) ([]BatchResult, error) // one write; loads
//	func (s *Service) RegisterPledges(ctx, []PledgeInput) ([]BatchResult, error) // one write; loads
//	func WithViewer(ctx, Viewer) context.Context                                // who registers: a bank pledges to itself only
//	func (s *Service) PledgeEvents(ctx, Viewer, []PledgeEventItem) ([]BatchResult, error)
//	func (s *Service) GetAsset(ctx, id, asOf term.Date) (Asset, error)         // zero asOf: today
//	func (s *Service) ListAssets(ctx, AssetFilter) ([]Asset, string, error)
//	func (s *Service) AssetHistory(ctx, id) ([]ledger.Entry, error)            // oldest first
//
//	func RecomputeAsset(ctx, tx *ledger.Tx, assetID uuid.UUID) error           // pledge area, after pledge changes
//	func (s *Service) Rebuild(ctx) error                                       // empty projections, replay the ledger
//
// Bulk import (CSV, XLSX; docs/IMPORT.md) is registry/importer: importer.New(s).Import(ctx, r,
// "csv"|"xlsx", progress) (Report, error), over RegisterAssets.
//
// Errors are *Error with a Class (Invalid, NotFound, Conflict) and a stable Code; ident's
// codes (patent_check, uscc_check, …) pass through unchanged. Validity and the high-value
// classification are functions of the as-of date, folded from the asset's events (timeline.go);
// registry.asset_spans stores that fold for the indicators (docs/DATA_MODEL.md).
//
// Files by role, one package. Commands (check, then append through Service.write):
// party.go, asset.go, asset_event.go + asset_event_check.go and pledge.go + pledge_check.go (a
// batch's read set and the pure checks against it) + pledge_rules.go (who may register), pledge_event.go,
// pledge_realise.go, pledge_valuation.go, claim.go, credit.go, demand.go, refdata.go; batch.go and gather.go carry one item or many through the
// same path. Queries: party_query.go, asset_query.go, pledge_query.go, claim_query.go,
// demand_query.go, refdata_query.go (and the policy a fold uses), public_query.go;
// prepared.go for the hottest reads. Projections: projection.go lists them (and nowhere else);
// each area's entries are projected in its *_projection.go (party, asset, asset_event, pledge,
// refdata, claim, service), over spans.go / span_write.go / timeline.go (the fold of an asset's events
// into validity and high-value spans, and the indicator summaries kept with them). Shared:
// service.go, errors.go, sqlutil.go (cursors, arrays, nullable arguments), money.go, text.go.
//
// Projections (ledger.Projection) apply live writes and ledger.Rebuild replays through the
// same Apply. An area whose entries change an asset's timeline (pledges) re-derives its spans
// in its Apply (recomputeAsset at the entry's seq), so that replay derives the same spans.
// Asset events, one or many, are checked against a view of the batch's read set
// (asset_event_check.go) and a run of them is projected with one statement per table, live and
// on replay (applyAssetEvents), each entry's span change known from its own seq.
// Pledge registrations, one or many, are checked against a view of the batch's read set
// (pledge_check.go, read in four statements) and projected in two (and the spans' write when
// they change); concurrent single registrations are written together (gather.go). Their
// statements run prepared, bound to the write's transaction (txprepared.go).
package registry
