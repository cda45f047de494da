// Package registry is the domain: parties, IP assets, pledges and the plan's reference data,
// as projections of the ledger. It knows nothing of HTTP.
package registry

import (
	"errors"
	"fmt"

	"ipledger/registry/ident"
	"ipledger/registry/term"
)

// asDomain returns err's *Error (the prepare functions return nothing else).
func asDomain(err error) *Error {
	if de, ok := AsError(err); ok {
		return de
	}
	return Errorf(Invalid, "invalid", "", "%v", err)
}

// Class says what kind of failure an Error is; the API maps each class to one status.
type Class string

const (
	Invalid      Class = "invalid"      // the input breaks a rule: nothing changed
	NotFound     Class = "not_found"    // no such thing, or not visible to the caller
	Conflict     Class = "conflict"     // clashes with existing state (duplicate, already pledged)
	Forbidden    Class = "forbidden"    // known caller, not allowed
	Unauthorized Class = "unauthorized" // unknown or revoked caller
)

// Error is a domain failure with a stable code (e.g. "patent_check", "asset_pledged") that
// clients may rely on, the input field at fault, and the thing it clashes with, if any.
type Error struct {
	Class Class
	Code  string
	// Field is the input at fault: a path into the call's input ("number", "owner_ids[1]",
	// "attributes.ipc[0]"), which openapi reports in the request body (body.owner_ids[1]). A
	// list filter or the record a call addresses is named by the parameter it arrives in
	// ("query.status", "path.id"). Empty: no one input is at fault.
	Field   string
	Message string // for people; never carries SQL or internal detail
	Ref     string // id of the thing clashed with, e.g. the existing asset or pledge
}

func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s: %s (%s)", e.Code, e.Message, e.Field)
	}
	return e.Code + ": " + e.Message
}

// Errorf builds an Error.
func Errorf(class Class, code, field, format string, args ...any) *Error {
	return &Error{Class: class, Code: code, Field: field, Message: fmt.Sprintf(format, args...)}
}

// AsError returns the domain error in err's chain, if any.
func AsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// identError turns an ident or term error into the domain's Invalid error at field.
func identError(err error, field string) error {
	var ie *ident.Error
	if errors.As(err, &ie) {
		return &Error{Class: Invalid, Code: ie.Code, Field: field, Message: ie.Detail}
	}
	var te *term.Error
	if errors.As(err, &te) {
		return &Error{Class: Invalid, Code: te.Code, Field: field, Message: te.Detail}
	}
	return err
}

func errDetail(err error) string {
	var ie *ident.Error
	if errors.As(err, &ie) {
		return ie.Detail
	}
	return err.Error()
}
