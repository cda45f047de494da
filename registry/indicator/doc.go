// Package indicator computes the plan's indicators (docs/DOMAIN.md, Indicators and targets)
// for a region on an as-of date, as known at a recording time, from the registry's bitemporal
// projections, and keeps the plan's reference data — resident population, targets and
// baselines — as ledger entries.
// Every figure is exact: counts are integers, money is integer fen, ratios are rounded once,
// half away from zero, at the scale docs/INDICATORS.md gives (definitions.go holds that text).
//
//	func New(reg *registry.Service, opts ...Option) *Service       // WithReadDB
//	func (s *Service) Seed(ctx) error                                // docs/DOMAIN.md's population, targets, baselines; idempotent
//	func (s *Service) RecordPopulation(ctx, PopulationInput) (Population, error)
//	func (s *Service) SetTarget(ctx, TargetInput) (Target, error)
//	func (s *Service) SetBaseline(ctx, BaselineInput) (Baseline, error)
//	func (s *Service) Compute(ctx, region string, asOf term.Date, knownAt time.Time) (Report, error)
//	func (s *Service) Series(ctx, code, region string, from, to int, knownAt time.Time) (SeriesReport, error)
//	func (s *Service) Rebuild(ctx) error                             // this area's projections from the ledger
//	func Definitions() []Definition
package indicator
