package openapi

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"ipledger/ledger"
	"ipledger/migrations"
	"ipledger/registry/access"
)

// The operator's side of the API: readiness (GET /readyz), metrics (GET /metrics) and the
// request metrics middleware.

// registerOps adds /readyz, and /metrics when metrics are served on the main address.
func (s *Server) registerOps() {
	register(s, huma.Operation{
		OperationID: "readiness", Method: http.MethodGet, Path: "/readyz", Tags: []string{"service"},
		Summary: "Readiness: database reachable, schema at this binary's version, committer running",
		Description: "For load balancers and orchestrators: 200 when this process can serve writes; " +
			"503 (problem+json with Retry-After) naming what is missing: `database_unavailable`, " +
			"`migrations_pending` or `committer_stopped`. `/healthz` is the liveness check.",
		Errors: []int{http.StatusServiceUnavailable},
	}, anyone(), func(ctx context.Context, _ *struct{}) (*readyOutput, error) {
		return s.ready(ctx)
	})
	if s.Metrics != nil && !s.MetricsElsewhere {
		h := s.Metrics.Handler()
		s.mux.Handle("GET /metrics", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p, ok := principalFrom(r.Context())
			if !ok {
				pr := newProblem(http.StatusUnauthorized, "unauthorized", "a bearer token is required")
				pr.headers = http.Header{"Www-Authenticate": {`Bearer realm="ipledger"`}}
				writeProblem(w, r, pr)
				return
			}
			if p.Role != access.Admin && p.Role != access.Auditor {
				writeProblem(w, r, newProblem(http.StatusForbidden, "forbidden", "role "+string(p.Role)+" may not read metrics"))
				return
			}
			h.ServeHTTP(w, r)
		}))
	}
}

type readyOutput struct {
	Body struct {
		Status           string `json:"status" example:"ready"`
		MigrationVersion uint   `json:"migration_version" doc:"The schema version, equal to this binary's"`
		QueueDepth       int    `json:"queue_depth" doc:"Writes waiting for the committer"`
	}
}

func notReady(code, detail string) *Problem {
	p := newProblem(http.StatusServiceUnavailable, code, detail)
	p.headers = http.Header{"Retry-After": {"1"}}
	return p
}

func (s *Server) ready(ctx context.Context) (*readyOutput, error) {
	if s.Ledger == nil {
		return nil, notReady("database_unavailable", "no database")
	}
	if !s.Ledger.Running() {
		return nil, notReady("committer_stopped", "the ledger's committer is not running (shutting down)")
	}
	want, err := migrations.Latest()
	if err != nil {
		return nil, s.problemFrom(ctx, err)
	}
	pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	var have uint
	var dirty bool
	if err := s.Ledger.DB().QueryRowContext(pctx, `SELECT version, dirty FROM public.schema_migrations`).Scan(&have, &dirty); err != nil {
		s.log.WarnContext(ctx, "readiness: database", "err", err)
		if errors.Is(ledger.Classify(err), ledger.ErrUnavailable) || pctx.Err() != nil {
			return nil, notReady("database_unavailable", "the database does not answer")
		}
		return nil, notReady("migrations_pending", "the schema version cannot be read; run ipledger migrate up")
	}
	if dirty || have != want {
		return nil, notReady("migrations_pending", "the database schema is not at this binary's version; run ipledger migrate up")
	}
	out := &readyOutput{}
	out.Body.Status, out.Body.MigrationVersion, out.Body.QueueDepth = "ready", have, s.Ledger.QueueDepth()
	return out, nil
}

// unavailableProblem is the answer when middleware cannot reach the database: a 503 that
// says why and when to retry.
func (s *Server) unavailableProblem(ctx context.Context, err error) *Problem {
	if p, ok := s.problemFrom(ctx, err).(*Problem); ok && p.Status == http.StatusServiceUnavailable {
		return p
	}
	return notReady("unavailable", "retry shortly")
}

// observeRequests counts every request by operation id and status, with its latency, its
// idempotent replays and its problem code.
func (s *Server) observeRequests(next http.Handler) http.Handler {
	if s.Metrics == nil {
		return next
	}
	var once sync.Once
	var ops map[string]string // "METHOD /path/{param}" → operation id
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		once.Do(func() {
			ops = map[string]string{}
			for path, item := range s.OpenAPI().Paths {
				for _, op := range []*huma.Operation{item.Get, item.Post, item.Put, item.Patch, item.Delete} {
					if op != nil {
						ops[op.Method+" "+path] = op.OperationID
					}
				}
			}
		})
		start := time.Now()
		mw := &metricsWriter{ResponseWriter: w}
		next.ServeHTTP(mw, r)
		op := "other" // docs, console, unknown paths: one label, so no path can grow the series
		if _, pattern := s.mux.Handler(r); pattern != "" {
			if id, ok := ops[pattern]; ok {
				op = id
			} else if pattern == "GET /metrics" {
				op = "metrics"
			}
		}
		status := mw.status
		if status == 0 {
			status = http.StatusOK
		}
		s.Metrics.Request(op, status, time.Since(start), mw.Header().Get("Idempotent-Replayed") == "true", mw.problemCode())
	})
}

// metricsWriter notes the status and keeps the start of a problem body, for its code.
type metricsWriter struct {
	http.ResponseWriter
	status  int
	problem bool
	head    bytes.Buffer
}

func (w *metricsWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
		w.problem = strings.HasPrefix(w.Header().Get("Content-Type"), "application/problem+json")
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *metricsWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	if w.problem && w.head.Len() < 1024 {
		w.head.Write(b[:min(len(b), 1024-w.head.Len())])
	}
	return w.ResponseWriter.Write(b)
}

func (w *metricsWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *metricsWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// problemCode is the "code" of a problem body: our problems put it in the first few hundred
// bytes, and codes are plain lower-case words.
func (w *metricsWriter) problemCode() string {
	if !w.problem {
		return ""
	}
	b := w.head.Bytes()
	i := bytes.Index(b, []byte(`"code":"`))
	if i < 0 {
		return "unknown"
	}
	b = b[i+len(`"code":"`):]
	j := bytes.IndexByte(b, '"')
	if j < 0 || j > 64 {
		return "unknown"
	}
	return string(b[:j])
}
