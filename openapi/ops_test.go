package openapi_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"ipledger/ledger"
	"ipledger/migrations"
	"ipledger/migrations/dbtest"
	"ipledger/migrations/pgdb"
	"ipledger/openapi"
	"ipledger/openapi/metrics"
	"ipledger/registry"
	"ipledger/registry/access"
)

// opsEnv is an API whose ledger reports to a metrics registry, as `ipledger serve` wires it.
func opsEnv(t *testing.T) (*env, *metrics.Metrics) {
	t.Helper()
	db := dbtest.New(t)
	m := metrics.New()
	l := ledger.New(db.App, ledger.Options{Observer: m})
	t.Cleanup(func() { l.Close() })
	m.WatchDB(db.App.DB, "primary")
	m.WatchLedger(l, func() (int64, error) { return ledger.LastSeq(context.Background(), db.App) })
	acc := access.New(l)
	reg := registry.New(l)
	sys := ledger.WithActor(context.Background(), "system")
	if err := reg.Seed(sys); err != nil {
		t.Fatal(err)
	}
	srv := openapi.New(openapi.Deps{Ledger: l, Access: acc, Registry: reg, Log: slog.New(slog.DiscardHandler), Metrics: m})
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	e := &env{t: t, db: db, ledger: l, access: acc, reg: reg, server: srv, http: hs, logs: &syncBuffer{}, tokens: map[access.Role]string{}, ids: map[access.Role]string{}}
	admin, err := acc.Bootstrap(sys, "")
	if err != nil {
		t.Fatal(err)
	}
	e.tokens[access.Admin] = admin
	for _, r := range []access.Role{access.Registrar, access.Auditor} {
		_, tok, err := acc.Create(sys, "test "+string(r), r, "")
		if err != nil {
			t.Fatal(err)
		}
		e.tokens[r] = tok
	}
	return e, m
}

// scrape reads /metrics as an auditor and parses the text format.
func scrape(e *env) map[string]*dto.MetricFamily {
	e.t.Helper()
	r := e.do(http.MethodGet, "/metrics", e.tokens[access.Auditor], nil).status(http.StatusOK)
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(r.Body))
	if err != nil {
		e.t.Fatalf("metrics do not parse: %v", err)
	}
	return fams
}

// value is the sample of family name whose labels include want (counter, gauge or, for a
// histogram, its count).
func value(t *testing.T, fams map[string]*dto.MetricFamily, name string, want map[string]string) float64 {
	t.Helper()
	f, ok := fams[name]
	if !ok {
		t.Fatalf("no metric %s", name)
	}
next:
	for _, m := range f.Metric {
		for k, v := range want {
			found := false
			for _, lp := range m.Label {
				if lp.GetName() == k && lp.GetValue() == v {
					found = true
				}
			}
			if !found {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue()
		case m.Gauge != nil:
			return m.Gauge.GetValue()
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount())
		}
	}
	t.Fatalf("no sample of %s with labels %v", name, want)
	return 0
}

func TestMetricsCountRequestsCommitsReplaysRefusalsAndVerify(t *testing.T) {
	e, _ := opsEnv(t)
	e.do(http.MethodGet, "/metrics", "", nil).problem(http.StatusUnauthorized, "unauthorized")
	e.do(http.MethodGet, "/metrics", e.tokens[access.Registrar], nil).problem(http.StatusForbidden, "forbidden")

	reg := e.tokens[access.Registrar]
	body := map[string]any{"name": "metrics co", "kind": "enterprise", "region_code": "150502"}
	first := e.do(http.MethodPost, "/v1/parties", reg, body, "Idempotency-Key", "m-1").status(http.StatusCreated)
	again := e.do(http.MethodPost, "/v1/parties", reg, body, "Idempotency-Key", "m-1").status(http.StatusCreated)
	if again.Header.Get("Idempotent-Replayed") != "true" || !bytes.Equal(first.Body, again.Body) {
		t.Fatalf("retry did not replay: %s", again.Header)
	}
	for range 2 {
		e.do(http.MethodPost, "/v1/parties", reg, map[string]any{"name": "typo co", "kind": "enterprise", "region_code": "150502", "uscc": "91110000802100433C"}).
			problem(http.StatusUnprocessableEntity, "uscc_check")
	}
	e.do(http.MethodGet, "/v1/ledger/verify", e.tokens[access.Auditor], nil).status(http.StatusOK)

	fams := scrape(e)
	if n := value(t, fams, "ipledger_http_requests_total", map[string]string{"operation": "create-party", "status": "201"}); n != 2 {
		t.Errorf("create-party 201 = %v, want 2 (the first and its replay)", n)
	}
	if n := value(t, fams, "ipledger_http_requests_total", map[string]string{"operation": "create-party", "status": "422"}); n != 2 {
		t.Errorf("create-party 422 = %v, want 2", n)
	}
	if n := value(t, fams, "ipledger_http_request_duration_seconds", map[string]string{"operation": "create-party"}); n != 4 {
		t.Errorf("create-party latency samples = %v, want 4", n)
	}
	if n := value(t, fams, "ipledger_idempotent_replays_total", map[string]string{"operation": "create-party"}); n != 1 {
		t.Errorf("replays = %v, want 1", n)
	}
	if n := value(t, fams, "ipledger_problems_total", map[string]string{"status": "422", "code": "uscc_check"}); n != 2 {
		t.Errorf("uscc_check refusals = %v, want 2", n)
	}
	if n := value(t, fams, "ipledger_problems_total", map[string]string{"status": "401", "code": "unauthorized"}); n != 1 {
		t.Errorf("unauthorized refusals = %v, want 1", n)
	}
	if n := value(t, fams, "ipledger_ledger_verify_runs_total", map[string]string{"result": "ok"}); n != 1 {
		t.Errorf("verify ok = %v, want 1", n)
	}
	if n := value(t, fams, "ipledger_ledger_verify_runs_total", map[string]string{"result": "broken"}); n != 0 {
		t.Errorf("verify broken = %v, want 0", n)
	}
	// Every ledger write so far (seed, principals, the party) went through the committer.
	head, err := ledger.LastSeq(context.Background(), e.db.App)
	if err != nil {
		t.Fatal(err)
	}
	if got := value(t, fams, "ipledger_ledger_head_seq", nil); got != float64(head) {
		t.Errorf("head_seq = %v, want %d", got, head)
	}
	var entries float64
	for _, m := range fams["ipledger_ledger_batch_entries"].Metric {
		entries += m.Histogram.GetSampleSum()
	}
	if entries != float64(head) {
		t.Errorf("batch_entries sum = %v, want every entry committed (%d)", entries, head)
	}
	if n := value(t, fams, "ipledger_ledger_commit_seconds", map[string]string{"result": "ok"}); n < 1 {
		t.Errorf("commit latency samples = %v", n)
	}
	if n := value(t, fams, "ipledger_ledger_queue_capacity", nil); n != 1024 {
		t.Errorf("queue capacity = %v, want 1024", n)
	}
	value(t, fams, "ipledger_ledger_queue_depth", nil)
	if n := value(t, fams, "go_sql_max_open_connections", map[string]string{"db_name": "primary"}); n < 1 {
		t.Errorf("pool max open = %v", n)
	}
}

