package openapi_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"ipledger/ledger"
	"ipledger/migrations/pgdb"
	"ipledger/registry/access"
)

// TestRevocationFoldedIntoTheGet: the GET of one pledge reads the revocation count in its own
// statement for a token whose principal is cached, and still refuses a token rotated away or
// revoked by another process at the very next request — whatever that request would otherwise
// have been answered (200, 404, 403, a 422 huma writes before the handler runs), with the
// refusal's headers and nothing of the answer's.
func TestRevocationFoldedIntoTheGet(t *testing.T) {
	e := newPledgeEnv(t)
	sys := ledger.WithActor(context.Background(), "system")
	pledge := e.do("POST", "/v1/pledges", e.tokens[access.Bank], e.pledgeBody(e.patent())).status(http.StatusCreated).json()["id"].(string)
	path := "/v1/pledges/" + pledge
	missing := "/v1/pledges/01a223e0-e02e-78c7-b15f-e780dd7940eb"

	// Another process: its own pool, ledger and token cache over the same database.
	pool, err := pgdb.Open(e.db.AppDSN, pgdb.Config{MaxConns: 4, StatementTimeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	lb := ledger.New(pool, ledger.Options{})
	defer lb.Close()
	other := access.New(lb)

	auditor, tok, err := e.access.Create(sys, "folded auditor", access.Auditor, "")
	if err != nil {
		t.Fatal(err)
	}
	planner, ptok, err := e.access.Create(sys, "folded planner", access.Planner, "")
	if err != nil {
		t.Fatal(err)
	}
	for range 3 { // the first checks the token on its own; the others take it from the cache
		e.do("GET", path, tok, nil).status(http.StatusOK)
		e.do("GET", missing, tok, nil).status(http.StatusNotFound)
		e.do("GET", path, ptok, nil).status(http.StatusForbidden)
	}
	for _, tk := range []string{tok, ptok} {
		if _, _, ok := e.access.Cached(tk); !ok {
			t.Fatal("the token is not cached after three GETs: the folded check is not exercised")
		}
	}
	refused := func(r response) {
		t.Helper()
		r.status(http.StatusUnauthorized)
		if !strings.Contains(r.Header.Get("Www-Authenticate"), `error="invalid_token"`) || r.Header.Get("Content-Type") != "application/problem+json" {
			t.Fatalf("refusal headers: %v", r.Header)
		}
		if b := string(r.Body); !strings.Contains(b, `"code":"unauthorized"`) || strings.Contains(b, "contract_no") || !strings.Contains(b, `"instance":"/v1/pledges/`) {
			t.Fatalf("refusal body: %s", b)
		}
	}

	// A rotation of someone else moves the count: the cached answer is checked afresh and stands.
	if _, err := other.Rotate(sys, e.ids[access.Registrar]); err != nil {
		t.Fatal(err)
	}
	e.do("GET", path, tok, nil).status(http.StatusOK)

	fresh, err := other.Rotate(sys, auditor.ID)
	if err != nil {
		t.Fatal(err)
	}
	refused(e.do("GET", path, tok, nil))
	refused(e.do("GET", missing, tok, nil))
	refused(e.do("GET", "/v1/pledges/"+strings.Repeat("x", 80), tok, nil))
	for range 2 {
		e.do("GET", path, fresh, nil).status(http.StatusOK)
	}
	if err := other.Revoke(sys, auditor.ID); err != nil {
		t.Fatal(err)
	}
	refused(e.do("GET", path, fresh, nil))
	if err := other.Revoke(sys, planner.ID); err != nil {
		t.Fatal(err)
	}
	refused(e.do("GET", path, ptok, nil))
}
