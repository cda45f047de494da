// Package console is the bureau's browser console: server-rendered pages, in Chinese by
// default, over the same domain calls and the same access rules as the HTTP API. It is a
// face of the API, not a second one: every page asks the API's rule table (Deps.Allows)
// whether the signed-in principal may call the operation it stands for, and calls the
// registry, indicator, access and ledger services exactly as the API does.
//
// Scripts and styles are files served from this package (htmx and Apache ECharts vendored
// from npm, see static/vendor/VENDOR.txt), so the pages send a Content-Security-Policy of
// default-src 'self' and no request leaves the machine.
package console

import (
	"context"
	"embed"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"ipledger/ledger"
	"ipledger/registry"
	"ipledger/registry/access"
	"ipledger/registry/indicator"
)

// Prefix is where the console is mounted.
const Prefix = "/console/"

//go:embed templates static
var files embed.FS

// Deps are what the console calls: the API's own services and its rule table.
type Deps struct {
	Ledger   *ledger.Ledger
	ReadDB   *bun.DB // reads (lists, indicators); defaults to the ledger's database
	Access   *access.Service
	Registry *registry.Service
	Log      *slog.Logger
	// Allows reports whether role may call the API operation op (e.g. "create-asset"): the
	// API's rule table, the one place the roles are decided.
	Allows func(op string, role access.Role) bool
	// Viewer is the pledge viewer of a principal, as the API builds it (a bank sees its own).
	Viewer func(access.Principal) registry.Viewer
	// LoginAllowed and LoginFailed limit token guessing per client address: the API's
	// limiter, so that the login form and bearer tokens share one budget. Default: no limit.
	LoginAllowed func(ip string) bool
	LoginFailed  func(ip string)
	// Now is the clock for session idle times; default time.Now.
	Now func() time.Time
}

// Console serves the pages under Prefix.
type Console struct {
	Deps
	ind     *indicator.Service
	mux     *http.ServeMux
	pages   map[string]*template.Template
	static  map[string]staticFile
	imports *importJobs
}

// contentSecurityPolicy: only this origin, no inline script or style (every script and style
// is a file), no framing.
const contentSecurityPolicy = "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"

// New builds the console.
func New(d Deps) *Console {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.ReadDB == nil && d.Ledger != nil {
		d.ReadDB = d.Ledger.DB()
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.LoginAllowed == nil || d.LoginFailed == nil {
		d.LoginAllowed, d.LoginFailed = func(string) bool { return true }, func(string) {}
	}
	if d.Allows == nil {
		d.Allows = func(string, access.Role) bool { return false }
	}
	c := &Console{Deps: d, mux: http.NewServeMux(), pages: parsePages(), static: staticFiles, imports: newImportJobs()}
	if d.Registry != nil {
		c.ind = indicator.New(d.Registry, indicator.WithReadDB(d.ReadDB))
	}
	c.routes()
	return c
}

func (c *Console) routes() {
	m := c.mux
	m.HandleFunc("GET /console/{$}", c.home)
	m.HandleFunc("GET /console", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, Prefix, http.StatusSeeOther)
	})
	m.HandleFunc("GET /console/static/{file...}", c.serveStatic)
	m.HandleFunc("GET /console/login", c.loginForm)
	m.HandleFunc("POST /console/login", c.login)
	m.HandleFunc("POST /console/logout", c.logout)
	m.HandleFunc("POST /console/lang", c.setLang)
	m.HandleFunc("GET /console/public/pledges", c.publicPledges)
	m.HandleFunc("GET /console/public/rights", c.publicRights) // public.go

	m.Handle("GET /console/indicators", c.op("get-indicators", c.indicatorsPage))
	m.Handle("GET /console/indicators/export", c.op("export-indicators", c.indicatorsExport))
	m.Handle("GET /console/indicators/series", c.op("get-indicator-series", c.indicatorSeries))

	m.Handle("GET /console/registry", c.op("list-assets", c.registryPage))
	m.Handle("POST /console/registry/parties", c.op("create-party", c.createParty))
	m.Handle("GET /console/registry/parties/{id}", c.op("get-party", c.partyPage))
	m.Handle("POST /console/registry/parties/{id}/events", c.op("record-party-event", c.partyEvent))
	m.Handle("POST /console/registry/assets", c.op("create-asset", c.createAsset))
	m.Handle("GET /console/registry/assets/{id}", c.op("get-asset", c.assetPage))
	m.Handle("POST /console/registry/assets/{id}/events", c.op("record-asset-event", c.assetEvent))

	m.Handle("GET /console/import", c.op("import-assets", c.importPage))
	m.Handle("POST /console/import", c.op("import-assets", c.importStart))
	m.Handle("GET /console/import/{job}", c.op("import-assets", c.importStatus))
	m.Handle("GET /console/import/{job}/errors.csv", c.op("import-assets", c.importErrors))

	m.Handle("GET /console/pledges", c.op("list-pledges", c.pledgesPage))
	m.Handle("POST /console/pledges", c.op("create-pledge", c.createPledge))
	m.Handle("GET /console/pledges/{id}", c.op("get-pledge", c.pledgePage))
	m.Handle("POST /console/pledges/{id}/events", c.op("record-pledge-event", c.pledgeEvent))
	m.Handle("POST /console/pledges/{id}/appraisals", c.op("record-pledge-event", c.appraisePledge)) // valuation.go

	m.Handle("GET /console/claims", c.op("list-claims", c.claimsPage)) // claims.go
	m.Handle("GET /console/claims/{id}", c.op("get-claim", c.claimPage))
	m.Handle("POST /console/claims/{id}/events", c.op("record-claim-event", c.claimEvent))
	m.Handle("GET /console/pledges/{id}/claims", c.op("create-claim", c.claimForm))
	m.Handle("POST /console/pledges/{id}/claims", c.op("create-claim", c.createClaim))

	m.Handle("GET /console/demands", c.op("list-demands", c.demandsPage)) // demands.go
	m.Handle("POST /console/demands", c.op("create-demand", c.createDemand))
	m.Handle("GET /console/demands/{id}", c.op("get-demand", c.demandPage))
	m.Handle("POST /console/demands/{id}/events", c.op("record-demand-event", c.demandEvent))

	m.Handle("GET /console/ledger", c.op("verify-ledger", c.ledgerPage))
	m.Handle("GET /console/ledger/verify", c.op("verify-ledger", c.ledgerVerify))
	m.Handle("GET /console/ledger/export", c.op("list-ledger-entries", c.ledgerExport))

	// Anything else under /console/ is the console's own 404 page, not net/http's plain text.
	m.HandleFunc("/console/", func(w http.ResponseWriter, r *http.Request) {
		c.errorPage(w, r, http.StatusNotFound, "err_not_found")
	})
}

