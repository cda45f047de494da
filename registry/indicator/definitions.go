package indicator

// Units of indicator values.
const (
	UnitCount   = "count"   // an integer
	UnitPer10k  = "per_10k" // per 10,000 residents, 4 decimals
	UnitCNY     = "CNY"     // yuan, 2 decimals (exact to the fen)
	UnitPercent = "percent" // percent, 2 decimals
)

// Indicator codes (docs/DOMAIN.md, Indicators and targets). software_copyrights_per_10k is added because the 2023 action
// plan's item (278) sets its target per 10,000 residents.
const (
	ValidInventionPatents           = "valid_invention_patents"
	ValidInventionPatentsPer10k     = "valid_invention_patents_per_10k"
	HighValueInventionPatents       = "high_value_invention_patents"
	HighValueInventionPatentsPer10k = "high_value_invention_patents_per_10k"
	ValidTrademarks                 = "valid_trademarks"
	WellKnownMarks                  = "well_known_marks"
	GIMarks                         = "gi_marks"
	GIProducts                      = "gi_products"
	PledgeAmountPeriod              = "pledge_financing_amount_period"
	PledgeAmountYear                = "pledge_financing_amount_year"
	PledgeGrowthYoY                 = "pledge_financing_growth_yoy"
	PledgeCountYear                 = "pledge_count_year"
	PledgedEnterprisesYear          = "pledged_enterprises_year"
	PledgeOtherAmountPeriod         = "pledge_financing_other_amount_period"
	PledgeOtherAmountYear           = "pledge_financing_other_amount_year"
	ForeignFamilyPatents            = "foreign_family_patents"
	ForeignApplicationsPeriod       = "pct_foreign_applications_period"
	GIMarksNewPeriod                = "gi_marks_new_period"
	GIMarksNewYear                  = "gi_marks_new_year"
	SoftwareCopyrights              = "software_copyrights"
	SoftwareCopyrightsPer10k        = "software_copyrights_per_10k"
	PlantVarieties                  = "plant_varieties"
)

// Definition says what an indicator is and how it is computed, in words a planner can follow
// to reproduce any figure. The same text is in docs/INDICATORS.md (a test compares them).
type Definition struct {
	Code   string `json:"code"`
	NameZH string `json:"name_zh"`
	NameEN string `json:"name_en"`
	Unit   string `json:"unit"`
	// Scope says how the indicator is counted over time: "stock" (on the as-of date),
	// "year" (1 January of the as-of year to the as-of date), "period" (2021-01-01 to the
	// as-of date, capped at 2025-12-31).
	Scope      string `json:"scope" enum:"stock,year,period"`
	Definition string `json:"definition"`
}

// Scopes.
const (
	ScopeStock  = "stock"
	ScopeYear   = "year"
	ScopePeriod = "period"
)

// PlanStart and PlanEnd bound the 14th Five-Year Plan; PlanBaseOn is the date of its
// baselines (end of the 13th plan).
const (
	PlanStart  = "2021-01-01"
	PlanEnd    = "2025-12-31"
	PlanBaseOn = "2020-12-31"
)

