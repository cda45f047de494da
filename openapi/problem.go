package openapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"ipledger/ledger"
	"ipledger/registry"
)

// Problem is an RFC 9457 problem document. `type` is a stable relative URI
// (/problems/{code}) and `code` repeats the code for clients that switch on it.
type Problem struct {
	Type     string       `json:"type" doc:"Stable URI reference of the problem type: /problems/{code}"`
	Title    string       `json:"title" doc:"Short summary of the problem type"`
	Status   int          `json:"status" doc:"HTTP status code"`
	Code     string       `json:"code" doc:"Stable machine-readable code, e.g. patent_check, asset_pledged"`
	Detail   string       `json:"detail,omitempty" doc:"What went wrong this time"`
	Instance string       `json:"instance,omitempty" doc:"The request path"`
	Ref      string       `json:"ref,omitempty" doc:"Id of the existing thing this request clashes with"`
	Errors   []FieldError `json:"errors,omitempty" doc:"The inputs at fault"`
	headers  http.Header  `json:"-"`
}

// FieldError names one input at fault.
type FieldError struct {
	Location string `json:"location,omitempty" doc:"Where: body.number, query.limit, path.id, header.Idempotency-Key"`
	Message  string `json:"message" doc:"What is wrong with it"`
	Value    any    `json:"value,omitempty" doc:"The value received"`
}

func (p *Problem) Error() string  { return p.Detail }
func (p *Problem) GetStatus() int { return p.Status }

// ContentType makes huma send application/problem+json.
func (p *Problem) ContentType(ct string) string {
	if ct == "application/json" {
		return "application/problem+json"
	}
	return ct
}

// GetHeaders lets a problem carry headers such as Retry-After.
func (p *Problem) GetHeaders() http.Header { return p.headers }

func newProblem(status int, code, detail string) *Problem {
	return &Problem{Type: "/problems/" + code, Title: http.StatusText(status), Status: status, Code: code, Detail: detail}
}

// statusCodes names huma's own errors (bad JSON, schema validation, size limits).
var statusCodes = map[int]string{
	http.StatusBadRequest:                  "bad_request",
	http.StatusUnauthorized:                "unauthorized",
	http.StatusForbidden:                   "forbidden",
	http.StatusNotFound:                    "not_found",
	http.StatusMethodNotAllowed:            "method_not_allowed",
	http.StatusNotAcceptable:               "not_acceptable",
	http.StatusConflict:                    "conflict",
	http.StatusRequestEntityTooLarge:       "body_too_large",
	http.StatusUnsupportedMediaType:        "unsupported_media_type",
	http.StatusUnprocessableEntity:         "validation_failed",
	http.StatusTooManyRequests:             "rate_limited",
	http.StatusRequestHeaderFieldsTooLarge: "header_too_large",
	http.StatusInternalServerError:         "internal",
	http.StatusServiceUnavailable:          "unavailable",
}

func init() {
	// Every error huma produces itself (validation, decoding) becomes our problem shape.
	huma.NewError = func(status int, msg string, errs ...error) huma.StatusError {
		code, ok := statusCodes[status]
		if !ok {
			code = strings.ToLower(strings.ReplaceAll(http.StatusText(status), " ", "_"))
		}
		if status >= 500 {
			msg = "internal error" // never the Go error text
		}
		if status == http.StatusBadRequest {
			if msg == "request body is required" { // huma's words for an empty body
				code, msg = "body_required", "the request needs a body"
			} else {
				msg = "the request could not be read: the body must be valid JSON"
			}
		}
		p := newProblem(status, code, msg)
		for _, e := range errs {
			if e == nil {
				continue
			}
			var d huma.ErrorDetailer
			if errors.As(e, &d) {
				dd := d.ErrorDetail()
				fe := FieldError{Location: dd.Location, Message: dd.Message, Value: dd.Value}
				if s, ok := fe.Value.(string); ok && len(s) > 200 {
					fe.Value = nil // never echo a whole body back
				}
				if goText(fe.Message) {
					// Decoding failed after validation passed: the words are Go's, not ours.
					fe.Message, fe.Value = "this value does not fit the field", nil
				}
				if status == http.StatusBadRequest && fe.Location == "body" {
					fe.Message, fe.Value = "not valid JSON", nil // the parser's own words are Go error text
				}
				p.Errors = append(p.Errors, fe)
			} else if status < 500 && status != http.StatusBadRequest && !goText(e.Error()) {
				p.Errors = append(p.Errors, FieldError{Message: e.Error()})
			}
		}
		if goText(p.Detail) {
			p.Detail = http.StatusText(status)
		}
		return p
	}
}

