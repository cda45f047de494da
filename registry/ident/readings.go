package ident

// Reading is one way to understand a number someone typed: a kind whose rules accept it and
// the canonical number it then stands for.
type Reading struct {
	Kind   Kind
	Number string
}

// Readings canonicalises raw under every kind's rules and returns the readings that are
// accepted, in Kinds order. A search uses it to find a right however it is written on paper
// ("ZL201910345678.6", "CN 2019 1034 5678 6", full-width digits …): each reading is an exact
// (kind, number) match. Input no kind accepts — a mistyped check character, free text that is
// too long — simply has no readings; it is not an error.
func Readings(raw string) []Reading {
	var out []Reading
	for _, k := range kinds {
		if n, err := Canonical(k, raw); err == nil {
			out = append(out, Reading{Kind: k, Number: n})
		}
	}
	return out
}
