package console

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/google/uuid"

	"ipledger/registry"
	"ipledger/registry/access"
)

// view is what every template gets: the language, the signed-in principal, the navigation
// and the page's own data.
type view struct {
	lang   string
	Title  string
	Who    *access.Principal
	Nav    []navLink
	Active string
	Path   string
	Data   any
}

// T translates a catalog key into the page's language.
func (v *view) T(key string) string { return translate(v.lang, key) }

// Lang is the page's language as an HTML lang attribute.
func (v *view) Lang() string {
	if v.lang == "en" {
		return "en"
	}
	return "zh-CN"
}

// Other is the language the switch offers.
func (v *view) Other() string {
	if v.lang == "en" {
		return "zh"
	}
	return "en"
}

// Asset is a static file's URL with its content hash, so it can be cached for good.
func (v *view) Asset(name string) string {
	if f, ok := staticFiles[name]; ok {
		return "/console/static/" + name + "?v=" + f.version
	}
	return "/console/static/" + name
}

type navLink struct {
	Href, Label string
	Active      bool
}

// navPages are the console's pages, each shown to the roles the API lets call its operation.
var navPages = []struct{ href, title, op string }{
	{"/console/indicators", "title_indicators", "get-indicators"},
	{"/console/registry", "title_registry", "list-assets"},
	{"/console/import", "title_import", "import-assets"},
	{"/console/pledges", "title_pledges", "list-pledges"},
	{"/console/claims", "title_claims", "list-claims"},
	{"/console/demands", "title_demands", "list-demands"},
	{"/console/public/pledges", "title_public", ""},
	{"/console/public/rights", "title_public_rights", ""},
	{"/console/ledger", "title_ledger", "verify-ledger"},
}

func (c *Console) nav(r *http.Request) []navLink {
	lang := langOf(r)
	var out []navLink
	for _, p := range navPages {
		if p.op != "" && !c.can(r, p.op) {
			continue
		}
		out = append(out, navLink{Href: p.href, Label: translate(lang, p.title), Active: strings.HasPrefix(r.URL.Path, p.href)})
	}
	return out
}

func langOf(r *http.Request) string {
	if ck, err := r.Cookie(langCookie); err == nil && ck.Value == "en" {
		return "en"
	}
	return "zh"
}

func (c *Console) tr(r *http.Request, key string) string { return translate(langOf(r), key) }

func (c *Console) newView(r *http.Request, titleKey string, data any) *view {
	v := &view{lang: langOf(r), Path: r.URL.RequestURI(), Data: data}
	// Every page is titled in Chinese; the English view adds its English name.
	v.Title = translate("zh", titleKey)
	if v.lang == "en" && titleKey != "" {
		v.Title = translate("en", titleKey) + " " + v.Title
	}
	if p, ok := principalFrom(r.Context()); ok {
		v.Who = &p
	}
	v.Nav = c.nav(r)
	return v
}

// render writes page name with status. The page is rendered into a buffer first, so a
// template failure is a clean 500 rather than half a page.
func (c *Console) render(w http.ResponseWriter, r *http.Request, status int, name, titleKey string, data any) {
	c.renderTemplate(w, r, status, name, "layout", c.newView(r, titleKey, data))
}

// fragment writes one named template of page name, for htmx to swap into the page.
func (c *Console) fragment(w http.ResponseWriter, r *http.Request, status int, page, name string, data any) {
	c.renderTemplate(w, r, status, page, name, c.newView(r, "", data))
}