func TestReadyzNamesWhatIsMissing(t *testing.T) {
	e, _ := opsEnv(t)
	want, err := migrations.Latest()
	if err != nil {
		t.Fatal(err)
	}
	r := e.do(http.MethodGet, "/readyz", "", nil).status(http.StatusOK).json()
	if r["status"] != "ready" || r["migration_version"] != float64(want) {
		t.Fatalf("readyz = %v, want ready at version %d", r, want)
	}

	// A database one migration behind this binary is not ready for it.
	super, err := pgdb.Open(e.db.SuperDSN, pgdb.Config{MaxConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer super.Close()
	ctx := context.Background()
	if _, err := super.ExecContext(ctx, `UPDATE schema_migrations SET version = version - 1`); err != nil {
		t.Fatal(err)
	}
	res := e.do(http.MethodGet, "/readyz", "", nil)
	res.problem(http.StatusServiceUnavailable, "migrations_pending")
	if res.Header.Get("Retry-After") == "" {
		t.Error("no Retry-After on 503")
	}
	if _, err := super.ExecContext(ctx, `UPDATE schema_migrations SET version = version + 1`); err != nil {
		t.Fatal(err)
	}
	e.do(http.MethodGet, "/readyz", "", nil).status(http.StatusOK)

	// A stopped committer (shutting down) is not ready; liveness still answers.
	e.ledger.Close()
	e.do(http.MethodGet, "/readyz", "", nil).problem(http.StatusServiceUnavailable, "committer_stopped")
	e.do(http.MethodGet, "/healthz", "", nil).status(http.StatusOK)
}

// With the database gone, readiness and writes say database_unavailable (503, Retry-After)
// instead of an internal error.
func TestDatabaseGoneIsUnavailableNotInternal(t *testing.T) {
	e, _ := opsEnv(t)
	reg := e.tokens[access.Registrar]
	e.do(http.MethodPost, "/v1/parties", reg, map[string]any{"name": "before co", "kind": "enterprise", "region_code": "150502"}).status(http.StatusCreated)
	// Nothing listens on this socket: the pool's fresh connections are refused.
	dead, err := pgdb.Open("unix://ipledger_app@ipledger/nonexistent/.s.PGSQL.5432?sslmode=disable", pgdb.Config{MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer dead.Close()
	l := ledger.New(dead, ledger.Options{WithoutLog: true})
	defer l.Close()
	srv := openapi.New(openapi.Deps{Ledger: l, Access: e.access, Registry: registry.New(l), Log: slog.New(slog.DiscardHandler)})
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	e2 := &env{t: t, http: hs}
	res := e2.do(http.MethodGet, "/readyz", "", nil)
	res.problem(http.StatusServiceUnavailable, "database_unavailable")
	if res.Header.Get("Retry-After") == "" {
		t.Error("readyz: no Retry-After")
	}
	// Authentication reads through e.access (alive); the write goes to the dead ledger.
	res = e2.do(http.MethodPost, "/v1/parties", reg, map[string]any{"name": "during co", "kind": "enterprise", "region_code": "150502"})
	res.problem(http.StatusServiceUnavailable, "database_unavailable")
	if res.Header.Get("Retry-After") == "" {
		t.Error("write: no Retry-After")
	}
}
