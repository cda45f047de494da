package openapi

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/time/rate"

	"ipledger/ledger"
	"ipledger/registry/access"
)

// statusWriter records the status and size of a response, for the request log.
type statusWriter struct {
	http.ResponseWriter
	status int
	size   int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.size += n
	return n, err
}

// Flush keeps server-sent events streaming through the wrapper.
func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

type requestIDKey struct{}

// logRequests writes one structured line per request. It logs the path, never the query
// string's secrets (there are none by design) and never a header value.
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-Id")
		if id == "" || len(id) > 64 {
			var b [8]byte
			_, _ = rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		w.Header().Set("X-Request-Id", id)
		sw := &statusWriter{ResponseWriter: w}
		holder := &logHolder{}
		ctx := contextWithLog(r.Context(), holder)
		next.ServeHTTP(sw, r.WithContext(ctx))
		attrs := []any{
			"method", r.Method, "path", r.URL.Path, "status", sw.status, "bytes", sw.size,
			"duration_ms", float64(time.Since(start).Microseconds()) / 1000, "request_id", id,
		}
		if holder.principal != "" {
			attrs = append(attrs, "principal", holder.principal)
		}
		level := slog.LevelInfo
		if sw.status >= 500 {
			level = slog.LevelError
		}
		s.log.Log(ctx, level, "request", attrs...)
	})
}

func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.log.ErrorContext(r.Context(), "panic", "panic", p, "path", r.URL.Path)
				writeProblem(w, r, newProblem(http.StatusInternalServerError, "internal", "internal error"))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// authenticate turns a bearer token into a principal. A request without a token goes on
// anonymous (public operations allow it; the rule table refuses the rest); a bad token is
// refused here, whatever the operation.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := r.Header.Get("Authorization")
		if h == "" {
			next.ServeHTTP(w, r)
			return
		}
		scheme, token, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || s.Access == nil {
			p := newProblem(http.StatusUnauthorized, "unauthorized", "use Authorization: Bearer <token>")
			p.headers = http.Header{"Www-Authenticate": {`Bearer realm="ipledger"`}}
			writeProblem(w, r, p)
			return
		}
		ip := clientIP(r)
		if !s.failures.ok(ip) {
			p := newProblem(http.StatusTooManyRequests, "rate_limited", "too many failed authentications from this address")
			p.headers = http.Header{"Retry-After": {"1"}}
			writeProblem(w, r, p)
			return
		}
		pr, err := s.Access.Authenticate(r.Context(), strings.TrimSpace(token))
		if err != nil {
			if errors.Is(err, access.ErrBadToken) {
				s.failures.fail(ip)
			}
			if !errors.Is(err, access.ErrBadToken) {
				s.log.ErrorContext(r.Context(), "authenticate", "err", err)
				writeProblem(w, r, s.unavailableProblem(r.Context(), err))
				return
			}
			p := newProblem(http.StatusUnauthorized, "unauthorized", "unknown or revoked token")
			p.headers = http.Header{"Www-Authenticate": {`Bearer realm="ipledger", error="invalid_token"`}}
			writeProblem(w, r, p)
			return
		}
		if lh := logFrom(r.Context()); lh != nil {
			lh.principal = pr.ID
		}
		ctx := withPrincipal(r.Context(), pr)
		ctx = ledger.WithActor(ctx, pr.Actor())
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

type limiter struct {
	lim  *rate.Limiter
	seen time.Time
}

