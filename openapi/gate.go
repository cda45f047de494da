package openapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"

	"ipledger/registry"
)

// The body gate reads every JSON request body once, before huma validates and decodes it, and
// refuses what the schema cannot see or Go's decoder would quietly change: huma validates a
// map parsed with the last of duplicate keys and matches keys regardless of case, then Go
// decodes into the struct by its own rules, so the bytes stored could differ from the bytes
// validated; invalid UTF-8 and lone surrogates become U+FFFD; NUL reaches Postgres (which
// refuses it with an internal error); 2025.0 passes the schema as an integer and then fails
// Go's decoder with Go text. The gate walks the tokens along the operation's schema so that
// every refusal names the field (body.owner_ids[1]).

// maxDepth bounds how deep a body may nest; no input of this API nests more than 3 levels.
const maxDepth = 32

// multiLine names the free-text properties that may keep tab, CR and LF; every other string
// is one line (a name, title, number or code).
var multiLine = map[string]bool{"note": true}

// gateBody is the huma middleware that applies the gate to operations taking JSON.
func (s *Server) gateBody(ctx huma.Context, next func(huma.Context)) {
	op := ctx.Operation()
	if op.RequestBody == nil || op.RequestBody.Content["application/json"] == nil {
		next(ctx)
		return
	}
	r, w := humago.Unwrap(ctx)
	limit := op.MaxBodyBytes
	if limit <= 0 {
		limit = maxBody
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		writeProblem(w, r, newProblem(http.StatusBadRequest, "bad_request", "the request body could not be read"))
		return
	}
	if int64(len(body)) > limit {
		writeProblem(w, r, newProblem(http.StatusRequestEntityTooLarge, "body_too_large", fmt.Sprintf("the body is larger than %d bytes", limit)))
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	if len(body) > 0 {
		if p := checkMediaType(r.Header.Get("Content-Type")); p != nil {
			writeProblem(w, r, p)
			return
		}
		if p := checkBody(body, s.api.OpenAPI().Components.Schemas, op.RequestBody.Content["application/json"].Schema); p != nil {
			writeProblem(w, r, p)
			return
		}
	}
	next(ctx)
}

// checkMediaType accepts application/json, in UTF-8 if a charset is named (RFC 8259 §8.1).
func checkMediaType(ct string) *Problem {
	if ct == "" {
		return newProblem(http.StatusUnsupportedMediaType, "unsupported_media_type", "send the body with Content-Type: application/json")
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || mt != "application/json" {
		return newProblem(http.StatusUnsupportedMediaType, "unsupported_media_type", "the body must be application/json")
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return newProblem(http.StatusUnsupportedMediaType, "unsupported_media_type", "JSON is read as UTF-8 only; drop the charset or name utf-8")
	}
	return nil
}

// checkBody walks body along schema (nil: anything) and returns the first problem found.
func checkBody(body []byte, reg huma.Registry, schema *huma.Schema) *Problem {
	w := &bodyWalker{body: body, reg: reg, dec: json.NewDecoder(bytes.NewReader(body))}
	w.dec.UseNumber()
	if err := w.value("body", schema, 0, false); err != nil {
		return err.problem()
	}
	if _, err := w.dec.Token(); err != io.EOF {
		return (&gateError{http.StatusBadRequest, "bad_request", "body", "more follows the JSON value"}).problem()
	}
	return nil
}

// gateError is one refusal: the status, code, field and a sentence for people.
type gateError struct {
	status   int
	code     string
	location string
	message  string
}

func (e *gateError) problem() *Problem {
	detail := e.message
	if e.location != "body" {
		detail = e.location + ": " + e.message
	}
	if e.status == http.StatusBadRequest {
		detail = "the request could not be read: " + e.message
	}
	p := newProblem(e.status, e.code, detail)
	p.Errors = []FieldError{{Location: e.location, Message: e.message}}
	return p
}

func refuse(code, location, format string, args ...any) *gateError {
	return &gateError{http.StatusUnprocessableEntity, code, location, fmt.Sprintf(format, args...)}
}

type bodyWalker struct {
	body []byte
	dec  *json.Decoder
	reg  huma.Registry
}

// token reads the next token and the raw bytes it came from (with any separator before it).
func (w *bodyWalker) token() (json.Token, []byte, *gateError) {
	start := w.dec.InputOffset()
	tok, err := w.dec.Token()
	if err != nil {
		msg := "not valid JSON"
		var se *json.SyntaxError
		switch {
		case errors.As(err, &se):
			msg = fmt.Sprintf("not valid JSON near byte %d", se.Offset)
		case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
			msg = "the JSON ends too early"
		}
		return nil, nil, &gateError{http.StatusBadRequest, "bad_request", "body", msg}
	}
	return tok, w.body[start:w.dec.InputOffset()], nil
}

func (w *bodyWalker) resolve(s *huma.Schema) *huma.Schema {
	if s != nil && s.Ref != "" && w.reg != nil {
		return w.reg.SchemaFromRef(s.Ref)
	}
	return s
}

// value reads one JSON value at path; multi says whether a string there may span lines.
func (w *bodyWalker) value(path string, schema *huma.Schema, depth int, multi bool) *gateError {
	if depth > maxDepth {
		return &gateError{http.StatusBadRequest, "bad_request", "body", fmt.Sprintf("the body nests more than %d levels deep", maxDepth)}
	}
	tok, raw, gerr := w.token()
	if gerr != nil {
		return gerr
	}
	schema = w.resolve(schema)
	switch t := tok.(type) {
	case json.Delim:
		if t == '{' {
			return w.object(path, schema, depth)
		}
		return w.array(path, schema, depth)
	case string:
		if p := rawTextProblem(raw); p != "" {
			return refuse("text_invalid", path, "the text %s", p)
		}
		if p := registry.TextProblem(t, multi); p != "" {
			return refuse("text_invalid", path, "the text %s", p)
		}
	case json.Number:
		return checkNumber(path, string(t), schema)
	case nil:
		if schema != nil && schema.Type != "" && schema.Type != "null" && !schema.Nullable {
			article := "a"
			if strings.ContainsRune("aeiou", rune(schema.Type[0])) {
				article = "an" // an object, an array, an integer
			}
			return refuse("null_not_allowed", path, "null is not a value here: leave the field out, or give %s %s", article, schema.Type)
		}
	}
	return nil
}

func (w *bodyWalker) object(path string, schema *huma.Schema, depth int) *gateError {
	var props map[string]*huma.Schema
	if schema != nil {
		props = schema.Properties
	}
	seen := map[string]bool{}
	for w.dec.More() {
		tok, raw, gerr := w.token()
		if gerr != nil {
			return gerr
		}
		key, _ := tok.(string)
		if p := rawTextProblem(raw); p != "" {
			return refuse("text_invalid", path, "a property name %s", p)
		}
		if p := registry.TextProblem(key, false); p != "" {
			return refuse("text_invalid", path, "a property name %s", p)
		}
		loc := path + "." + key
		if seen[key] {
			return refuse("key_duplicate", loc, "the property %q appears twice; send it once", key)
		}
		seen[key] = true
		var child *huma.Schema
		if props != nil {
			var ok bool
			if child, ok = props[key]; !ok {
				for name := range props {
					if strings.EqualFold(name, key) {
						return refuse("key_case", loc, "property names are case-sensitive: write %q, not %q", name, key)
					}
				}
			}
		}
		if err := w.value(loc, child, depth+1, multiLine[key]); err != nil {
			return err
		}
	}
	if _, _, gerr := w.token(); gerr != nil { // the closing brace
		return gerr
	}
	if schema != nil {
		for _, r := range schema.Required {
			if !seen[r] {
				return refuse("field_required", path+"."+r, "%s is required", r)
			}
		}
	}
	return nil
}

func (w *bodyWalker) array(path string, schema *huma.Schema, depth int) *gateError {
	var items *huma.Schema
	if schema != nil {
		items = schema.Items
	}
	for i := 0; w.dec.More(); i++ {
		if err := w.value(fmt.Sprintf("%s[%d]", path, i), items, depth+1, false); err != nil {
			return err
		}
	}
	_, _, gerr := w.token() // the closing bracket
	return gerr
}

// checkNumber refuses numbers that the field's Go type cannot hold exactly: an integer
// field takes digits only (2025, not 2025.0 or 2.025e3) within 64 bits; any number must be
// a finite float.
func checkNumber(path, n string, schema *huma.Schema) *gateError {
	if schema != nil && schema.Type == "integer" {
		if strings.ContainsAny(n, ".eE") {
			if len(n) > 40 {
				n = n[:40] + "…"
			}
			return refuse("number_invalid", path, "must be a whole number written with digits only, such as 2025 (not %s)", n)
		}
		if _, err := strconv.ParseInt(n, 10, 64); err != nil {
			return refuse("number_invalid", path, "is too large a number")
		}
		return nil
	}
	if _, err := strconv.ParseFloat(n, 64); err != nil {
		return refuse("number_invalid", path, "is too large a number")
	}
	return nil
}

// rawTextProblem looks at a string token as sent, before decoding hides what was wrong:
// invalid UTF-8 and lone UTF-16 surrogate escapes both decode to U+FFFD.
func rawTextProblem(raw []byte) string {
	if !utf8.Valid(raw) {
		return "is not UTF-8 text"
	}
	lit := raw[bytes.IndexByte(raw, '"')+1:]
	for i := 0; i < len(lit); i++ {
		if lit[i] != '\\' {
			continue
		}
		i++
		if i >= len(lit) || lit[i] != 'u' || i+4 >= len(lit) {
			continue
		}
		v := hex4(lit[i+1 : i+5])
		i += 4
		switch {
		case v >= 0xD800 && v < 0xDC00:
			if i+6 < len(lit) && lit[i+1] == '\\' && lit[i+2] == 'u' {
				if lo := hex4(lit[i+3 : i+7]); lo >= 0xDC00 && lo < 0xE000 {
					i += 6
					continue
				}
			}
			return "holds half of a UTF-16 surrogate pair (a lone \\u" + strings.ToUpper(string(lit[i-3:i+1])) + ")"
		case v >= 0xDC00 && v < 0xE000:
			return "holds half of a UTF-16 surrogate pair (a lone \\u" + strings.ToUpper(string(lit[i-3:i+1])) + ")"
		}
	}
	return ""
}

func hex4(b []byte) int {
	v, err := strconv.ParseUint(string(b), 16, 16)
	if err != nil {
		return -1
	}
	return int(v)
}
