package registry

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/uptrace/bun"

	"ipledger/registry/term"
)

// Regions returns the city and its units, by code.
func (s *Service) Regions(ctx context.Context) ([]Region, error) {
	var out []Region
	if err := s.db.NewRaw(`SELECT code, name_zh, name_en, coalesce(parent_code, '') AS parent_code, is_unit
		FROM registry.regions ORDER BY code`).Scan(ctx, &out); err != nil {
		return nil, fmt.Errorf("registry: regions: %w", err)
	}
	return out, nil
}

// Params returns the current value of every policy parameter.
func (s *Service) Params(ctx context.Context) (map[string]json.RawMessage, error) {
	return currentParams(ctx, s.db)
}

func currentParams(ctx context.Context, db bun.IDB) (map[string]json.RawMessage, error) {
	rows, err := db.QueryContext(ctx, `SELECT name, value::text FROM registry.params WHERE known_to IS NULL`)
	if err != nil {
		return nil, fmt.Errorf("registry: params: %w", err)
	}
	defer rows.Close()
	out := map[string]json.RawMessage{}
	for rows.Next() {
		var n, v string
		if err := rows.Scan(&n, &v); err != nil {
			return nil, err
		}
		out[n] = json.RawMessage(v)
	}
	return out, rows.Err()
}

// Concordance returns the current concordance.
func (s *Service) Concordance(ctx context.Context) ([]ConcordanceRow, error) {
	var out []ConcordanceRow
	if err := s.db.NewRaw(`SELECT ipc_prefix, industry FROM registry.ipc_concordance WHERE known_to IS NULL
		ORDER BY ipc_prefix, industry`).Scan(ctx, &out); err != nil {
		return nil, fmt.Errorf("registry: concordance: %w", err)
	}
	return out, nil
}

// policy is what a timeline needs besides the asset's own events.
type policy struct {
	terms        term.Params
	thresholdFen int64
	allocation   string // ParamPledgeAllocation
	concordance  []ConcordanceRow
}

// policyMemo keeps the policy for one ledger write (or one replay), so that a write's checks
// and its projection read params and concordance once. Applying a param or concordance entry
// forgets it; a memo never outlives its write, so a rolled-back write leaves nothing behind.
type policyMemo struct{ pol *policy }

type policyMemoKey struct{}

func withPolicyMemo(ctx context.Context) context.Context {
	if _, ok := ctx.Value(policyMemoKey{}).(*policyMemo); ok {
		return ctx // the write's own
	}
	return context.WithValue(ctx, policyMemoKey{}, &policyMemo{})
}

func forgetPolicy(ctx context.Context) {
	if m, _ := ctx.Value(policyMemoKey{}).(*policyMemo); m != nil {
		m.pol = nil
	}
}

// loadPolicy reads the current policy, or returns the one ctx's write read already.
func loadPolicy(ctx context.Context, db bun.IDB) (policy, error) {
	m, _ := ctx.Value(policyMemoKey{}).(*policyMemo)
	if m != nil && m.pol != nil {
		return *m.pol, nil
	}
	pol, err := readPolicy(ctx, db)
	if err == nil && m != nil {
		m.pol = &pol
	}
	return pol, err
}

// defaultPolicy is the policy with no parameter set and no concordance loaded.
func defaultPolicy() policy {
	return policy{terms: term.DefaultParams(), thresholdFen: paramSpecs[ParamPledgeThresholdFen].def.(int64),
		allocation: AllocationEqualShare}
}

func readPolicy(ctx context.Context, db bun.IDB) (policy, error) {
	cur, err := currentParams(ctx, db)
	if err != nil {
		return defaultPolicy(), err
	}
	pol := policyFrom(cur)
	rows, err := db.QueryContext(ctx,
		`SELECT ipc_prefix, industry FROM registry.ipc_concordance WHERE known_to IS NULL ORDER BY ipc_prefix, industry`)
	if err != nil {
		return pol, err
	}
	defer rows.Close()
	for rows.Next() {
		var r ConcordanceRow
		if err := rows.Scan(&r.IPCPrefix, &r.Industry); err != nil {
			return pol, err
		}
		pol.concordance = append(pol.concordance, r)
	}
	return pol, rows.Err()
}

// rememberPolicy makes pol, read with other things, the policy of ctx's write.
func rememberPolicy(ctx context.Context, pol policy) {
	if m, _ := ctx.Value(policyMemoKey{}).(*policyMemo); m != nil {
		m.pol = &pol
	}
}

// policyFrom is the policy of the current parameters cur (name → JSON value), without the
// concordance.
func policyFrom(cur map[string]json.RawMessage) policy {
	pol := defaultPolicy()
	num := func(name string, dst *int) {
		var n int
		if v, ok := cur[name]; ok && json.Unmarshal(v, &n) == nil {
			*dst = n
		}
	}
	num(ParamMaintainedYears, &pol.terms.MaintainedYears)
	num(ParamPlantVarietyYears, &pol.terms.PlantVarietyYears)
	num(ParamPlantVarietyTreeYears, &pol.terms.PlantVarietyTreeYears)
	num(ParamPlantVarietyYearsBefore, &pol.terms.PlantVarietyYearsBefore)
	num(ParamPlantVarietyTreeYearsBefore, &pol.terms.PlantVarietyTreeYearsBefore)
	if v, ok := cur[ParamPlantVarietyChangeOn]; ok {
		var d term.Date
		if json.Unmarshal(v, &d) == nil && !d.IsZero() {
			pol.terms.PlantVarietyChangeOn = d
		}
	}
	if v, ok := cur[ParamPledgeThresholdFen]; ok {
		var n int64
		if json.Unmarshal(v, &n) == nil {
			pol.thresholdFen = n
		}
	}
	if v, ok := cur[ParamPledgeAllocation]; ok {
		var a string
		if json.Unmarshal(v, &a) == nil && a != "" {
			pol.allocation = a
		}
	}
	return pol
}