// rateLimit applies a token bucket per principal (per client address when anonymous).
func (s *Server) rateLimit(next http.Handler) http.Handler {
	if s.RateLimit <= 0 {
		return next
	}
	burst := int(math.Max(1, 2*s.RateLimit))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := "ip:" + clientIP(r)
		if p, ok := principalFrom(r.Context()); ok {
			key = "p:" + p.ID
		}
		now := time.Now()
		s.limitMu.Lock()
		l, ok := s.limiters[key]
		if !ok {
			if now.Sub(s.swept) > time.Minute { // forget idle buckets rather than grow without bound
				for k, v := range s.limiters {
					if now.Sub(v.seen) > time.Minute {
						delete(s.limiters, k)
					}
				}
				s.swept = now
			}
			l = &limiter{lim: rate.NewLimiter(rate.Limit(s.RateLimit), burst)}
			s.limiters[key] = l
		}
		l.seen = now
		res := l.lim.ReserveN(now, 1)
		delay := res.DelayFrom(now)
		if delay > 0 {
			res.CancelAt(now)
		}
		s.limitMu.Unlock()
		if delay > 0 {
			p := newProblem(http.StatusTooManyRequests, "rate_limited", "too many requests for this token")
			p.headers = http.Header{"Retry-After": {strconv.Itoa(int(math.Ceil(delay.Seconds())))}}
			writeProblem(w, r, p)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// failureLimiter slows down token guessing: each client address may fail authentication a
// few times a second; beyond that it is refused before any lookup.
type failureLimiter struct {
	mu    sync.Mutex
	by    map[string]*rate.Limiter
	swept time.Time
}

func (f *failureLimiter) get(ip string) *rate.Limiter {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.by == nil {
		f.by = map[string]*rate.Limiter{}
	}
	if now := time.Now(); now.Sub(f.swept) > time.Minute {
		for k, l := range f.by {
			if l.Tokens() >= failureBurst {
				delete(f.by, k)
			}
		}
		f.swept = now
	}
	l, ok := f.by[ip]
	if !ok {
		l = rate.NewLimiter(failureRate, failureBurst)
		f.by[ip] = l
	}
	return l
}

const (
	failureRate  = 5
	failureBurst = 20
)

func (f *failureLimiter) ok(ip string) bool { return f.get(ip).Tokens() >= 1 }
func (f *failureLimiter) fail(ip string)    { f.get(ip).Allow() }

// checkEncoding refuses paths and query strings that are not UTF-8 text: the database would
// refuse them deeper down with an internal error.
func checkEncoding(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		bad := !utf8.ValidString(r.URL.Path) || strings.IndexByte(r.URL.Path, 0) >= 0
		for k, vs := range r.URL.Query() {
			for _, v := range append(vs, k) {
				if !utf8.ValidString(v) || strings.IndexByte(v, 0) >= 0 {
					bad = true
				}
			}
		}
		if bad {
			writeProblem(w, r, newProblem(http.StatusBadRequest, "invalid_encoding", "the path and query must be UTF-8 text without NUL"))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// routeProblems answers a path no operation serves, or a method it does not take, with a
// problem like every other refusal (ServeMux writes plain text).
func (s *Server) routeProblems(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := mux.Handler(r); pattern != "" {
			mux.ServeHTTP(w, r)
			return
		}
		bw := &bufferedWriter{header: http.Header{}}
		mux.ServeHTTP(bw, r)
		switch bw.status {
		case http.StatusNotFound:
			writeProblem(w, r, newProblem(http.StatusNotFound, "not_found", "no operation at this path; see /docs"))
		case http.StatusMethodNotAllowed:
			p := newProblem(http.StatusMethodNotAllowed, "method_not_allowed", "this path does not take "+r.Method)
			p.headers = http.Header{"Allow": bw.header.Values("Allow")}
			writeProblem(w, r, p)
		default:
			bw.flushTo(w)
		}
	})
}

// MaxHeaderBytes is the most a request's header fields may add up to. The http.Server's own
// limit must be higher: past it net/http answers a plain-text 431 before any handler runs.
const MaxHeaderBytes = 32 << 10

// checkHeaderSize refuses oversize header fields with a problem (431, RFC 6585).
func checkHeaderSize(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := len(r.RequestURI)
		for k, vs := range r.Header {
			for _, v := range vs {
				n += len(k) + len(v) + 4 // "k: v\r\n"
			}
		}
		if n > MaxHeaderBytes {
			w.Header().Set("Connection", "close")
			writeProblem(w, r, newProblem(http.StatusRequestHeaderFieldsTooLarge, "header_too_large",
				fmt.Sprintf("the request line and header fields add up to more than %d bytes", MaxHeaderBytes)))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// checkIdempotencyKey holds the header to its documented form: 1 to 255 visible characters.
// net/http already refuses most control characters with a bare 400; a tab gets here.
func checkIdempotencyKey(r *http.Request) *Problem {
	vs, present := r.Header["Idempotency-Key"]
	if !present {
		return nil
	}
	bad := func(status int, code, msg string) *Problem {
		p := newProblem(status, code, "Idempotency-Key "+msg)
		p.Errors = []FieldError{{Location: "header.Idempotency-Key", Message: msg}}
		return p
	}
	switch key := vs[0]; {
	case len(vs) > 1:
		return bad(http.StatusBadRequest, "header_invalid", "is sent more than once")
	case key == "":
		return bad(http.StatusUnprocessableEntity, "idempotency_key_invalid", "is empty: give at least 1 character (minLength 1) or leave the header out")
	case len(key) > 255:
		return bad(http.StatusUnprocessableEntity, "idempotency_key_invalid", "is at most 255 characters")
	case strings.ContainsFunc(key, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return bad(http.StatusBadRequest, "header_invalid", "contains a control character")
	case !utf8.ValidString(key):
		return bad(http.StatusUnprocessableEntity, "idempotency_key_invalid", "must be UTF-8 text")
	}
	return nil
}

// idempotency makes POST retries safe. The key is scoped to the principal; the request hash
// covers method, path, query and body. The ledger records the key in the same transaction as
// the write, so a retry can never write twice; the first response is stored right after and
// replayed byte for byte.
func (s *Server) idempotency(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.Header.Get("Idempotency-Key")
		p, authed := principalFrom(r.Context())
		if r.Method != http.MethodPost {
			next.ServeHTTP(w, r)
			return
		}
		if pr := checkIdempotencyKey(r); pr != nil {
			writeProblem(w, r, pr)
			return
		}
		if key == "" || !authed || s.Ledger == nil {
			next.ServeHTTP(w, r)
			return
		}
		// Read no more than the operation would accept: only imports take large bodies.
		limit := int64(maxBody)
		if (r.URL.Path == importPath || r.URL.Path == layoutImportPath) && (p.Role == access.Admin || p.Role == access.Registrar) {
			limit = maxImportBody
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
		if err != nil || int64(len(body)) > limit {
			writeProblem(w, r, newProblem(http.StatusRequestEntityTooLarge, "body_too_large", "request body too large"))
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		h := sha256.New()
		h.Write([]byte(r.Method + " " + r.URL.RequestURI() + "\n"))
		h.Write(body)
		reqHash := h.Sum(nil)
		actor := p.Actor()

		if s.replay(w, r, actor, key, reqHash) {
			return
		}
		// Buffered, so that the response is stored before the client can see it (a quick
		// retry then always finds it) and so that a lost race can answer with the winner's.
		bw := &bufferedWriter{header: http.Header{}}
		ctx, idem := ledger.WithIdempotency(r.Context(), key, reqHash)
		next.ServeHTTP(bw, r.WithContext(ctx))
		switch {
		case idem.Committed() && bw.status < 500:
			// Even if the client has gone: its retry must find this response.
			sctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 5*time.Second)
			err := ledger.StoreResponse(sctx, s.Ledger.DB(), actor, key, reqHash, bw.status, bw.header.Get("Content-Type"), bw.body.Bytes())
			cancel()
			if err != nil {
				s.log.ErrorContext(r.Context(), "store idempotent response", "err", err)
			}
		case bw.status == http.StatusConflict && bytes.Contains(bw.body.Bytes(), []byte(`"idempotency_in_progress"`)):
			// A concurrent twin committed first: answer with its response once stored.
			if s.replay(w, r, actor, key, reqHash) {
				return
			}
		}
		bw.flushTo(w)
	})
}

// bufferedWriter holds a whole response until the handler is done.
type bufferedWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *bufferedWriter) Header() http.Header { return b.header }
func (b *bufferedWriter) WriteHeader(code int) {
	if b.status == 0 {
		b.status = code
	}
}
func (b *bufferedWriter) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	return b.body.Write(p)
}

func (b *bufferedWriter) flushTo(w http.ResponseWriter) {
	for k, v := range b.header {
		w.Header()[k] = v
	}
	if b.status == 0 {
		b.status = http.StatusOK
	}
	w.WriteHeader(b.status)
	_, _ = w.Write(b.body.Bytes())
}

// replay answers a retry from the stored response, waiting a little for a response being
// stored right now; it reports whether it answered.
func (s *Server) replay(w http.ResponseWriter, r *http.Request, actor, key string, reqHash []byte) bool {
	deadline := time.Now().Add(3 * time.Second)
	for {
		stored, found, err := ledger.LookupIdempotency(r.Context(), s.Ledger.DB(), actor, key)
		if err != nil {
			s.log.ErrorContext(r.Context(), "idempotency lookup", "err", err)
			writeProblem(w, r, s.unavailableProblem(r.Context(), err))
			return true
		}
		if !found {
			return false
		}
		if !bytes.Equal(stored.RequestHash, reqHash) {
			pr := newProblem(http.StatusUnprocessableEntity, "idempotency_key_reused", "this Idempotency-Key was used for a different request; nothing was written")
			pr.Errors = []FieldError{{Location: "header.Idempotency-Key", Message: "already used with another body or path"}}
			writeProblem(w, r, pr)
			return true
		}
		if stored.Status != 0 {
			if stored.ContentType != "" {
				w.Header().Set("Content-Type", stored.ContentType)
			}
			w.Header().Set("Idempotent-Replayed", "true")
			w.WriteHeader(stored.Status)
			_, _ = w.Write(stored.Body)
			return true
		}
		if time.Since(stored.RecordedAt) > lostAfter {
			// Committed, but its response was never kept (the process died, or answered 5xx
			// after the commit): the write is done; say where it is rather than wait forever.
			pr := newProblem(http.StatusConflict, "idempotency_response_lost",
				fmt.Sprintf("the request with this key was committed as ledger entry %d, but its response was not kept; read the result instead of retrying", stored.FirstSeq))
			pr.Ref = "ledger/" + strconv.FormatInt(stored.FirstSeq, 10)
			writeProblem(w, r, pr)
			return true
		}
		// Committed a moment ago; its response is being stored right now.
		if time.Now().After(deadline) {
			pr := newProblem(http.StatusConflict, "idempotency_in_progress", "the first request with this key is still finishing; retry shortly")
			pr.headers = http.Header{"Retry-After": {"1"}}
			writeProblem(w, r, pr)
			return true
		}
		select {
		case <-r.Context().Done():
			return true
		case <-time.After(20 * time.Millisecond):
		}
	}
}

const maxImportBody = 64 << 20

// lostAfter is how long a committed key may wait for its response before a retry is told
// the response is lost.
const lostAfter = 30 * time.Second

type logHolder struct{ principal string }
type logKey struct{}

func contextWithLog(ctx context.Context, h *logHolder) context.Context {
	return context.WithValue(ctx, logKey{}, h)
}

func logFrom(ctx context.Context) *logHolder {
	h, _ := ctx.Value(logKey{}).(*logHolder)
	return h
}
