package term

import (
	"time"

	"ipledger/registry/ident"
)

// CodeParamsInvalid is returned by Params.Validate.
const CodeParamsInvalid = "params_invalid"

// Params are the policy parameters of terms. Admins may change them (a law
// amendment moves a boundary), so they are data with defaults, not
// constants. The JSON names are those of the parameter ledger entries.
type Params struct {
	InventionYears    int `json:"invention_years"`     // from filing
	UtilityModelYears int `json:"utility_model_years"` // from filing

	// Design patents: DesignYears from filing for filings on or after
	// DesignChangeOn (Patent Law 2020 amendment, in force 2021-06-01),
	// DesignYearsBefore for earlier filings.
	DesignYears       int  `json:"design_years"`
	DesignYearsBefore int  `json:"design_years_before"`
	DesignChangeOn    Date `json:"design_change_on"`

	TrademarkYears int `json:"trademark_years"` // from registration; GI marks alike

	// Plant varieties, from grant: the first pair for grants on or after
	// PlantVarietyChangeOn (2025 regulations), the second pair before.
	PlantVarietyYears           int  `json:"plant_variety_years"`
	PlantVarietyTreeYears       int  `json:"plant_variety_tree_years"` // trees and vines
	PlantVarietyYearsBefore     int  `json:"plant_variety_years_before"`
	PlantVarietyTreeYearsBefore int  `json:"plant_variety_tree_years_before"`
	PlantVarietyChangeOn        Date `json:"plant_variety_change_on"`

	// MaintainedYears is the "maintained more than N years" criterion of a
	// high-value invention patent.
	MaintainedYears int `json:"maintained_years"`
}

// DefaultParams returns the terms in force as docs/DOMAIN.md (Dates and terms, Policy parameters) states them.
func DefaultParams() Params {
	return Params{
		InventionYears:              20,
		UtilityModelYears:           10,
		DesignYears:                 15,
		DesignYearsBefore:           10,
		DesignChangeOn:              New(2021, 6, 1),
		TrademarkYears:              10,
		PlantVarietyYears:           20,
		PlantVarietyTreeYears:       25,
		PlantVarietyYearsBefore:     15,
		PlantVarietyTreeYearsBefore: 20,
		PlantVarietyChangeOn:        New(2025, 6, 1),
		MaintainedYears:             10,
	}
}

// Validate refuses parameters that would make terms meaningless, so a bad
// admin entry is caught when it is set rather than when an indicator runs.
func (p Params) Validate() error {
	for _, n := range []int{
		p.InventionYears, p.UtilityModelYears, p.DesignYears, p.DesignYearsBefore, p.TrademarkYears,
		p.PlantVarietyYears, p.PlantVarietyTreeYears, p.PlantVarietyYearsBefore, p.PlantVarietyTreeYearsBefore,
		p.MaintainedYears,
	} {
		if n < 1 || n > 100 {
			return &Error{Code: CodeParamsInvalid, Field: "params", Detail: "every term length must be 1 to 100 years"}
		}
	}
	if p.DesignChangeOn.IsZero() || p.PlantVarietyChangeOn.IsZero() {
		return &Error{Code: CodeParamsInvalid, Field: "params", Detail: "the change-over dates must be set"}
	}
	return nil
}

// yearsFrom is "n years from d": the term ends on the day before the n-th
// anniversary of d, and the result is its last valid day (filed 2003-10-15,
// 20 years → 2023-10-14). A term from 29 February ending in a year without one
// ends on 28 February: where the end month has no corresponding day, its last
// day ends the period (Civil Code art. 202), so the right loses no day.
func yearsFrom(d Date, n int) Date {
	a := d.AddYears(n)
	if d.Month() == time.February && d.Day() == 29 && a.Day() == 28 {
		return a
	}
	return a.AddDays(-1)
}

// Expiry returns the last valid day of a right of the given kind:
//
//	invention_patent   InventionYears from filedOn
//	utility_model      UtilityModelYears from filedOn
//	design_patent      DesignYears from filedOn (DesignYearsBefore if filed before DesignChangeOn)
//	trademark, GI marks  TrademarkYears from grantedOn (the registration date)
//	plant_variety      PlantVarietyYears from grantedOn (…Before if granted before PlantVarietyChangeOn)
//
// ok is false when the kind has no term (gi_product, copyrights — not
// tracked), the kind is unknown, or the date the term runs from is zero.
// For a tree or vine variety use PlantVarietyExpiry: Expiry gives the
// general plant-variety term. For a renewed mark, apply RenewedExpiry to the
// result once per renewal.
func Expiry(kind ident.Kind, filedOn, grantedOn Date, p Params) (expiresOn Date, ok bool) {
	switch kind {
	case ident.InventionPatent:
		return from(filedOn, p.InventionYears)
	case ident.UtilityModel:
		return from(filedOn, p.UtilityModelYears)
	case ident.DesignPatent:
		if filedOn.Before(p.DesignChangeOn) {
			return from(filedOn, p.DesignYearsBefore)
		}
		return from(filedOn, p.DesignYears)
	case ident.Trademark, ident.GICertificationMark, ident.GICollectiveMark:
		return from(grantedOn, p.TrademarkYears)
	case ident.PlantVariety:
		return PlantVarietyExpiry(grantedOn, false, p)
	}
	return Date{}, false
}

func from(d Date, years int) (Date, bool) {
	if d.IsZero() {
		return Date{}, false
	}
	return yearsFrom(d, years), true
}

// PlantVarietyExpiry returns the last valid day of a plant-variety right
// granted on grantedOn; trees and vines have the longer term. The grant date
// picks the regime, since the right's term is fixed when it is granted.
func PlantVarietyExpiry(grantedOn Date, treeOrVine bool, p Params) (Date, bool) {
	n := p.PlantVarietyYears
	switch {
	case grantedOn.Before(p.PlantVarietyChangeOn) && treeOrVine:
		n = p.PlantVarietyTreeYearsBefore
	case grantedOn.Before(p.PlantVarietyChangeOn):
		n = p.PlantVarietyYearsBefore
	case treeOrVine:
		n = p.PlantVarietyTreeYears
	}
	return from(grantedOn, n)
}

// TrademarkRenewalYears is fixed by the Trademark Law (art. 40), unlike the
// policy terms in Params.
const TrademarkRenewalYears = 10

// RenewedExpiry returns a mark's last valid day after one renewal. The new
// period runs from the day after the previous expiry (Trademark Law art. 40),
// so it ends on the day before the 10th anniversary of prev+1: a mark valid
// through 2024-03-06 is renewed through 2034-03-06.
func RenewedExpiry(prev Date) Date {
	return yearsFrom(prev.AddDays(1), TrademarkRenewalYears)
}

// TrademarkGraceMonths is the renewal grace period after expiry (Trademark
// Law art. 40).
const TrademarkGraceMonths = 6

// TrademarkGraceEnd returns the last day on which a renewal of a mark that
// expired on expiresOn may still be recorded: the same day 6 months later, or
// that month's last day if it is shorter (2024-08-31 → 2025-02-28). A
// renewal recorded by then continues the mark without a gap.
func TrademarkGraceEnd(expiresOn Date) Date {
	return expiresOn.AddMonths(TrademarkGraceMonths)
}

// MaintainedSince returns the first day on which a patent filed on filedOn
// has been "maintained more than years years": the day after the years-th
// anniversary of filing (filed 2010-05-01 → from 2020-05-02).
func MaintainedSince(filedOn Date, years int) Date {
	return filedOn.AddYears(years).AddDays(1)
}
