package registry

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/uptrace/bun"

	"ipledger/ledger"
	"ipledger/registry/ident"
	"ipledger/registry/term"
)

// Entry kinds of reference data.
const (
	kindRegionDefined     = "region.defined"
	kindParamSet          = "param.set"
	kindConcordanceLoaded = "concordance.loaded"
)

// CityCode is the city whose units the registry counts in.
const CityCode = "150500"

// Region is a GB/T 2260 region: the city or one of its county-level units.
type Region struct {
	Code       string `json:"code"`
	NameZH     string `json:"name_zh"`
	NameEN     string `json:"name_en"`
	ParentCode string `json:"parent_code,omitempty"`
	IsUnit     bool   `json:"is_unit"`
}

// seedRegions is the city and its 9 units as docs/DOMAIN.md (Regions and population) lists them; Seed records them once
// as region.defined entries, after which they are data like any other.
var seedRegions = []Region{
	{CityCode, "通辽市", "Tongliao", "", false},
	{"150502", "科尔沁区", "Horqin District", CityCode, true},
	{"150521", "科尔沁左翼中旗", "Horqin Left Middle Banner", CityCode, true},
	{"150522", "科尔沁左翼后旗", "Horqin Left Rear Banner", CityCode, true},
	{"150523", "开鲁县", "Kailu County", CityCode, true},
	{"150524", "库伦旗", "Hure Banner", CityCode, true},
	{"150525", "奈曼旗", "Naiman Banner", CityCode, true},
	{"150526", "扎鲁特旗", "Jarud Banner", CityCode, true},
	{"150571", "通辽经济技术开发区", "Tongliao Economic and Technological Development Zone", CityCode, true},
	{"150581", "霍林郭勒市", "Holingol City", CityCode, true},
}

// Policy parameter names (registry.params).
const (
	ParamPledgeThresholdFen          = "high_value_pledge_threshold_fen"
	ParamMaintainedYears             = "high_value_maintained_years"
	ParamPlantVarietyYears           = "plant_variety_years"
	ParamPlantVarietyTreeYears       = "plant_variety_tree_years"
	ParamPlantVarietyYearsBefore     = "plant_variety_years_before"
	ParamPlantVarietyTreeYearsBefore = "plant_variety_tree_years_before"
	ParamPlantVarietyChangeOn        = "plant_variety_change_on"
	ParamPledgeAllocation            = "pledge_allocation"
)

// Values of ParamPledgeAllocation: how a registration's counted amount is carried by the rights
// in its pledge towards the high-value criterion (4).
const (
	AllocationEqualShare = "equal_share" // divided equally among the rights (the default)
	AllocationFull       = "full"        // in full by every right
)

// paramSpec says what a parameter holds, its default (docs/DOMAIN.md, Policy parameters), and which assets' timelines
// depend on it (recomputed when it is set).
type paramSpec struct {
	def     any // int64, a "YYYY-MM-DD" string, or one of enum
	isDate  bool
	enum    []string // a string parameter's values
	min     int64
	max     int64
	affects string // asset kind whose spans depend on it
}

var paramSpecs = map[string]paramSpec{
	ParamPledgeThresholdFen:          {def: int64(1_000_000_000), min: 1, max: 1 << 62, affects: string(ident.InventionPatent)},
	ParamMaintainedYears:             {def: int64(10), min: 1, max: 100, affects: string(ident.InventionPatent)},
	ParamPlantVarietyYears:           {def: int64(20), min: 1, max: 100, affects: string(ident.PlantVariety)},
	ParamPlantVarietyTreeYears:       {def: int64(25), min: 1, max: 100, affects: string(ident.PlantVariety)},
	ParamPlantVarietyYearsBefore:     {def: int64(15), min: 1, max: 100, affects: string(ident.PlantVariety)},
	ParamPlantVarietyTreeYearsBefore: {def: int64(20), min: 1, max: 100, affects: string(ident.PlantVariety)},
	ParamPlantVarietyChangeOn:        {def: "2025-06-01", isDate: true, affects: string(ident.PlantVariety)},
	ParamRiskCompensationShareBP:     {def: int64(10000), min: 1, max: 10000}, // claim.go: read when a claim is approved
	ParamPledgeAllocation: {def: AllocationEqualShare, enum: []string{AllocationEqualShare, AllocationFull},
		affects: string(ident.InventionPatent)},
}

