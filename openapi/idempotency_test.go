package openapi_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"ipledger/ledger"
	"ipledger/registry/access"
)

func principalCount(t *testing.T, e *env) int {
	t.Helper()
	var n int
	if err := e.db.App.QueryRowContext(context.Background(), `SELECT count(*) FROM access.principals`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func headSeq(t *testing.T, e *env) int64 {
	t.Helper()
	rep, err := ledger.Verify(context.Background(), e.db.App)
	if err != nil || !rep.OK {
		t.Fatalf("verify: %+v %v", rep, err)
	}
	return rep.HeadSeq
}

func TestIdempotentRetry(t *testing.T) {
	e := newEnv(t)
	admin := e.tokens[access.Admin]
	body := map[string]any{"name": "retry planner", "role": "planner"}

	first := e.do("POST", "/v1/principals", admin, body, "Idempotency-Key", "k-1").status(http.StatusCreated)
	n, seq := principalCount(t, e), headSeq(t, e)

	t.Run("SameKeySameBodyReplays", func(t *testing.T) {
		again := e.do("POST", "/v1/principals", admin, body, "Idempotency-Key", "k-1").status(http.StatusCreated)
		if string(again.Body) != string(first.Body) {
			t.Fatalf("replay differs:\n first %s\n again %s", first.Body, again.Body)
		}
		if again.Header.Get("Idempotent-Replayed") != "true" {
			t.Fatal("replay not marked")
		}
		if got := principalCount(t, e); got != n {
			t.Fatalf("principals = %d after replay, want %d", got, n)
		}
		if got := headSeq(t, e); got != seq {
			t.Fatalf("ledger head moved from %d to %d on replay", seq, got)
		}
	})
	t.Run("SameKeyOtherBodyRefused", func(t *testing.T) {
		e.do("POST", "/v1/principals", admin, map[string]any{"name": "someone else", "role": "planner"}, "Idempotency-Key", "k-1").
			problem(http.StatusUnprocessableEntity, "idempotency_key_reused")
		if got := headSeq(t, e); got != seq {
			t.Fatalf("ledger head moved from %d to %d", seq, got)
		}
	})
	t.Run("SameKeyOtherPrincipalIsNew", func(t *testing.T) {
		other, _, err := e.access.Create(ledger.WithActor(context.Background(), "system"), "admin 2", access.Admin, "")
		if err != nil {
			t.Fatal(err)
		}
		tok, err := e.access.Rotate(ledger.WithActor(context.Background(), "system"), other.ID)
		if err != nil {
			t.Fatal(err)
		}
		e.do("POST", "/v1/principals", tok, body, "Idempotency-Key", "k-1").status(http.StatusCreated)
	})
	t.Run("ConcurrentTwinsWriteOnce", func(t *testing.T) {
		before := principalCount(t, e)
		body := map[string]any{"name": "twin", "role": "auditor"}
		var wg sync.WaitGroup
		codes := make([]int, 16)
		bodies := make([]string, 16)
		for i := range codes {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				r := e.do("POST", "/v1/principals", admin, body, "Idempotency-Key", "twin-key")
				codes[i], bodies[i] = r.Code, string(r.Body)
			}(i)
		}
		wg.Wait()
		if got := principalCount(t, e); got != before+1 {
			t.Fatalf("principals = %d, want %d: concurrent twins wrote more than once", got, before+1)
		}
		// Every twin answers with the winner's response: the losers wait for it.
		for i, c := range codes {
			if c != http.StatusCreated || bodies[i] != bodies[0] {
				t.Fatalf("twin %d got %d %s; twin 0 got %d %s", i, c, bodies[i], codes[0], bodies[0])
			}
		}
	})
	t.Run("FailedRequestIsNotStored", func(t *testing.T) {
		e.do("POST", "/v1/principals", admin, map[string]any{"name": "b", "role": "bank"}, "Idempotency-Key", "k-bad").
			problem(http.StatusUnprocessableEntity, "party_required")
		// Fixing the request under the same key is a new request, not a reuse.
		e.do("POST", "/v1/principals", admin, map[string]any{"name": "b", "role": "bank"}, "Idempotency-Key", "k-bad").
			problem(http.StatusUnprocessableEntity, "party_required")
	})
}

// A twin with the same key but another body, racing the first, is refused like any reuse.
func TestIdempotentTwinWithOtherBody(t *testing.T) {
	e := newEnv(t)
	admin := e.tokens[access.Admin]
	var wg sync.WaitGroup
	codes := make([]int, 8)
	for i := range codes {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			body := map[string]any{"name": fmt.Sprintf("twin %d", i%2), "role": "auditor"}
			codes[i] = e.do("POST", "/v1/principals", admin, body, "Idempotency-Key", "mixed").Code
		}(i)
	}
	wg.Wait()
	created, reused := 0, 0
	for _, c := range codes {
		switch c {
		case http.StatusCreated:
			created++
		case http.StatusUnprocessableEntity:
			reused++
		default:
			t.Fatalf("codes = %v", codes)
		}
	}
	if created != 4 || reused != 4 {
		t.Fatalf("codes = %v: want the 4 of the winning body created (replayed) and 4 refused", codes)
	}
}

// A key committed long ago whose response was never kept (the process died between commit
// and store) is reported as done, with where, instead of "in progress" forever.
func TestIdempotentResponseLost(t *testing.T) {
	e := newEnv(t)
	admin := e.tokens[access.Admin]
	body := map[string]any{"name": "lost", "role": "planner"}
	e.do("POST", "/v1/principals", admin, body, "Idempotency-Key", "lost-1").status(http.StatusCreated)
	if _, err := e.db.App.ExecContext(context.Background(),
		`UPDATE ledger.idempotency SET status = NULL, response = NULL, recorded_at = now() - interval '1 minute' WHERE key = 'lost-1'`); err != nil {
		t.Fatal(err)
	}
	n := principalCount(t, e)
	p := e.do("POST", "/v1/principals", admin, body, "Idempotency-Key", "lost-1").problem(http.StatusConflict, "idempotency_response_lost")
	if ref, _ := p["ref"].(string); !strings.HasPrefix(ref, "ledger/") {
		t.Fatalf("ref = %v", p["ref"])
	}
	if got := principalCount(t, e); got != n {
		t.Fatal("the retry wrote again")
	}
}
