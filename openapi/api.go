// Package openapi is the HTTP API: it translates requests into registry and ledger calls
// and their results and errors back into JSON and RFC 9457 problems, described by OpenAPI.
package openapi

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"
	"github.com/uptrace/bun"

	"ipledger/ledger"
	"ipledger/openapi/docsui"
	"ipledger/openapi/metrics"
	"ipledger/registry"
	"ipledger/registry/access"
)

// Version of the API document.
const Version = "1.0.0"

// Deps are what the API calls. A zero Deps still builds the OpenAPI document.
type Deps struct {
	Ledger *ledger.Ledger
	// ReadDB serves reads (lists, indicators); a replica when one is configured. Defaults to
	// the ledger's database.
	ReadDB    *bun.DB
	Access    *access.Service
	Registry  *registry.Service
	Log       *slog.Logger
	RateLimit float64 // requests per second per token; 0 turns limiting off
	// Metrics, if set, counts requests; /metrics serves it to admins and auditors unless
	// MetricsElsewhere (IPLEDGER_METRICS_ADDR: the process serves it on its own listener).
	Metrics          *metrics.Metrics
	MetricsElsewhere bool
}

// Server holds the API and its rule table.
type Server struct {
	Deps
	api   huma.API
	mux   *http.ServeMux
	log   *slog.Logger
	rules map[string]rule // by operation id: who may call it

	limitMu  sync.Mutex
	limiters map[string]*limiter
	swept    time.Time
	failures failureLimiter
	console  http.Handler // the browser console, mounted by mountConsole
}

// New builds the API with every operation registered.
func New(d Deps) *Server {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.ReadDB == nil && d.Ledger != nil {
		d.ReadDB = d.Ledger.DB()
	}
	s := &Server{Deps: d, mux: http.NewServeMux(), log: d.Log, rules: map[string]rule{}, limiters: map[string]*limiter{}}

	cfg := huma.DefaultConfig("ipledger", Version)
	cfg.CreateHooks = nil // no $schema links in bodies
	cfg.SchemasPath = ""
	cfg.DocsPath = "" // served offline by docsui below
	cfg.Info.Description = apiDescription
	cfg.Components.SecuritySchemes = map[string]*huma.SecurityScheme{
		"bearer": {Type: "http", Scheme: "bearer", Description: "An opaque token issued by an admin (POST /v1/principals) or `ipledger token create`."},
	}
	s.api = humago.New(s.mux, cfg)
	s.api.UseMiddleware(s.authorize, s.gateBody)

	docs := docsui.Handler("/docs", "/openapi.json", "ipledger API")
	s.mux.Handle("GET /docs", docs)
	s.mux.Handle("GET /docs/", docs)

	s.registerHealth()
	s.registerOps() // /readyz, /metrics
	s.registerLedger()
	s.registerAccess()
	s.registerParties()
	s.registerAssets()
	s.registerImport()
	s.registerLayoutImport()
	s.registerPledges()
	s.registerClaims()  // claims.go
	s.registerParams()  // params.go
	s.registerDemands() // demands.go
	s.registerPublic()  // public.go: open data
	s.registerIndicators()
	s.registerTlog() // last: it documents Ipledger-Seq on every write operation
	s.mountConsole()
	return s
}

// OpenAPI is the API's description.
func (s *Server) OpenAPI() *huma.OpenAPI { return s.api.OpenAPI() }

// Handler is the whole HTTP service, middleware included. Order matters: logs see every
// request, authentication runs before rate limits (which are per token) and idempotency
// (whose keys are per principal).
func (s *Server) Handler() http.Handler {
	var h http.Handler = s.routeProblems(s.mux)
	h = s.idempotency(h)
	h = s.writtenSeq(h) // outside idempotency: a replayed response carries it too
	h = s.rateLimit(h)
	h = s.authenticate(h)
	h = checkEncoding(h)
	h = s.consoleFirst(h) // the console's HTML forms skip the JSON API's middleware
	h = checkHeaderSize(h)
	h = s.recoverPanics(h)
	h = s.logRequests(h)
	h = s.observeRequests(h)
	return h
}

// rule says who may call an operation: the public, or principals holding one of roles.
type rule struct {
	public bool
	roles  []access.Role
}

func anyone() rule                 { return rule{public: true} }
func roles(rs ...access.Role) rule { return rule{roles: rs} }
func (r rule) allows(x access.Role) bool {
	for _, y := range r.roles {
		if y == x {
			return true
		}
	}
	return false
}

// Rules returns the rule table (operation id → "public" or the roles), for tests and docs.
func (s *Server) Rules() map[string][]string {
	out := map[string][]string{}
	for id, r := range s.rules {
		if r.public {
			out[id] = []string{"public"}
			continue
		}
		for _, x := range r.roles {
			out[id] = append(out[id], string(x))
		}
	}
	return out
}