// General rules, shown with the definitions.
var (
	RulesCounting = "Counts are of rights valid (or registered) on the as-of date and attributed to the region on that date: " +
		"an asset counts in its unit, which is its first owner's unless the registrar set it; the city 150500 is the sum of its 9 units " +
		"(8 county-level divisions and the development zone 150571), so the city's counts equal the sum of its units'. " +
		"A right counts from its grant or registration date up to and including its last valid day; a lapse, an invalidation " +
		"or an expiry without renewal ends it on that day. Every date is the event's effective date, so history recorded late " +
		"still lands on the day it happened."
	RulesKnownAt = "known_at (RFC 3339) reproduces a figure as it was published: only what had been recorded by then counts " +
		"(ledger entries with seq up to the last one recorded at or before known_at), including population, targets and baselines. " +
		"Without it, everything recorded so far counts; known_seq in the answer names the last entry taken into account."
	RulesPopulation = "A per-10k figure is count ÷ (residents ÷ 10,000), with the year-end resident population of the as-of year, " +
		"or of the latest earlier year recorded for the region; the answer names the year used. The units' 2020 census figures " +
		"serve as their 2020 population until year-end figures are added; the city uses its own year-end figures. " +
		"Without any population for the region, per-10k values are null with a note."
	RulesRounding = "All arithmetic is exact (integers, integer fen, rational numbers); a ratio is rounded once, at the end, " +
		"half away from zero (四舍五入): per-10k figures and progress to 4 decimals, percentages and money to 2 decimals. " +
		"A target derived from a baseline (+20% over it, +10 over it) is rounded up to the indicator's scale, so that \"met\" " +
		"means exactly reaching the relative target."
	RulesTargets = "Targets and baselines are data recorded by admins. The target shown is the one due on or after the as-of date " +
		"with the earliest due date, or, when all are past, the last one; a yearly indicator shows only a target due in its year, so a " +
		"figure of a year without a target has none. A relative target has a value only once the baseline of its base date is recorded. " +
		"A target is worded at_least (\"达到 X\", \"X 左右\": met at X) or above (\"超过 X\": met only above X). progress = value ÷ target " +
		"(4 decimals, from the values as shown). status: met when the value reaches the target as worded; after the due date met or " +
		"missed (未达标), judged on the value on the due date (the answer's note gives it when the as-of date is later), never behind; " +
		"before it on_track when a straight line from the origin through today's value reaches the target by the due date, else behind. " +
		"The origin is, for flows, zero on the day before the counting span starts; for stocks, the target's baseline (or the plan's " +
		"end-2020 baseline, or the indicator's own value on 2020-12-31 when none is recorded). Growth has no projection: met or behind " +
		"before the due date."
	RulesSpans = "Indicators and series work for any year from 2000 to today. A yearly figure counts from 1 January of the as-of year to " +
		"the as-of date; a period figure from 2021-01-01 to the as-of date, capped at the plan's end 2025-12-31. Each such value carries " +
		"its span: from, to and a label naming the years it really covers (\"2021–2025\" for the plan period, \"2023\" for a year), " +
		"so a period figure asked for in 2027 says that it stops at 2025."
	RulesReconciliation = "The office enters official figures (an indicator's value for a region at the end of a year, with its source) " +
		"as ledger entries (official_value.recorded; the same code, region and year again corrects it). GET /v1/indicators/reconciliation " +
		"lists, for each figure with an official value for the year, the value computed on 31 December of that year (as known at known_at), " +
		"the official value, the difference (computed − official, in the indicator's unit) and the ratio (computed ÷ official, 4 decimals; " +
		"null over a zero official value); the XLSX export carries the same table for every year with official values up to the as-of year. " +
		"When the value computed on 2020-12-31 (the plan's baseline year) is under 90% of the official one, every status of that figure " +
		"carries a note saying the load looks incomplete."
)

