package console_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"ipledger/ledger"
	"ipledger/migrations/dbtest"
	"ipledger/openapi"
	"ipledger/registry"
	"ipledger/registry/access"
	"ipledger/registry/indicator"
	"ipledger/registry/registrytest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// env is the whole HTTP service (API and console, as cmd/ipledger serves them) over a fresh
// database, with one principal per role and a bank party.
type env struct {
	t         testing.TB
	ledger    *ledger.Ledger
	access    *access.Service
	reg       *registry.Service
	srv       *httptest.Server
	tokens    map[access.Role]string
	ids       map[access.Role]string
	bankParty string
	ctx       context.Context
}

func newEnv(t testing.TB) *env { return newEnvTLS(t, false) }

func newEnvTLS(t testing.TB, tls bool) *env {
	t.Helper()
	db := dbtest.New(t)
	l := ledger.New(db.App, ledger.Options{})
	t.Cleanup(func() { l.Close() })
	acc := access.New(l)
	reg := registry.New(l)
	ctx := ledger.WithActor(context.Background(), "system")
	if err := reg.Seed(ctx); err != nil {
		t.Fatal(err)
	}
	if err := indicator.New(reg).Seed(ctx); err != nil {
		t.Fatal(err)
	}
	api := openapi.New(openapi.Deps{Ledger: l, Access: acc, Registry: reg, Log: slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	var hs *httptest.Server
	if tls {
		hs = httptest.NewTLSServer(api.Handler())
	} else {
		hs = httptest.NewServer(api.Handler())
	}
	t.Cleanup(hs.Close)
	e := &env{t: t, ledger: l, access: acc, reg: reg, srv: hs, tokens: map[access.Role]string{}, ids: map[access.Role]string{}, ctx: ctx}
	admin, err := acc.Bootstrap(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	e.tokens[access.Admin] = admin
	ap, err := acc.Authenticate(ctx, admin)
	if err != nil {
		t.Fatal(err)
	}
	e.ids[access.Admin] = ap.ID
	bank := e.party("中国银行通辽分行", registry.Bank, "150502")
	e.bankParty = bank.String()
	bp, btok, err := acc.Create(ctx, "bank of china tongliao", access.Bank, e.bankParty)
	if err != nil {
		t.Fatal(err)
	}
	e.tokens[access.Bank], e.ids[access.Bank] = btok, bp.ID
	for _, r := range []access.Role{access.Registrar, access.Planner, access.Auditor} {
		p, tok, err := acc.Create(ctx, "test "+string(r), r, "")
		if err != nil {
			t.Fatal(err)
		}
		e.tokens[r], e.ids[r] = tok, p.ID
	}
	return e
}

func (e *env) party(name string, kind registry.PartyKind, region string) fmt.Stringer {
	e.t.Helper()
	p, _, err := e.reg.RegisterParty(e.ctx, registry.PartyInput{Name: name, Kind: kind, RegionCode: region})
	if err != nil {
		e.t.Fatal(err)
	}
	return p.ID
}

// patentNo is a valid invention patent number of year with serial, and its filing date.
func patentNo(year, serial int) (string, string) {
	return registrytest.PatentNo(year, '1', serial), fmt.Sprintf("%04d-03-01", year)
}

// testWriter sends the service's warnings and errors to the test's log.
type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// browser is a client with a cookie jar that does not follow redirects, so tests see them.
type browser struct {
	e *env
	c *http.Client
}

func (e *env) browser() *browser {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Transport: e.srv.Client().Transport, Jar: jar, // a client of its own: srv.Client() is shared
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &browser{e: e, c: c}
}

// login signs in with role's token through the form.
func (e *env) login(role access.Role) *browser {
	e.t.Helper()
	b := e.browser()
	res := b.post("/console/login", url.Values{"token": {e.tokens[role]}})
	res.status(http.StatusSeeOther)
	return b
}

type page struct {
	t      testing.TB
	Code   int
	Header http.Header
	Body   string
	cookie []*http.Cookie
}

func (p page) status(want int) page {
	p.t.Helper()
	if p.Code != want {
		p.t.Fatalf("status %d, want %d; body:\n%s", p.Code, want, p.Body)
	}
	return p
}

func (p page) contains(s ...string) page {
	p.t.Helper()
	for _, x := range s {
		if !strings.Contains(p.Body, x) {
			p.t.Fatalf("page lacks %q:\n%s", x, p.Body)
		}
	}
	return p
}

func (p page) lacks(s ...string) page {
	p.t.Helper()
	for _, x := range s {
		if strings.Contains(p.Body, x) {
			p.t.Fatalf("page has %q:\n%s", x, p.Body)
		}
	}
	return p
}

func (b *browser) do(req *http.Request) page {
	b.e.t.Helper()
	res, err := b.c.Do(req)
	if err != nil {
		b.e.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return page{t: b.e.t, Code: res.StatusCode, Header: res.Header, Body: string(body), cookie: res.Cookies()}
}

func (b *browser) get(path string) page {
	b.e.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, b.e.srv.URL+path, nil)
	return b.do(req)
}

// post submits a form as a browser does from the console's own page.
func (b *browser) post(path string, form url.Values, headers ...string) page {
	b.e.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, b.e.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", b.e.srv.URL)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return b.do(req)
}

// api calls the JSON API with role's token and decodes the answer.
func (e *env) api(role access.Role, method, path string, body any) (int, map[string]any) {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		j, _ := json.Marshal(body)
		rd = strings.NewReader(string(j))
	}
	req, _ := http.NewRequest(method, e.srv.URL+path, rd)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+e.tokens[role])
	res, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	var m map[string]any
	b, _ := io.ReadAll(res.Body)
	_ = json.Unmarshal(b, &m)
	return res.StatusCode, m
}

var tagRE = regexp.MustCompile(`<[^>]+>`)

// text is an HTML fragment's text, tags removed and spaces squeezed.
func text(s string) string {
	return strings.Join(strings.Fields(tagRE.ReplaceAllString(s, " ")), " ")
}

// cell returns the text of the element with class cls in the table row of data-code code.
func cell(t *testing.T, body, code, cls string) string {
	t.Helper()
	re := regexp.MustCompile(`(?s)<tr data-code="` + regexp.QuoteMeta(code) + `">(.*?)</tr>`)
	m := re.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no row for %s", code)
	}
	cre := regexp.MustCompile(`(?s)<td class="num ` + cls + `">(.*?)</td>`)
	c := cre.FindStringSubmatch(m[1])
	if c == nil {
		t.Fatalf("row %s has no %s cell: %s", code, cls, m[1])
	}
	return text(c[1])
}
