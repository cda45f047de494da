package ident

import "errors"

// Error codes. They are part of the API contract (an HTTP layer maps them to
// problem types and clients switch on them): never rename one.
const (
	CodeKindUnknown             = "kind_unknown"
	CodePatentFormat            = "patent_format"
	CodePatentCheck             = "patent_check"
	CodePatentYear              = "patent_year"
	CodePatentTypeMismatch      = "patent_type_mismatch"
	CodePatentFilingDate        = "patent_filing_date"
	CodeTrademarkFormat         = "trademark_format"
	CodeGIProductFormat         = "gi_product_format"
	CodeSoftwareCopyrightFormat = "software_copyright_format"
	CodeWorkCopyrightFormat     = "work_copyright_format"
	CodePlantVarietyFormat      = "plant_variety_format"
	CodeUSCCLength              = "uscc_length"
	CodeUSCCChar                = "uscc_char"
	CodeUSCCCheck               = "uscc_check"
)

// Field names reported in Error.Field. They name the logical input, not a
// JSON path; the transport knows where that input came from.
const (
	FieldKind   = "kind"
	FieldNumber = "number"
	FieldUSCC   = "uscc"
)

// Error is the only error type this package returns. Code is stable and
// machine-readable; Detail is for people and may change wording.
type Error struct {
	Code   string
	Field  string
	Detail string
	// Position is the 1-based character position at fault (uscc_char,
	// uscc_check), or 0 when no single character is to blame.
	Position int
}

func (e *Error) Error() string {
	return e.Field + ": " + e.Detail + " (" + e.Code + ")"
}

// Is makes errors.Is(err, &Error{Code: CodeUSCCCheck}) match on the code
// alone, so callers need no type assertion to branch on a code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// ErrorCode and ErrorField let a transport read any domain error through a
// small interface instead of importing every domain package's type.
func (e *Error) ErrorCode() string  { return e.Code }
func (e *Error) ErrorField() string { return e.Field }

// CodeOf returns the Code of the *Error in err's chain, or "" if none.
func CodeOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

func errorf(code, field, detail string) *Error {
	return &Error{Code: code, Field: field, Detail: detail}
}