// register adds an operation with its access rule: the rule sits next to the route, and
// there is no way to add an operation without one.
func register[I, O any](s *Server, op huma.Operation, r rule, h func(context.Context, *I) (*O, error)) {
	if op.OperationID == "" {
		panic("openapi: operation without an id: " + op.Method + " " + op.Path)
	}
	if _, dup := s.rules[op.OperationID]; dup {
		panic("openapi: duplicate operation id " + op.OperationID)
	}
	s.rules[op.OperationID] = r
	if r.public {
		op.Security = []map[string][]string{}
		op.Description = strings.TrimSpace(op.Description + "\n\n**Access:** public, no token.")
	} else {
		op.Security = []map[string][]string{{"bearer": {}}}
		names := make([]string, len(r.roles))
		for i, x := range r.roles {
			names[i] = string(x)
		}
		sort.Strings(names)
		op.Description = strings.TrimSpace(op.Description + "\n\n**Access:** " + strings.Join(names, ", ") + ".")
		op.Errors = append(op.Errors, http.StatusUnauthorized, http.StatusForbidden, http.StatusTooManyRequests)
	}
	if op.Method == http.MethodPost {
		op.Parameters = append(op.Parameters, &huma.Param{
			Name: "Idempotency-Key", In: "header",
			Description: "Makes retries safe: a retry with the same key and body returns the first response and writes nothing; the same key with another body is refused (422 idempotency_key_reused).",
			Schema:      &huma.Schema{Type: "string", MinLength: ptr(1), MaxLength: ptr(255)},
		})
		op.Errors = append(op.Errors, http.StatusUnprocessableEntity, http.StatusConflict)
		if op.MaxBodyBytes == 0 {
			op.MaxBodyBytes = maxBody
		}
	}
	huma.Register(s.api, op, h)
}

const maxBody = 1 << 20

// importPath takes bodies up to maxImportBody.
const importPath = "/v1/assets/import"

func ptr[T any](v T) *T { return &v }

// authorize enforces the rule table for every huma operation; an operation with no rule is
// refused (fail closed).
func (s *Server) authorize(ctx huma.Context, next func(huma.Context)) {
	op := ctx.Operation()
	r, ok := s.rules[op.OperationID]
	if !ok {
		_ = huma.WriteErr(s.api, ctx, http.StatusForbidden, "operation has no access rule")
		return
	}
	if r.public {
		next(ctx)
		return
	}
	p, ok := principalFrom(ctx.Context())
	if !ok {
		ctx.SetHeader("WWW-Authenticate", `Bearer realm="ipledger"`)
		_ = huma.WriteErr(s.api, ctx, http.StatusUnauthorized, "a bearer token is required")
		return
	}
	if !r.allows(p.Role) {
		_ = huma.WriteErr(s.api, ctx, http.StatusForbidden, fmt.Sprintf("role %s may not call %s", p.Role, op.OperationID))
		return
	}
	next(ctx)
}

type principalKey struct{}

func withPrincipal(ctx context.Context, p access.Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

func principalFrom(ctx context.Context) (access.Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(access.Principal)
	return p, ok
}

// Page is the list envelope: items and the cursor of the next page, null at the end.
type Page[T any] struct {
	Items      []T     `json:"items" nullable:"false"`
	NextCursor *string `json:"next_cursor" doc:"Pass as ?cursor= for the next page; null when there is none"`
}

const apiDescription = `The system of record for the city's IP assets and IP pledge financing (14th Five-Year IP Development Plan, 2021–2025).

Every change is an entry in one append-only, hash-chained ledger; what the API returns is projected from it.

* **Authentication**: ` + "`Authorization: Bearer <token>`" + `. Unknown or revoked token: 401; known but not allowed: 403.
* **Errors** are RFC 9457 problems (` + "`application/problem+json`" + `) with a stable ` + "`type`" + ` (/problems/{code}), ` + "`code`" + ` and the field at fault; docs/ERRORS.md lists the codes.
* **Bodies** are JSON sent as ` + "`Content-Type: application/json`" + ` in UTF-8: each property once, spelt as documented (names are case-sensitive), no ` + "`null`" + ` where the type has none, integers written as digits, strings without NUL or control characters (a ` + "`note`" + ` may keep line breaks).
* **Retries**: every POST accepts ` + "`Idempotency-Key`" + `.
* **Lists** return ` + "`{\"items\": [...], \"next_cursor\": \"...\" | null}`" + `; pass ` + "`?cursor=&limit=`" + `.
* **Money** is a decimal string in CNY with at most two decimals ("150000000.00"), exact to the fen.
* **Rate limit**: per token; 429 with Retry-After.`

// pageFrom builds a page from rows and the cursor the domain gave for the next ("" at the end).
func pageFrom[R, T any](rows []R, next string, view func(R) T) Page[T] {
	p := Page[T]{Items: make([]T, 0, len(rows))}
	for _, r := range rows {
		p.Items = append(p.Items, view(r))
	}
	if next != "" {
		p.NextCursor = &next
	}
	return p
}

// pageOf builds a page from up to limit+1 fetched rows: the extra row only says that more
// exist, and the cursor is the last returned row's.
func pageOf[R, T any](rows []R, limit int, view func(R) T, cursor func(R) string) Page[T] {
	p := Page[T]{Items: make([]T, 0, min(len(rows), limit))}
	for i, r := range rows {
		if i == limit {
			c := cursor(rows[i-1])
			p.NextCursor = &c
			break
		}
		p.Items = append(p.Items, view(r))
	}
	return p
}
