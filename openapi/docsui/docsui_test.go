package docsui

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

const (
	testPrefix = "/docs"
	testSpec   = "/openapi.json"
)

var (
	attrRE     = regexp.MustCompile(`(?:src|href)="([^"]*)"`)
	absoluteRE = regexp.MustCompile(`(?i)https?://`)
	// inline <script> bodies, event-handler attributes and javascript: URLs
	// would all be blocked by the CSP.
	inlineRE = regexp.MustCompile(`(?i)<script[^>]*>[^<]+</script>|\son\w+=|javascript:`)
)

func get(t *testing.T, h http.Handler, target string) *http.Response {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
	return rec.Result()
}

func body(t *testing.T, res *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestPage(t *testing.T) {
	h := Handler(testPrefix, testSpec, "ipledger API <test>")
	for _, target := range []string{testPrefix, testPrefix + "/"} {
		res := get(t, h, target)
		page := body(t, res)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: status %d", target, res.StatusCode)
		}
		if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
			t.Errorf("GET %s: Content-Type %q", target, ct)
		}
		csp := res.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "default-src 'self'") || strings.Contains(csp, "unsafe-") {
			t.Errorf("GET %s: Content-Security-Policy %q", target, csp)
		}
		if got := res.Header.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("GET %s: X-Content-Type-Options %q", target, got)
		}
		if !strings.Contains(page, `data-spec-url="`+testSpec+`"`) {
			t.Errorf("GET %s: page does not reference %s:\n%s", target, testSpec, page)
		}
		if !strings.Contains(page, "ipledger API &lt;test&gt;") {
			t.Errorf("GET %s: title not escaped/present:\n%s", target, page)
		}
		if inlineRE.MatchString(page) {
			t.Errorf("GET %s: page has inline script", target)
		}
		if m := absoluteRE.FindString(page); m != "" {
			t.Errorf("GET %s: page contains absolute URL %q", target, m)
		}
	}
}

func TestReferencedAssets(t *testing.T) {
	h := Handler(testPrefix, testSpec, "API")
	page := body(t, get(t, h, testPrefix))
	refs := attrRE.FindAllStringSubmatch(page, -1)
	if len(refs) < 4 {
		t.Fatalf("expected at least 4 asset references, got %v", refs)
	}
	want := map[string]string{
		"swagger-ui-bundle.js": "text/javascript",
		"init.js":              "text/javascript",
		"swagger-ui.css":       "text/css",
		"favicon-32x32.png":    "image/png",
	}
	seen := map[string]bool{}
	for _, m := range refs {
		ref := strings.ReplaceAll(m[1], "&amp;", "&")
		u, err := url.Parse(ref)
		if err != nil {
			t.Fatalf("bad reference %q: %v", ref, err)
		}
		if u.IsAbs() || u.Host != "" {
			t.Errorf("reference %q is not same-origin", ref)
			continue
		}
		if !strings.HasPrefix(u.Path, testPrefix+"/assets/") {
			t.Errorf("reference %q is outside %s/assets/", ref, testPrefix)
			continue
		}
		res := get(t, h, ref)
		b := body(t, res)
		if res.StatusCode != http.StatusOK || len(b) == 0 {
			t.Errorf("GET %s: status %d, %d bytes", ref, res.StatusCode, len(b))
			continue
		}
		name := strings.TrimPrefix(u.Path, testPrefix+"/assets/")
		seen[name] = true
		if ct := res.Header.Get("Content-Type"); want[name] != "" && !strings.HasPrefix(ct, want[name]) {
			t.Errorf("GET %s: Content-Type %q, want %s", ref, ct, want[name])
		}
		if cc := res.Header.Get("Cache-Control"); !strings.Contains(cc, "max-age=") {
			t.Errorf("GET %s: Cache-Control %q", ref, cc)
		}
		if res.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("GET %s: missing nosniff", ref)
		}
	}
	for name := range want {
		if !seen[name] {
			t.Errorf("page does not reference %s", name)
		}
	}
}

func TestInitScript(t *testing.T) {
	h := Handler(testPrefix, testSpec, "API")
	res := get(t, h, testPrefix+"/assets/init.js")
	js := body(t, res)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d", res.StatusCode)
	}
	if m := absoluteRE.FindString(js); m != "" {
		t.Errorf("init.js contains absolute URL %q", m)
	}
	for _, s := range []string{"SwaggerUIBundle(", "data-spec-url", "#swagger-ui", "deepLinking: true", "validatorUrl: null"} {
		if !strings.Contains(js, s) {
			t.Errorf("init.js lacks %q", s)
		}
	}
}

func TestConditionalGet(t *testing.T) {
	h := Handler(testPrefix, testSpec, "API")
	res := get(t, h, testPrefix+"/assets/swagger-ui.css")
	etag := res.Header.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}
	req := httptest.NewRequest(http.MethodGet, testPrefix+"/assets/swagger-ui.css", nil)
	req.Header.Set("If-None-Match", etag)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusNotModified {
		t.Errorf("If-None-Match: status %d, want 304", rec.Code)
	}
}

func TestNotFound(t *testing.T) {
	h := Handler(testPrefix+"/", testSpec, "API") // trailing slash is tolerated
	for _, target := range []string{
		testPrefix + "/assets/nope.js",
		testPrefix + "/assets/swagger-ui-bundle.js.map",
		testPrefix + "/assets/",
		testPrefix + "/assets/../docsui.go",
		testPrefix + "/other",
		"/elsewhere",
	} {
		if res := get(t, h, target); res.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: status %d, want 404", target, res.StatusCode)
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, testPrefix, nil))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST: status %d, want 405", rec.Code)
	}
}