// Handler is the console with its protections: security headers on every response, refusal
// of cross-origin state-changing requests (CSRF), and of paths or queries that are not UTF-8.
func (c *Console) Handler() http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.errorPage(w, r, http.StatusForbidden, "err_cross_origin")
	}))
	inner := cop.Handler(c.mux)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		if r.URL.Path == "/" {
			http.Redirect(w, r, Prefix, http.StatusFound)
			return
		}
		if !validText(r) {
			c.errorPage(w, r, http.StatusBadRequest, "err_encoding")
			return
		}
		inner.ServeHTTP(w, r)
	})
}

// Owns reports whether the console answers path (the API sends it these, past its own
// JSON-only middleware).
func Owns(path string) bool {
	return path == "/" || path == "/console" || strings.HasPrefix(path, Prefix)
}

// validText refuses paths and queries that are not UTF-8 text: the database would refuse
// them deeper down with an internal error.
func validText(r *http.Request) bool {
	if !utf8.ValidString(r.URL.Path) || strings.IndexByte(r.URL.Path, 0) >= 0 {
		return false
	}
	for k, vs := range r.URL.Query() {
		for _, v := range append(vs, k) {
			if !utf8.ValidString(v) || strings.IndexByte(v, 0) >= 0 {
				return false
			}
		}
	}
	return true
}

type principalKey struct{}

func contextWithPrincipal(ctx context.Context, p access.Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

func principalFrom(ctx context.Context) (access.Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(access.Principal)
	return p, ok
}

// op wraps a page that stands for the API operation id: it needs a session whose principal
// the API's rule table allows to call id. Without a session a GET goes to the login form;
// a principal without the role gets 403.
func (c *Console) op(id string, h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok, err := c.session(w, r)
		if err != nil {
			c.Log.ErrorContext(r.Context(), "console session", "err", err)
			c.errorPage(w, r, http.StatusServiceUnavailable, "err_unavailable")
			return
		}
		if !ok {
			if r.Method == http.MethodGet {
				http.Redirect(w, r, "/console/login?next="+urlQueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			c.errorPage(w, r, http.StatusUnauthorized, "err_login_needed")
			return
		}
		if !c.Allows(id, p.Role) {
			c.errorPage(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, p)), http.StatusForbidden, "err_forbidden")
			return
		}
		ctx := context.WithValue(r.Context(), principalKey{}, p)
		ctx = ledger.WithActor(ctx, p.Actor())
		h(w, r.WithContext(ctx))
	})
}

// can reports whether the signed-in principal may call op (to show or hide a form or a link).
func (c *Console) can(r *http.Request, op string) bool {
	p, ok := principalFrom(r.Context())
	return ok && c.Allows(op, p.Role)
}

// home sends a signed-in principal to the first page its role opens, others to the login.
func (c *Console) home(w http.ResponseWriter, r *http.Request) {
	p, ok, err := c.session(w, r)
	if err != nil || !ok {
		http.Redirect(w, r, "/console/login", http.StatusSeeOther)
		return
	}
	r = r.WithContext(context.WithValue(r.Context(), principalKey{}, p))
	for _, n := range c.nav(r) {
		if !strings.HasPrefix(n.Href, "/console/public/") {
			http.Redirect(w, r, n.Href, http.StatusSeeOther)
			return
		}
	}
	http.Redirect(w, r, "/console/public/pledges", http.StatusSeeOther)
}

func fsSub(dir string) fs.FS {
	sub, err := fs.Sub(files, dir)
	if err != nil {
		panic(err)
	}
	return sub
}
