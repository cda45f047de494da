package console

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/google/uuid"

	"ipledger/ledger"
	"ipledger/registry"
	"ipledger/registry/ident"
	"ipledger/registry/term"
)

// form is a submitted form: what was typed (shown again on a refusal) and the refusals, by
// field name.
type form struct {
	Values  url.Values
	Errs    map[string]string
	General string
	Summary string // "correct the fields marked below", when a refusal sits next to a field
}

func newForm(v url.Values) *form {
	if v == nil {
		v = url.Values{}
	}
	return &form{Values: v, Errs: map[string]string{}}
}

// V is the value typed into field name.
func (f *form) V(name string) string {
	if f == nil {
		return ""
	}
	return f.Values.Get(name)
}

// E is the refusal shown next to field name.
func (f *form) E(name string) string {
	if f == nil {
		return ""
	}
	return f.Errs[name]
}

// Checked reports whether a checkbox was ticked.
func (f *form) Checked(name string) bool { return f != nil && f.Values.Get(name) != "" }

// refusal is a refusal found by the console before calling the domain (a date or id that
// does not parse): like a registry.Error, it names its field and a code.
type refusal struct {
	Field, Code string
}

func (e *refusal) Error() string { return e.Code + " (" + e.Field + ")" }

var indexRE = regexp.MustCompile(`\[\d+\]$`)

// fieldName turns a domain error's field ("body.owner_ids[0]", "query.as_of") into the
// form's field name ("owner_ids", "as_of").
func fieldName(f string) string {
	for _, in := range []string{"body.", "query.", "path."} {
		f = strings.TrimPrefix(f, in)
	}
	return indexRE.ReplaceAllString(f, "")
}

var classStatus = map[registry.Class]int{
	registry.Invalid:      http.StatusUnprocessableEntity,
	registry.NotFound:     http.StatusNotFound,
	registry.Conflict:     http.StatusConflict,
	registry.Forbidden:    http.StatusForbidden,
	registry.Unauthorized: http.StatusUnauthorized,
}

// refuse puts err on the form next to its field, in the page's language, and returns the
// status to answer with. Errors the domain does not name are logged and shown as a general
// failure, never their text.
func (c *Console) refuse(r *http.Request, f *form, err error, fields ...string) int {
	lang := langOf(r)
	var rf *refusal
	if errors.As(err, &rf) {
		f.put(lang, fieldName(rf.Field), errorText(lang, rf.Code, ownCodes[rf.Code]), fields)
		return http.StatusUnprocessableEntity
	}
	if de, ok := registry.AsError(err); ok {
		msg := errorText(lang, de.Code, de.Message)
		f.put(lang, fieldName(de.Field), msg, fields)
		status, ok := classStatus[de.Class]
		if !ok {
			status = http.StatusUnprocessableEntity
		}
		return status
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, ledger.ErrClosed) {
		f.General = translate(lang, "err_unavailable")
		return http.StatusServiceUnavailable
	}
	c.Log.ErrorContext(r.Context(), "console: internal error", "err", err)
	f.General = translate(lang, "err_internal")
	return http.StatusInternalServerError
}

// put shows msg next to field when the form has it, otherwise above the form.
func (f *form) put(lang, field, msg string, fields []string) {
	for _, x := range fields {
		if x == field {
			f.Errs[field] = msg
			f.Summary = translate(lang, "fix_errors")
			return
		}
	}
	if f.General == "" {
		f.General = msg
	} else {
		f.General += " " + msg
	}
}

// parseForm reads a posted form (at most 1 MiB).
func parseForm(w http.ResponseWriter, r *http.Request) (*form, error) {
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	if err := r.ParseForm(); err != nil {
		return nil, err
	}
	return newForm(r.PostForm), nil
}

func (f *form) date(name string) (term.Date, error) {
	s := strings.TrimSpace(f.V(name))
	if s == "" {
		return term.Date{}, nil
	}
	d, err := term.ParseDate(s)
	if err != nil {
		return term.Date{}, &refusal{Field: name, Code: "date_invalid"}
	}
	return d, nil
}

// lines splits a textarea into its non-empty lines (commas and 、 separate too).
func lines(s string) []string {
	var out []string
	for _, l := range strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' || r == ',' || r == '，' || r == '、' }) {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// parties resolves the parties typed into field: each an id, a unified social credit code
// or a party's exact name, so that nobody has to type a UUID.
func (c *Console) parties(ctx context.Context, field, code string, raw []string) ([]uuid.UUID, error) {
	out := make([]uuid.UUID, 0, len(raw))
	for _, s := range raw {
		id, err := c.partyID(ctx, s)
		if err != nil {
			return nil, err
		}
		if id == uuid.Nil {
			return nil, &refusal{Field: field, Code: code}
		}
		out = append(out, id)
	}
	return out, nil
}

func (c *Console) partyID(ctx context.Context, s string) (uuid.UUID, error) {
	if id, err := uuid.Parse(s); err == nil {
		return id, nil
	}
	if code, err := ident.CheckUSCC(s); err == nil {
		m, err := c.Registry.PartyIDsByUSCC(ctx, []string{code})
		if err != nil {
			return uuid.Nil, fmt.Errorf("console: party by uscc: %w", err)
		}
		return m[code], nil
	}
	ps, _, err := c.Registry.ListParties(ctx, registry.PartyFilter{Q: s, Limit: 20})
	if err != nil {
		return uuid.Nil, fmt.Errorf("console: party by name: %w", err)
	}
	var found uuid.UUID
	for _, p := range ps {
		if p.Name == s {
			if found != uuid.Nil {
				return uuid.Nil, &refusal{Field: "", Code: "party_ambiguous"}
			}
			found = p.ID
		}
	}
	return found, nil
}

// assets resolves the rights typed into field: each an id or a number in any spelling.
func (c *Console) assets(ctx context.Context, field string, raw []string) ([]uuid.UUID, error) {
	out := make([]uuid.UUID, 0, len(raw))
	for _, s := range raw {
		if id, err := uuid.Parse(s); err == nil {
			out = append(out, id)
			continue
		}
		as, err := c.assetsByNumber(ctx, s)
		if err != nil {
			return nil, err
		}
		if len(as) != 1 {
			return nil, &refusal{Field: field, Code: "asset_unknown"}
		}
		out = append(out, as[0].ID)
	}
	return out, nil
}

// assetsByNumber finds the rights a number stands for, however it is written
// ("ZL2013106997442", "201310699744.2", full-width digits): each kind's reading of it is an
// exact match on that kind's canonical number.
func (c *Console) assetsByNumber(ctx context.Context, raw string) ([]registry.Asset, error) {
	var out []registry.Asset
	seen := map[uuid.UUID]bool{}
	for _, k := range ident.Kinds() {
		n, err := ident.Canonical(k, raw)
		if err != nil {
			continue
		}
		as, _, err := c.Registry.ListAssets(ctx, registry.AssetFilter{Kind: k, Q: n, Limit: 20})
		if err != nil {
			return nil, fmt.Errorf("console: assets by number: %w", err)
		}
		for _, a := range as {
			if a.Number == n && !seen[a.ID] {
				seen[a.ID] = true
				out = append(out, a)
			}
		}
	}
	return out, nil
}