func (c *Console) renderTemplate(w http.ResponseWriter, r *http.Request, status int, page, name string, v *view) {
	t, ok := c.pages[page]
	if !ok {
		panic("console: no page " + page)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, name, v); err != nil {
		c.Log.ErrorContext(r.Context(), "console render", "page", page, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Vary", "Cookie")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

type errorData struct {
	Status  int
	Message string
}

// pathID is the {id} of the path; a malformed one is answered as not found, as in the API.
// viewed is the record the path's id names, read through the signed-in principal's viewer
// (get: a registry read of a pledge, claim or demand), with that id and principal; without
// one, the 404 (or error) page is written and ok is false. Another lender's record is not
// found, as in the API.
func viewed[T any](c *Console, w http.ResponseWriter, r *http.Request,
	get func(context.Context, registry.Viewer, uuid.UUID) (T, error)) (rec T, id uuid.UUID, p access.Principal, ok bool) {
	if id, ok = c.pathID(w, r); !ok {
		return rec, id, p, false
	}
	p, _ = principalFrom(r.Context())
	rec, err := get(r.Context(), c.Viewer(p), id)
	if err != nil {
		c.notFoundOr(w, r, err)
		return rec, id, p, false
	}
	return rec, id, p, true
}

func (c *Console) pathID(w http.ResponseWriter, r *http.Request) (uuid.UUID, bool) {
	id, err := uuid.Parse(r.PathValue("id"))
	if err != nil {
		c.errorPage(w, r, http.StatusNotFound, "err_not_found")
		return uuid.UUID{}, false
	}
	return id, true
}

// formFor reads a form posted to a page of one record: the {id} (404 page when malformed) and
// the form (400 page when unreadable).
func (c *Console) formFor(w http.ResponseWriter, r *http.Request) (uuid.UUID, *form, bool) {
	id, ok := c.pathID(w, r)
	if !ok {
		return uuid.UUID{}, nil, false
	}
	f, err := parseForm(w, r)
	if err != nil {
		c.errorPage(w, r, http.StatusBadRequest, "err_form")
		return uuid.UUID{}, nil, false
	}
	return id, f, true
}

func (c *Console) errorPage(w http.ResponseWriter, r *http.Request, status int, key string) {
	c.render(w, r, status, "error", "title_error", errorData{Status: status, Message: c.tr(r, key)})
}

// parsePages parses each page together with the layout, so that every page may define its
// own "content".
func parsePages() map[string]*template.Template {
	sub := fsSub("templates")
	names, err := fs.Glob(sub, "*.html")
	if err != nil {
		panic(err)
	}
	out := map[string]*template.Template{}
	for _, n := range names {
		if n == "layout.html" {
			continue
		}
		t := template.Must(template.New(n).Funcs(funcs).ParseFS(sub, "layout.html", n))
		out[strings.TrimSuffix(n, ".html")] = t
	}
	return out
}

// fieldArgs are what the field templates (text, area, date) show.
type fieldArgs struct {
	F                     *form
	Name, ID, Label, Hint string
}

var funcs = template.FuncMap{
	"pledgeArgs": func(v *view, p registry.Pledge) struct {
		V *view
		P registry.Pledge
	} {
		return struct {
			V *view
			P registry.Pledge
		}{v, p}
	},
	"errorText": errorText,
	"list":      func(xs ...string) []string { return xs },
	"entryArgs": func(v *view, e entryRow) struct {
		V *view
		E entryRow
	} {
		return struct {
			V *view
			E entryRow
		}{v, e}
	},
	"field": func(f *form, name, id, label, hint string) fieldArgs {
		return fieldArgs{F: f, Name: name, ID: id, Label: label, Hint: hint}
	},
	// query builds a query string; typed as a URL so that it is not escaped again.
	"query": func(pairs ...string) template.URL {
		q := url.Values{}
		for i := 0; i+1 < len(pairs); i += 2 {
			if pairs[i+1] != "" {
				q.Set(pairs[i], pairs[i+1])
			}
		}
		return template.URL(q.Encode())
	},
	"deref": func(s *string) string {
		if s == nil {
			return ""
		}
		return *s
	},
}

type staticFile struct {
	data        []byte
	contentType string
	version     string
}

var staticTypes = map[string]string{
	".js":  "text/javascript; charset=utf-8",
	".css": "text/css; charset=utf-8",
	".svg": "image/svg+xml",
	".txt": "text/plain; charset=utf-8",
}

// staticFiles maps a path under static/ to its content; every file is embedded.
var staticFiles = loadStatic()

func loadStatic() map[string]staticFile {
	out := map[string]staticFile{}
	sub := fsSub("static")
	err := fs.WalkDir(sub, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(sub, p)
		if err != nil {
			return err
		}
		ct, ok := staticTypes[path.Ext(p)]
		if !ok {
			ct = "text/plain; charset=utf-8" // LICENSE, NOTICE
		}
		sum := sha256.Sum256(b)
		out[p] = staticFile{data: b, contentType: ct, version: hex.EncodeToString(sum[:8])}
		return nil
	})
	if err != nil {
		panic(err)
	}
	return out
}

func (c *Console) serveStatic(w http.ResponseWriter, r *http.Request) {
	f, ok := c.static[r.PathValue("file")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", f.contentType)
	h.Set("ETag", `"`+f.version+`"`)
	if r.URL.Query().Get("v") == f.version {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "public, max-age=3600")
	}
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(f.data))
}