var definitions = []Definition{
	{ValidInventionPatents, "有效发明专利拥有量", "Valid invention patents", UnitCount, ScopeStock,
		"Invention patents granted on or before the as-of date and still in force on it (not lapsed for an unpaid annuity unless restored, not invalidated, within 20 years of filing), counted in the unit the patent is attributed to on that date."},
	{ValidInventionPatentsPer10k, "每万人口有效发明专利拥有量", "Valid invention patents per 10,000 residents", UnitPer10k, ScopeStock,
		"valid_invention_patents ÷ (residents ÷ 10,000), rounded half away from zero to 4 decimals."},
	{HighValueInventionPatents, "高价值发明专利拥有量", "High-value invention patents", UnitCount, ScopeStock,
		"Valid invention patents that on the as-of date meet at least one of CNIPA's criteria: in a strategic emerging industry (IPC concordance or the registrar's designation); with a granted overseas family patent (as for foreign_family_patents); maintained more than 10 years from filing; pledge financing reaching the threshold parameter (default 10,000,000 CNY), each registration's counted amount divided equally among the rights in the pledge when it was counted (policy parameter pledge_allocation: equal_share, the default, or full) and summed over the patent's registrations; a China Patent Award or National Science and Technology Award."},
	{HighValueInventionPatentsPer10k, "每万人口高价值发明专利拥有量", "High-value invention patents per 10,000 residents", UnitPer10k, ScopeStock,
		"high_value_invention_patents ÷ (residents ÷ 10,000), rounded half away from zero to 4 decimals."},
	{ValidTrademarks, "有效注册商标总量", "Valid registered trademarks", UnitCount, ScopeStock,
		"Every registered mark valid on the as-of date — ordinary marks, well-known marks and GI certification and collective marks (as CNIPA counts 有效注册商标): registered on or before it, within its 10-year term or a renewal of it, not invalidated."},
	{WellKnownMarks, "驰名商标", "Well-known marks", UnitCount, ScopeStock,
		"Valid registered marks (of any mark kind) recognised as well-known on or before the as-of date."},
	{GIMarks, "地理标志证明商标和集体商标", "GI certification and collective marks", UnitCount, ScopeStock,
		"Valid GI certification marks plus valid GI collective marks on the as-of date. The plan's end-2020 figure (16 certification marks) is this indicator's baseline; the plan's targets count new registrations (gi_marks_new_period, gi_marks_new_year)."},
	{GIMarksNewPeriod, "新增地理标志证明商标和集体商标（十四五累计）", "New GI certification and collective marks, 2021 to date", UnitCount, ScopePeriod,
		"GI certification and collective marks whose registration date falls from 2021-01-01 to the as-of date (capped at 2025-12-31), from the ledger, each once, in the unit the mark was attributed to on its registration date; a mark registered in the span counts even if it was invalidated since."},
	{GIMarksNewYear, "新增地理标志证明商标和集体商标（当年）", "New GI certification and collective marks, year to date", UnitCount, ScopeYear,
		"GI certification and collective marks registered from 1 January of the as-of year to the as-of date (counted as for gi_marks_new_period)."},
	{GIProducts, "地理标志保护产品", "GI-protected products", UnitCount, ScopeStock,
		"Geographical-indication protected products announced on or before the as-of date and not revoked by it."},
	{PledgeAmountPeriod, "知识产权质押融资金额（十四五累计）", "IP pledge financing, 2021 to date", UnitCNY, ScopePeriod,
		"Registered pledge financing of pledges holding at least one patent (invention, utility model or design) or trademark (专利商标质押融资: the rights in the pledge when the amount is counted), with effective dates from 2021-01-01 to the as-of date, or to 2025-12-31 when the as-of date is later: each registration once at its registered amount on its registration date, plus, for each amendment, on its date, only the part of the new amount above the highest amount already counted for that registration (10M → 5M → 10M counts 10M; 10M → 5M → 12M counts 12M); releases do not subtract. A registration counts in the unit of its first pledgor, once, however many rights it covers. breakdown: the same amounts by kind of right, each counted amount divided equally among the rights in the pledge (in fen: amount ÷ n rounded down for each right, the remaining fen one each to the first rights in the pledge's order), so the parts sum to the value."},
	{PledgeAmountYear, "知识产权质押融资金额（当年）", "IP pledge financing, year to date", UnitCNY, ScopeYear,
		"Registered pledge financing of pledges holding at least one patent or trademark (counted as for pledge_financing_amount_period, with its breakdown) from 1 January of the as-of year to the as-of date."},
	{PledgeGrowthYoY, "知识产权质押融资金额同比增长", "IP pledge financing, year-on-year growth", UnitPercent, ScopeYear,
		"(financing of pledges holding a patent or trademark from 1 January to the as-of date ÷ the same financing over the same calendar span a year earlier − 1) × 100, rounded half away from zero to 2 decimals; a year earlier, 29 February becomes 28 February. Null with a note when the earlier amount is zero."},
	{PledgeCountYear, "知识产权质押登记笔数（当年）", "Pledge registrations, year to date", UnitCount, ScopeYear,
		"Pledge registrations of any kind of right with registration dates from 1 January of the as-of year to the as-of date (amendments are not registrations)."},
	{PledgedEnterprisesYear, "质押融资企业数（当年）", "Pledging enterprises, year to date", UnitCount, ScopeYear,
		"Distinct parties of kind enterprise among the pledgors (every pledgor, not only the first) of the registrations counted in pledge_count_year; the city counts each enterprise once, however many of its units it registered in."},
	{PledgeOtherAmountPeriod, "著作权和植物新品种权质押融资金额（十四五累计）", "Pledge financing of copyrights and plant varieties only, 2021 to date", UnitCNY, ScopePeriod,
		"Registered pledge financing (counted as for pledge_financing_amount_period, with its breakdown) of pledges holding no patent and no trademark: copyrights and plant variety rights only. A separate line: the plan's financing targets do not count it."},
	{PledgeOtherAmountYear, "著作权和植物新品种权质押融资金额（当年）", "Pledge financing of copyrights and plant varieties only, year to date", UnitCNY, ScopeYear,
		"pledge_financing_other_amount_period's financing from 1 January of the as-of year to the as-of date."},
	{ForeignFamilyPatents, "有海外同族专利的有效发明专利", "Valid invention patents with a granted overseas family patent", UnitCount, ScopeStock,
		"Valid invention patents with a granted foreign or regional family patent (专利权; family_status granted), counted from the family patent's grant date (family_granted_on); a PCT (WO) application or a pending foreign application does not count. A family member recorded without family_status (before it existed) counts as it did, from the date it was recorded as of, unless it is a PCT (WO) filing, which is never a granted patent."},
	{ForeignApplicationsPeriod, "PCT和外国专利申请（十四五累计）", "PCT and foreign patent applications, 2021 to date", UnitCount, ScopePeriod,
		"Overseas family members recorded on the region's patents — PCT (WO) applications and foreign or regional applications, pending or granted — whose filing date (family_date, or the event's date when none is given) falls from 2021-01-01 to the as-of date (capped at 2025-12-31), each office and number once, in the unit the patent was attributed to on that filing date (the plan's \"PCT和外国专利申请取得突破\")."},
	{SoftwareCopyrights, "计算机软件著作权登记量", "Registered software copyrights", UnitCount, ScopeStock,
		"Software copyrights registered on or before the as-of date and not revoked by it."},
	{SoftwareCopyrightsPer10k, "每万人口计算机软件著作权登记量", "Registered software copyrights per 10,000 residents", UnitPer10k, ScopeStock,
		"software_copyrights ÷ (residents ÷ 10,000), rounded half away from zero to 4 decimals (item (278) of the 2023 action plan reads \"计算机著作权数为1个\" next to two per-10k figures: its target is 1 per 10,000 residents)."},
	{PlantVarieties, "植物新品种权", "Plant variety rights", UnitCount, ScopeStock,
		"Plant variety rights valid on the as-of date: from the grant of the right (a pending application does not count: it may still be rejected), until the term from grant ends or the right is invalidated."},
}

// Definitions returns every indicator's definition, in the plan table's order.
func Definitions() []Definition { return append([]Definition(nil), definitions...) }

// Rules returns the general rules, by name, in a fixed order.
func Rules() [][2]string {
	return [][2]string{
		{"counting", RulesCounting}, {"known_at", RulesKnownAt}, {"population", RulesPopulation},
		{"rounding", RulesRounding}, {"targets", RulesTargets}, {"spans", RulesSpans},
		{"reconciliation", RulesReconciliation},
	}
}

func definitionOf(code string) (Definition, bool) {
	for _, d := range definitions {
		if d.Code == code {
			return d, true
		}
	}
	return Definition{}, false
}

// scale is the number of decimals an indicator's values carry.
func scale(unit string) int {
	switch unit {
	case UnitPer10k:
		return 4
	case UnitCNY, UnitPercent:
		return 2
	}
	return 0
}
