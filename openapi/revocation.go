package openapi

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"ipledger/ledger"
	"ipledger/registry"
	"ipledger/registry/access"
)

// A token whose principal is cached is checked in one of two ways. Before most operations the
// revocation count is read on its own (access.Authenticate, shared by concurrent requests).
// The operations registered through foldRevocation read it instead in the statement that reads
// their answer (registry.Probe): one round trip instead of two. Nothing of their response
// leaves — not its status, not a refusal huma writes before the handler runs — until that
// count is found to be the one the principal was cached under, or the token passes a check of
// its own; so a revocation committed by any process before the request ends the token at this
// request, as before.

// pendingCheck is a request's cached principal not yet confirmed against the count.
type pendingCheck struct {
	token, ip string
	epoch     int64
	probe     registry.Probe
	done      bool
}

type pendingKey struct{}

// foldRevocation registers op's handler as one that reads the revocation count with its answer.
// It must read through the registry's reads that fill a registry.Probe (GetPledge); were it not
// to, each of its requests would check the token on its own before answering.
func foldRevocation[I, O any](s *Server, op huma.Operation, h func(context.Context, *I) (*O, error)) func(context.Context, *I) (*O, error) {
	s.foldPatterns[strings.ToUpper(op.Method)+" "+op.Path] = true
	return func(ctx context.Context, in *I) (*O, error) {
		if pc, _ := ctx.Value(pendingKey{}).(*pendingCheck); pc != nil {
			pc.probe = registry.Probe{SQL: access.RevocationCount}
			ctx = registry.WithProbe(ctx, &pc.probe)
		}
		return h(ctx, in)
	}
}

// deferCheck takes the cached principal of token for r without reading anything, when r goes
// to an operation registered through foldRevocation; the check is made by the returned
// writer before the response's first byte.
func (s *Server) deferCheck(w http.ResponseWriter, r *http.Request, token, ip string) (*checkedWriter, context.Context, bool) {
	if r.Method != http.MethodGet || len(s.foldPatterns) == 0 || !strings.HasPrefix(r.URL.Path, "/v1/") {
		return nil, nil, false
	}
	if _, pattern := s.mux.Handler(r); !s.foldPatterns[pattern] {
		return nil, nil, false
	}
	pr, epoch, ok := s.Access.Cached(token)
	if !ok {
		return nil, nil, false
	}
	pc := &pendingCheck{token: token, ip: ip, epoch: epoch}
	ctx := context.WithValue(r.Context(), pendingKey{}, pc)
	ctx = ledger.WithActor(withPrincipal(ctx, pr), pr.Actor())
	own := make(map[string]bool, len(w.Header()))
	for k := range w.Header() {
		own[k] = true
	}
	return &checkedWriter{ResponseWriter: w, s: s, r: r.WithContext(ctx), pc: pc, before: own}, ctx, true
}

// checkedWriter holds a response back until its request's pending check passes; if it fails,
// the response is the refusal instead.
type checkedWriter struct {
	http.ResponseWriter
	s       *Server
	r       *http.Request
	pc      *pendingCheck
	before  map[string]bool // header fields set before the operation ran
	refused bool
}

// pass makes the check once and reports whether the response may go out.
func (w *checkedWriter) pass() bool {
	if w.pc.done {
		return !w.refused
	}
	w.pc.done = true
	ctx := w.r.Context()
	if !w.pc.probe.Read || w.pc.probe.Value != w.pc.epoch {
		if _, err := w.s.Access.Authenticate(ctx, w.pc.token); err != nil {
			w.refused = true
			for k := range w.Header() { // nothing the operation set goes out with the refusal
				if !w.before[k] {
					delete(w.Header(), k)
				}
			}
			writeProblem(w.ResponseWriter, w.r, w.s.authFailure(ctx, w.pc.ip, err))
			return false
		}
	}
	if lh := logFrom(ctx); lh != nil {
		if p, ok := principalFrom(ctx); ok {
			lh.principal = p.ID
		}
	}
	return true
}

func (w *checkedWriter) WriteHeader(code int) {
	if w.pass() {
		w.ResponseWriter.WriteHeader(code)
	}
}

func (w *checkedWriter) Write(b []byte) (int, error) {
	if !w.pass() {
		return len(b), nil // the refusal went out instead
	}
	return w.ResponseWriter.Write(b)
}

// Flush keeps a streamed answer streaming once the check has passed.
func (w *checkedWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok && w.pass() {
		f.Flush()
	}
}

func (w *checkedWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// finish makes the check for an operation that wrote nothing.
func (w *checkedWriter) finish() { w.pass() }

// authFailure is the answer to a token that failed its check: 401 for a bad one (counted
// against the address), 503 when the check could not be made.
func (s *Server) authFailure(ctx context.Context, ip string, err error) *Problem {
	if !errors.Is(err, access.ErrBadToken) {
		s.log.ErrorContext(ctx, "authenticate", "err", err)
		return s.unavailableProblem(ctx, err)
	}
	s.failures.fail(ip)
	p := newProblem(http.StatusUnauthorized, "unauthorized", "unknown or revoked token")
	p.headers = http.Header{"Www-Authenticate": {`Bearer realm="ipledger", error="invalid_token"`}}
	return p
}
