// Package registrytest is what tests and benchmarks outside package registry share to set up
// a register: identifiers that pass registry/ident's checks (ids.go) and the generated data
// sets of the load tests and benchmarks — a synthetic city through the registry's own API
// (city.go) and an import file of assets (assets_csv.go) — kept out of the production
// packages. The tests of package registry itself keep their own copies: they cannot import a
// package of fixtures that imports registry.
package registrytest

import (
	"fmt"

	"ipledger/registry/ident"
)

// USCC completes the first 17 characters of a unified social credit code with its check
// character. It panics when they have none (a character outside the code's alphabet), as a
// test's constant is wrong.
func USCC(first17 string) string {
	c, ok := ident.USCCCheckChar(first17)
	if !ok {
		panic("registrytest.USCC: no check character for " + first17)
	}
	return first17 + string(c)
}

// PatentNo is a valid patent number, ZL and 12 digits (the filing year, the type digit typ —
// '1' invention, '2' utility model, '3' design — and a 7-digit serial) and the check character.
func PatentNo(year int, typ byte, serial int) string {
	body := fmt.Sprintf("%04d%c%07d", year, typ, serial)
	c, ok := ident.PatentCheckChar(body)
	if !ok {
		panic("registrytest.PatentNo: no check character for " + body)
	}
	return "ZL" + body + string(c)
}
