package openapi_test

import (
	"fmt"
	"net/http"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"ipledger/openapi"
	"ipledger/registry/access"
)

// TestRuleMatrix calls every operation of the OpenAPI document with every role and with no
// token, and checks the outcome against the rule table. An operation without a rule fails.
func TestRuleMatrix(t *testing.T) {
	e := newEnv(t)
	rules := e.server.Rules()
	doc := e.server.OpenAPI()
	param := regexp.MustCompile(`\{[^}]+\}`)
	type call struct{ method, path, id string }
	var calls []call
	for path, item := range doc.Paths {
		add := func(m string, id string) {
			calls = append(calls, call{m, param.ReplaceAllString(path, "0192f1c2-0000-7000-8000-000000000000"), id})
		}
		if item.Get != nil {
			add("GET", item.Get.OperationID)
		}
		if item.Post != nil {
			add("POST", item.Post.OperationID)
		}
		if item.Put != nil {
			add("PUT", item.Put.OperationID)
		}
		if item.Patch != nil {
			add("PATCH", item.Patch.OperationID)
		}
		if item.Delete != nil {
			add("DELETE", item.Delete.OperationID)
		}
	}
	sort.Slice(calls, func(i, j int) bool { return calls[i].id < calls[j].id })
	if len(calls) < 8 {
		t.Fatalf("only %d operations in the document", len(calls))
	}
	callers := append([]access.Role{""}, access.Roles()...)
	for _, c := range calls {
		rule, ok := rules[c.id]
		if !ok {
			t.Errorf("%s %s (%s) has no access rule", c.method, c.path, c.id)
			continue
		}
		public := len(rule) == 1 && rule[0] == "public"
		for _, who := range callers {
			name := string(who)
			if who == "" {
				name = "anonymous"
			}
			t.Run(c.id+"/"+name, func(t *testing.T) {
				tok := e.tokens[who]
				var body any
				if c.method != "GET" {
					body = map[string]any{}
				}
				r := e.do(c.method, c.path, tok, body)
				allowed := public || (who != "" && contains(rule, string(who)))
				switch {
				case allowed && (r.Code == http.StatusUnauthorized || r.Code == http.StatusForbidden):
					t.Fatalf("allowed by the table, got %d: %s", r.Code, r.Body)
				case !allowed && who == "" && r.Code != http.StatusUnauthorized:
					t.Fatalf("anonymous call to a protected operation: got %d, want 401", r.Code)
				case !allowed && who != "" && r.Code != http.StatusForbidden:
					t.Fatalf("%s not in the table %v: got %d, want 403: %s", who, rule, r.Code, r.Body)
				}
			})
		}
	}
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func TestTokens(t *testing.T) {
	e := newEnv(t)
	admin := e.tokens[access.Admin]

	t.Run("UnknownTokenIs401", func(t *testing.T) {
		e.do("GET", "/v1/me", "ipl_"+strings.Repeat("A", 43), nil).problem(http.StatusUnauthorized, "unauthorized")
		e.do("GET", "/v1/me", "garbage", nil).problem(http.StatusUnauthorized, "unauthorized")
	})
	t.Run("NoTokenIs401", func(t *testing.T) {
		r := e.do("GET", "/v1/me", "", nil).problem(http.StatusUnauthorized, "unauthorized")
		if r == nil {
			t.Fatal("no problem body")
		}
	})
	t.Run("WrongRoleIs403", func(t *testing.T) {
		e.do("POST", "/v1/principals", e.tokens[access.Planner], map[string]any{"name": "x", "role": "planner"}).problem(http.StatusForbidden, "forbidden")
	})
	t.Run("CreateRevokeRotate", func(t *testing.T) {
		r := e.do("POST", "/v1/principals", admin, map[string]any{"name": "ops planner", "role": "planner"}).status(http.StatusCreated).json()
		tok := r["token"].(string)
		id := r["principal"].(map[string]any)["id"].(string)
		if !strings.HasPrefix(tok, access.TokenPrefix) || len(tok) < 40 {
			t.Fatalf("token %q is too short", tok)
		}
		e.do("GET", "/v1/me", tok, nil).status(http.StatusOK)

		rot := e.do("POST", "/v1/principals/"+id+"/rotate", admin, nil).status(http.StatusOK).json()
		newTok := rot["token"].(string)
		e.do("GET", "/v1/me", tok, nil).problem(http.StatusUnauthorized, "unauthorized")
		e.do("GET", "/v1/me", newTok, nil).status(http.StatusOK)

		e.do("POST", "/v1/principals/"+id+"/revoke", admin, nil).status(http.StatusOK)
		e.do("GET", "/v1/me", newTok, nil).problem(http.StatusUnauthorized, "unauthorized")
		e.do("POST", "/v1/principals/"+id+"/revoke", admin, nil).problem(http.StatusConflict, "principal_revoked")
		e.do("POST", "/v1/principals/not-a-uuid/revoke", admin, nil).problem(http.StatusNotFound, "principal_not_found")
	})
	t.Run("BadInput", func(t *testing.T) {
		e.do("POST", "/v1/principals", admin, map[string]any{"name": "x", "role": "king"}).problem(http.StatusUnprocessableEntity, "validation_failed")
		p := e.do("POST", "/v1/principals", admin, map[string]any{"name": "b", "role": "bank"}).problem(http.StatusUnprocessableEntity, "party_required")
		if errs := p["errors"].([]any); errs[0].(map[string]any)["location"] != "body.party_id" {
			t.Fatalf("field at fault = %v", errs)
		}
		e.do("POST", "/v1/principals", admin, `{"name": `).problem(http.StatusBadRequest, "bad_request")
	})
	t.Run("ActorIsThePrincipal", func(t *testing.T) {
		r := e.do("GET", "/v1/ledger/entries?subject=principal/"+e.ids[access.Planner], e.tokens[access.Auditor], nil).status(http.StatusOK).json()
		items := r["items"].([]any)
		if len(items) != 1 {
			t.Fatalf("entries about the planner: %v", items)
		}
		if got := items[0].(map[string]any)["actor"]; got != "system" {
			t.Fatalf("actor = %v, want system (it was created at start-up)", got)
		}
		created := e.do("POST", "/v1/principals", admin, map[string]any{"name": "aud2", "role": "auditor"}).status(http.StatusCreated).json()
		id := created["principal"].(map[string]any)["id"].(string)
		r = e.do("GET", "/v1/ledger/entries?subject=principal/"+id, e.tokens[access.Auditor], nil).status(http.StatusOK).json()
		if got, want := r["items"].([]any)[0].(map[string]any)["actor"], "principal/"+e.ids[access.Admin]; got != want {
			t.Fatalf("actor = %v, want %v", got, want)
		}
	})
	t.Run("NoTokenInLogsOrLedger", func(t *testing.T) {
		logs := e.logs.String()
		if !strings.Contains(logs, `"path":"/v1/me"`) {
			t.Fatalf("request logs missing: %.500s", logs)
		}
		for role, tok := range e.tokens {
			if strings.Contains(logs, tok) || strings.Contains(logs, tok[len(access.TokenPrefix):]) {
				t.Fatalf("the %s token appears in the logs", role)
			}
		}
		r := e.do("GET", "/v1/ledger/entries?limit=1000", e.tokens[access.Auditor], nil).status(http.StatusOK)
		for role, tok := range e.tokens {
			if strings.Contains(string(r.Body), tok[len(access.TokenPrefix):]) {
				t.Fatalf("the %s token appears in the ledger", role)
			}
		}
	})
}

func TestRateLimit(t *testing.T) {
	e := newEnv(t, func(d *openapi.Deps) { d.RateLimit = 2 })
	tok := e.tokens[access.Planner]
	var limited response
	for i := 0; i < 10; i++ {
		r := e.do("GET", "/v1/me", tok, nil)
		if r.Code == http.StatusTooManyRequests {
			limited = r
			break
		}
	}
	if limited.Code == 0 {
		t.Fatal("10 requests at 2/s with burst 4 were never limited")
	}
	limited.problem(http.StatusTooManyRequests, "rate_limited")
	if limited.Header.Get("Retry-After") == "" {
		t.Fatal("429 without Retry-After")
	}
	// Another token has its own bucket.
	e.do("GET", "/v1/me", e.tokens[access.Auditor], nil).status(http.StatusOK)
}

// TestOpenAPIFileIsCurrent: the checked-in document equals what the server serves.
func TestOpenAPIFileIsCurrent(t *testing.T) {
	e := newEnv(t)
	want, err := os.ReadFile("openapi.yaml")
	if err != nil {
		t.Fatalf("%v (run make openapi)", err)
	}
	r := e.do("GET", "/openapi.yaml", "", nil).status(http.StatusOK)
	if string(r.Body) != string(want) {
		t.Fatal("openapi/openapi.yaml is stale: run make openapi and commit it")
	}
	gen, err := openapi.New(openapi.Deps{}).OpenAPI().YAML()
	if err != nil {
		t.Fatal(err)
	}
	if string(gen) != string(want) {
		t.Fatal("the document differs between a configured and a bare server")
	}
}

func TestServiceEndpoints(t *testing.T) {
	e := newEnv(t)
	e.do("GET", "/healthz", "", nil).status(http.StatusOK)
	r := e.do("GET", "/docs", "", nil).status(http.StatusOK)
	if strings.Contains(string(r.Body), "https://") || strings.Contains(string(r.Body), "http://") {
		t.Fatal("/docs references an absolute URL")
	}
	e.do("GET", "/openapi.json", "", nil).status(http.StatusOK)
	e.do("GET", "/v1/nope", "", nil).status(http.StatusNotFound)
	e.do("GET", fmt.Sprintf("/v1/ledger/entries/%d", 99999), e.tokens[access.Auditor], nil).problem(http.StatusNotFound, "not_found")
	e.do("GET", "/v1/ledger/entries/abc", e.tokens[access.Auditor], nil).problem(http.StatusUnprocessableEntity, "validation_failed")
	e.do("GET", "/v1/ledger/entries?cursor=zz", e.tokens[access.Auditor], nil).problem(http.StatusUnprocessableEntity, "cursor_invalid")
	v := e.do("GET", "/v1/ledger/verify", e.tokens[access.Auditor], nil).status(http.StatusOK).json()
	if v["ok"] != true || v["first_bad_seq"] != nil || v["checked"].(float64) < 4 {
		t.Fatalf("verify = %v", v)
	}
}

func TestHardening(t *testing.T) {
	e := newEnv(t)
	t.Run("BearerIsCaseInsensitive", func(t *testing.T) {
		req, _ := http.NewRequest("GET", e.http.URL+"/v1/me", nil)
		req.Header.Set("Authorization", "bearer "+e.tokens[access.Planner])
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Fatalf("status = %d", res.StatusCode)
		}
	})
	t.Run("InvalidUTF8Query", func(t *testing.T) {
		e.do("GET", "/v1/ledger/entries?subject=%ff", e.tokens[access.Auditor], nil).problem(http.StatusBadRequest, "invalid_encoding")
	})
	t.Run("BadJSONDoesNotEchoParserText", func(t *testing.T) {
		r := e.do("POST", "/v1/principals", e.tokens[access.Admin], `{"name": "x", "role": }`)
		r.problem(http.StatusBadRequest, "bad_request")
		if strings.Contains(string(r.Body), "invalid character") || strings.Contains(string(r.Body), `"role": }`) {
			t.Fatalf("problem carries parser text or the body: %s", r.Body)
		}
	})
	t.Run("BigBodyRefusedBeforeReading", func(t *testing.T) {
		big := `{"name": "` + strings.Repeat("x", 2<<20) + `", "role": "planner"}`
		e.do("POST", "/v1/principals", e.tokens[access.Planner], big, "Idempotency-Key", "big").problem(http.StatusRequestEntityTooLarge, "body_too_large")
	})
	t.Run("FailedAuthenticationsAreLimited", func(t *testing.T) {
		limited := false
		for i := 0; i < 60 && !limited; i++ {
			r := e.do("GET", "/v1/me", "ipl_"+strings.Repeat("B", 43), nil)
			limited = r.Code == http.StatusTooManyRequests
		}
		if !limited {
			t.Fatal("60 bad tokens in a row were never limited")
		}
	})
}
