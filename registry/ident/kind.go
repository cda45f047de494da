package ident

import "strconv"

// Kind is an asset kind. Its string value is what the API and the ledger
// store, so the values below are a contract.
type Kind string

const (
	InventionPatent     Kind = "invention_patent"
	UtilityModel        Kind = "utility_model"
	DesignPatent        Kind = "design_patent"
	Trademark           Kind = "trademark" // well-known marks included: recognition is a fact about a mark, not a kind
	GICertificationMark Kind = "gi_certification_mark"
	GICollectiveMark    Kind = "gi_collective_mark"
	GIProduct           Kind = "gi_product" // 地理标志保护产品
	SoftwareCopyright   Kind = "software_copyright"
	WorkCopyright       Kind = "work_copyright"
	PlantVariety        Kind = "plant_variety"
)

var kinds = []Kind{
	InventionPatent, UtilityModel, DesignPatent,
	Trademark, GICertificationMark, GICollectiveMark, GIProduct,
	SoftwareCopyright, WorkCopyright, PlantVariety,
}

// Kinds returns every kind in a fixed order (patents, marks, GI product,
// copyrights, plant variety); the slice is a fresh copy.
func Kinds() []Kind {
	return append([]Kind(nil), kinds...)
}

// ParseKind accepts exactly one of the kind names. It does not fold case or
// trim: kinds are enum values in JSON, and leniency here would let two
// spellings into the ledger.
func ParseKind(s string) (Kind, error) {
	k := Kind(s)
	if k.Valid() {
		return k, nil
	}
	return "", errorf(CodeKindUnknown, FieldKind, "unknown asset kind "+strconv.Quote(s))
}

// Valid reports whether k is one of the ten kinds.
func (k Kind) Valid() bool {
	for _, x := range kinds {
		if k == x {
			return true
		}
	}
	return false
}

func (k Kind) String() string { return string(k) }

// IsPatent reports whether k is one of the three patent kinds, which share the
// CNIPA application-number scheme and are counted by filing date.
func (k Kind) IsPatent() bool {
	return k == InventionPatent || k == UtilityModel || k == DesignPatent
}

// IsTrademarkLike reports whether k is registered as a trademark: ordinary
// marks and both GI marks share the registration number, term and renewal,
// and CNIPA counts all of them as valid registered marks.
func (k Kind) IsTrademarkLike() bool {
	return k == Trademark || k == GICertificationMark || k == GICollectiveMark
}

// Pledgeable reports whether a right of kind k may be pledged. GI products and
// GI marks belong to a region's producers collectively, so they are not
// pledged (docs/DOMAIN.md, Pledge rules).
func (k Kind) Pledgeable() bool {
	return k.Valid() && k != GIProduct && k != GICertificationMark && k != GICollectiveMark
}
