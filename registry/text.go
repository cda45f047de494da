package registry

import (
	"fmt"
	"unicode/utf8"
)

// Text the registry stores is UTF-8 without NUL (Postgres text and jsonb cannot hold U+0000)
// and, in names, titles, numbers and codes, without control characters: none is ever what a
// person typed, and each breaks the forms, spreadsheets and logs the text ends up in. Free
// text (notes) may keep tab, CR and LF.

// TextProblem says in a few words what is wrong with s as stored text, or "" when nothing
// is. multiLine texts (notes) may hold tab, CR and LF.
func TextProblem(s string, multiLine bool) string {
	if !utf8.ValidString(s) {
		return "is not UTF-8 text"
	}
	for _, r := range s {
		switch {
		case r == 0:
			return "contains a NUL character (U+0000)"
		case r < 0x20 || r == 0x7f:
			if multiLine && (r == '\t' || r == '\n' || r == '\r') {
				continue
			}
			return fmt.Sprintf("contains the control character U+%04X", r)
		}
	}
	return ""
}

// CheckText is TextProblem as an Invalid error with code text_invalid naming field.
func CheckText(field, s string, multiLine bool) *Error {
	if p := TextProblem(s, multiLine); p != "" {
		return Errorf(Invalid, "text_invalid", field, "the text %s", p)
	}
	return nil
}
