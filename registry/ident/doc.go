// Package ident parses, validates and canonicalises the identifiers the
// registry keeps: asset kinds, the numbers of the ten kinds of IP asset, and
// the unified social credit code (USCC) of a party.
//
// It exists so that one right is stored under exactly one spelling: office
// data, bank forms and registrars write the same patent as "ZL2013106997442",
// "ZL 201310699744.2" or "201310699744.2", and a duplicate check, a pledge
// over "the same" right or an indicator count is only correct if all of them
// become one canonical string first. Check characters are verified because a
// typo is far likelier than a wrong check rule.
//
// The package is pure: no database, no HTTP, no clock except the package
// variable now, which bounds "plausible year" checks. Every failure is an
// *Error carrying a stable Code and the Field it concerns, so a transport can
// map it to a response without parsing text.
package ident