// goMarkers are fragments of Go, driver and SQL error text: never shown to a client.
var goMarkers = []string{"json:", "Go struct", "Go value", "strconv.", "pq:", "ERROR:", "SQLSTATE", "parse error", "runtime error", "unexpected end of JSON"}

func goText(s string) bool {
	for _, m := range goMarkers {
		if strings.Contains(s, m) {
			return true
		}
	}
	return false
}

var classStatus = map[registry.Class]int{
	registry.Invalid:      http.StatusUnprocessableEntity,
	registry.NotFound:     http.StatusNotFound,
	registry.Conflict:     http.StatusConflict,
	registry.Forbidden:    http.StatusForbidden,
	registry.Unauthorized: http.StatusUnauthorized,
}

// location is where a domain error's field was in the request: the domain names a path into
// its input (owner_ids[1]), which arrived as the body; a list filter or the addressed record
// it names by its parameter already (query.status, path.id).
func location(field string) string {
	switch {
	case strings.HasPrefix(field, "query."), strings.HasPrefix(field, "path."), strings.HasPrefix(field, "header."):
		return field
	}
	return "body." + field
}

// warningView is a domain warning as answered, its field placed like an error's.
func warningView(w registry.Warning) WarningView {
	if w.Field != "" {
		w.Field = location(w.Field)
	}
	return WarningView(w)
}

// problemFrom is the one mapping from domain errors to HTTP problems. Anything it does not
// know is an internal error: logged here, never shown to the client.
func (s *Server) problemFrom(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	var p *Problem
	if errors.As(err, &p) {
		return p
	}
	if de, ok := registry.AsError(err); ok {
		status, ok := classStatus[de.Class]
		if !ok {
			status = http.StatusUnprocessableEntity
		}
		p := newProblem(status, de.Code, de.Message)
		p.Ref = de.Ref
		if de.Field != "" {
			p.Errors = []FieldError{{Location: location(de.Field), Message: de.Message}}
		}
		return p
	}
	err = ledger.Classify(err) // driver errors: the database down or too slow, not a bug
	switch {
	case errors.Is(err, ledger.ErrUnavailable):
		s.log.WarnContext(ctx, "database unavailable", "err", err)
		p := newProblem(http.StatusServiceUnavailable, "database_unavailable", "the database cannot be reached; retry shortly (a write may be retried with the same Idempotency-Key)")
		p.headers = http.Header{"Retry-After": {"2"}}
		return p
	case errors.Is(err, ledger.ErrTimeout):
		s.log.WarnContext(ctx, "database timeout", "err", err)
		p := newProblem(http.StatusServiceUnavailable, "timeout", "the database did not answer in time; retry shortly (a write may be retried with the same Idempotency-Key)")
		p.headers = http.Header{"Retry-After": {"2"}}
		return p
	case errors.Is(err, ledger.ErrBusy):
		p := newProblem(http.StatusServiceUnavailable, "queue_full", "too many writes are waiting for the ledger; nothing was written, retry shortly")
		p.headers = http.Header{"Retry-After": {"1"}}
		return p
	case errors.Is(err, ledger.ErrIdempotentReplay):
		return newProblem(http.StatusConflict, "idempotency_in_progress", "a request with this Idempotency-Key was committed; retry to get its response")
	case errors.Is(err, ledger.ErrNotFound):
		return newProblem(http.StatusNotFound, "not_found", "no such ledger entry")
	case errors.Is(err, ledger.ErrNoCheckpoint):
		return newProblem(http.StatusServiceUnavailable, "log_not_ready", "the log has no signed checkpoint yet; retry shortly")
	case errors.Is(err, context.DeadlineExceeded):
		return newProblem(http.StatusServiceUnavailable, "timeout", "the request took too long; it may be retried with the same Idempotency-Key")
	case errors.Is(err, ledger.ErrClosed):
		return newProblem(http.StatusServiceUnavailable, "shutting_down", "the service is shutting down; retry shortly")
	}
	s.log.ErrorContext(ctx, "internal error", "err", err)
	return newProblem(http.StatusInternalServerError, "internal", "internal error")
}

// writeProblem answers from plain net/http middleware, outside huma.
func writeProblem(w http.ResponseWriter, r *http.Request, p *Problem) {
	p.Instance = r.URL.Path
	for k, v := range p.headers {
		w.Header()[k] = v
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}