// ParamNames lists the policy parameters, sorted.
func ParamNames() []string {
	out := make([]string, 0, len(paramSpecs))
	for n := range paramSpecs {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

type regionPayload = Region

type paramPayload struct {
	Name  string          `json:"name"`
	Value json.RawMessage `json:"value"`
}

// ConcordanceRow maps an IPC prefix (e.g. "H01M", "G06N3/") to a strategic emerging industry.
type ConcordanceRow struct {
	IPCPrefix string `json:"ipc_prefix"`
	Industry  string `json:"industry"`
}

type concordancePayload struct {
	Rows []ConcordanceRow `json:"rows"`
}

// Seed records the reference data the registry starts from — the city and its 9 units, and
// every policy parameter at its default (docs/DOMAIN.md, Policy parameters) — as ledger entries. What is already
// recorded is left alone, so Seed may run at every start.
func (s *Service) Seed(ctx context.Context) error {
	_, err := s.write(ctx, func(ctx context.Context, tx *ledger.Tx) error {
		db := tx.DB()
		var have []string
		if err := db.NewRaw(`SELECT code FROM registry.regions`).Scan(ctx, &have); err != nil {
			return fmt.Errorf("registry: seed: regions: %w", err)
		}
		today := s.Today()
		for _, r := range seedRegions {
			if slices.Contains(have, r.Code) {
				continue
			}
			if _, err := appendApply(ctx, tx, ledger.Draft{
				Kind: kindRegionDefined, Subject: "region/" + r.Code, EffectiveOn: today.Time(), Payload: r,
			}); err != nil {
				return err
			}
		}
		cur, err := currentParams(ctx, db)
		if err != nil {
			return err
		}
		for _, name := range ParamNames() {
			if _, ok := cur[name]; ok {
				continue
			}
			raw, _ := json.Marshal(paramSpecs[name].def)
			if _, err := appendApply(ctx, tx, ledger.Draft{
				Kind: kindParamSet, Subject: "param/" + name, EffectiveOn: today.Time(),
				Payload: paramPayload{Name: name, Value: raw},
			}); err != nil {
				return err
			}
		}
		return nil
	})
	return err
}

// checkUnit refuses a region code that is not one of the units (the city itself is not one).
func checkUnit(ctx context.Context, db bun.IDB, code, field string) error {
	var n int
	if err := db.QueryRowContext(ctx,
		`SELECT count(*) FROM registry.regions WHERE code = ? AND is_unit`, code).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return Errorf(Invalid, "region_unknown", field,
			"%q is not one of the city's county-level units (the city code %s itself is not a unit)", code, CityCode)
	}
	return nil
}

// SetParam records a new value of a policy parameter (admins), effective on effectiveOn.
// The value is an integer, or a "YYYY-MM-DD" string for dates. Timelines that depend on it
// are re-derived in the same write.
func (s *Service) SetParam(ctx context.Context, name string, value any, effectiveOn term.Date) error {
	spec, ok := paramSpecs[name]
	if !ok {
		return Errorf(Invalid, "param_unknown", "name", "no policy parameter %q (known: %s)", name, strings.Join(ParamNames(), ", "))
	}
	raw, err := json.Marshal(value)
	if err != nil {
		return Errorf(Invalid, "param_value", "value", "value is not JSON")
	}
	if err := spec.check(raw); err != nil {
		return err
	}
	if effectiveOn.IsZero() {
		effectiveOn = s.Today()
	}
	if effectiveOn.After(s.Today()) {
		return Errorf(Invalid, "date_in_future", "effective_on", "%s is after today", effectiveOn)
	}
	_, err = s.write(ctx, func(ctx context.Context, tx *ledger.Tx) error {
		_, err := appendApply(ctx, tx, ledger.Draft{
			Kind: kindParamSet, Subject: "param/" + name, EffectiveOn: effectiveOn.Time(),
			Payload: paramPayload{Name: name, Value: raw},
		})
		return err
	})
	return err
}

func (p paramSpec) check(raw json.RawMessage) error {
	if p.enum != nil {
		var v string
		if err := json.Unmarshal(raw, &v); err != nil || !slices.Contains(p.enum, v) {
			return Errorf(Invalid, "param_value", "value", "want one of %s", strings.Join(p.enum, ", "))
		}
		return nil
	}
	if p.isDate {
		var d term.Date
		if err := json.Unmarshal(raw, &d); err != nil || d.IsZero() {
			return Errorf(Invalid, "param_value", "value", "want a date as \"YYYY-MM-DD\"")
		}
		return nil
	}
	var n int64
	if err := json.Unmarshal(raw, &n); err != nil {
		return Errorf(Invalid, "param_value", "value", "want an integer")
	}
	if n < p.min || n > p.max {
		return Errorf(Invalid, "param_value", "value", "want an integer from %d to %d", p.min, p.max)
	}
	return nil
}

// LoadConcordance replaces the IPC → strategic-emerging-industry concordance (admins). Invention
// patents' high-value classification is re-derived in the same write.
func (s *Service) LoadConcordance(ctx context.Context, rows []ConcordanceRow) error {
	clean := make([]ConcordanceRow, 0, len(rows))
	for i, r := range rows {
		p := normIPC(r.IPCPrefix)
		if !ipcPrefixRE.MatchString(p) {
			return Errorf(Invalid, "ipc_format", fmt.Sprintf("rows[%d].ipc_prefix", i),
				"%q is not an IPC class prefix (e.g. H01M, G06N3/)", r.IPCPrefix)
		}
		ind := strings.TrimSpace(r.Industry)
		if ind == "" {
			return Errorf(Invalid, "industry_required", fmt.Sprintf("rows[%d].industry", i), "industry is required")
		}
		clean = append(clean, ConcordanceRow{IPCPrefix: p, Industry: ind})
	}
	sort.Slice(clean, func(i, j int) bool {
		if clean[i].IPCPrefix != clean[j].IPCPrefix {
			return clean[i].IPCPrefix < clean[j].IPCPrefix
		}
		return clean[i].Industry < clean[j].Industry
	})
	_, err := s.write(ctx, func(ctx context.Context, tx *ledger.Tx) error {
		_, err := appendApply(ctx, tx, ledger.Draft{
			Kind: kindConcordanceLoaded, Subject: "concordance/ipc", EffectiveOn: s.Today().Time(),
			Payload: concordancePayload{Rows: clean},
		})
		return err
	})
	return err
}

// IPC symbols: section A–H, class 2 digits, subclass letter, then optionally main group and
// subgroup ("H01M10/0525"). Stored without spaces, uppercase.
var (
	ipcRE       = regexp.MustCompile(`^[A-H][0-9]{2}[A-Z]([0-9]{1,4}/[0-9]{2,6})?$`)
	ipcPrefixRE = regexp.MustCompile(`^[A-H]([0-9]{2}([A-Z]([0-9]{1,4}(/[0-9]{0,6})?)?)?)?$`)
)

func normIPC(s string) string {
	return strings.ToUpper(strings.Join(strings.Fields(s), ""))
}
