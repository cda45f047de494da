package openapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"ipledger/ledger"
	"ipledger/migrations/dbtest"
	"ipledger/openapi"
	"ipledger/registry"
	"ipledger/registry/access"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// syncBuffer collects log output from concurrent handlers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// env is a running API over a fresh database, with one principal per role.
type env struct {
	t         *testing.T
	db        *dbtest.DB
	ledger    *ledger.Ledger
	access    *access.Service
	reg       *registry.Service
	server    *openapi.Server
	http      *httptest.Server
	logs      *syncBuffer
	bankParty string
	tokens    map[access.Role]string
	ids       map[access.Role]string
}

type envOption func(*openapi.Deps)

func newEnv(t *testing.T, opts ...envOption) *env {
	t.Helper()
	db := dbtest.New(t)
	logs := &syncBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	l := ledger.New(db.App, ledger.Options{Log: log})
	t.Cleanup(func() { l.Close() })
	acc := access.New(l)
	reg := registry.New(l)
	sys := ledger.WithActor(context.Background(), "system")
	if err := reg.Seed(sys); err != nil {
		t.Fatal(err)
	}
	deps := openapi.Deps{Ledger: l, Access: acc, Registry: reg, Log: log}
	for _, o := range opts {
		o(&deps)
	}
	srv := openapi.New(deps)
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	e := &env{t: t, db: db, ledger: l, access: acc, reg: reg, server: srv, http: hs, logs: logs, tokens: map[access.Role]string{}, ids: map[access.Role]string{}}
	ctx := ledger.WithActor(context.Background(), "system")
	admin, err := acc.Bootstrap(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	e.tokens[access.Admin] = admin
	me := e.do(http.MethodGet, "/v1/me", admin, nil)
	me.status(http.StatusOK)
	e.ids[access.Admin] = me.json()["id"].(string)
	bank, _, err := reg.RegisterParty(ctx, registry.PartyInput{Name: "中国银行通辽分行", Kind: registry.Bank, RegionCode: "150502"})
	if err != nil {
		t.Fatal(err)
	}
	bp, btok, err := acc.Create(ctx, "bank of china tongliao", access.Bank, bank.ID.String())
	if err != nil {
		t.Fatal(err)
	}
	e.tokens[access.Bank], e.ids[access.Bank], e.bankParty = btok, bp.ID, bank.ID.String()
	for _, r := range []access.Role{access.Registrar, access.Planner, access.Auditor} {
		p, tok, err := acc.Create(ctx, "test "+string(r), r, "")
		if err != nil {
			t.Fatal(err)
		}
		e.tokens[r], e.ids[r] = tok, p.ID
	}
	return e
}

type response struct {
	t      *testing.T
	Code   int
	Header http.Header
	Body   []byte
}

func (r response) status(want int) response {
	r.t.Helper()
	if r.Code != want {
		r.t.Fatalf("status = %d, want %d; body: %s", r.Code, want, r.Body)
	}
	return r
}

func (r response) json() map[string]any {
	r.t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		r.t.Fatalf("body is not a JSON object: %v: %s", err, r.Body)
	}
	return m
}

// problem checks an RFC 9457 response and returns its code.
func (r response) problem(status int, code string) map[string]any {
	r.t.Helper()
	r.status(status)
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
		r.t.Fatalf("Content-Type = %q, want application/problem+json", ct)
	}
	m := r.json()
	if m["code"] != code || m["type"] != "/problems/"+code || int(m["status"].(float64)) != status {
		r.t.Fatalf("problem = %v, want code %s status %d", m, code, status)
	}
	return m
}

func (e *env) do(method, path, token string, body any, headers ...string) response {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, e.http.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{t: e.t, Code: res.StatusCode, Header: res.Header, Body: b}
}
