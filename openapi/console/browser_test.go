package console_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/google/uuid"

	"ipledger/registry"
	"ipledger/registry/access"
)

// chromium finds Debian's chromium. The browser tests do not skip without it: CI installs it
// (.ci/run), and a developer is told how.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("the browser tests need Chromium: apt-get install -y chromium (.ci/run installs it when missing)")
	return ""
}

// shots is where the screenshots go: testdata/out (ignored by git), printed in the log.
func shots(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("testdata", "out"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshots in %s", dir)
	return dir
}

type tab struct {
	t   *testing.T
	ctx context.Context
	dir string
	url string
}

func newTab(t *testing.T, base string) *tab {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)), chromedp.Headless, chromedp.DisableGPU,
		chromedp.NoSandbox, // CI runs as root, where Chromium's sandbox cannot start
		chromedp.WindowSize(1366, 768), chromedp.Flag("lang", "zh-CN"),
	)
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	ctx, cancelT := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() { cancelT(); cancelC(); cancelA() })
	tb := &tab{t: t, ctx: ctx, dir: shots(t), url: base}
	// Every page records the Content-Security-Policy violations it causes; noCSPViolations
	// checks there are none. (A script added through DevTools is not subject to the page's CSP.)
	tb.do(func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		_, err := cdp.Call(ctx, tg, cdppage.AddScriptToEvaluateOnNewDocument, cdppage.AddScriptToEvaluateOnNewDocumentParams{Source: `window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) { window.__csp.push(e.violatedDirective + " " + e.blockedURI); });`})
		return chromedp.Void{}, err
	})
	return tb
}

func (b *tab) do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		b.t.Fatal(err)
	}
}

func (b *tab) open(path string, ready chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	b.do(chromedp.Navigate(b.url+path), ready)
	b.noCSPViolations(path)
}

func (b *tab) text(sel string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("text of %s: %v", sel, err)
	}
	return strings.TrimSpace(s)
}

func eval[T any](b *tab, js string) T {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](js))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

// noCSPViolations fails when the page reported a blocked script, style or connection.
func (b *tab) noCSPViolations(where string) {
	b.t.Helper()
	if v := eval[[]string](b, `window.__csp || []`); len(v) > 0 {
		b.t.Errorf("%s: Content-Security-Policy violations: %v", where, v)
	}
}

// fitsWidth checks that the page does not scroll sideways (wide tables scroll inside their
// own box).
func (b *tab) fitsWidth(where string) {
	b.t.Helper()
	if w := eval[[]int](b, `[document.documentElement.scrollWidth, window.innerWidth]`); w[0] > w[1] {
		b.t.Errorf("%s: page is %dpx wide in a %dpx window", where, w[0], w[1])
	}
}

func (b *tab) shot(name string) {
	b.t.Helper()
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(b.dir, name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// submit clicks a form's button and waits for the page it leads to.
func (b *tab) submit(sel string) {
	b.t.Helper()
	if _, err := chromedp.RunResponse(b.ctx, chromedp.Click(chromedp.CSS(sel))); err != nil {
		b.t.Fatalf("submit %s: %v", sel, err)
	}
	b.noCSPViolations(sel)
}

func TestBrowser(t *testing.T) {
	e := newEnv(t)
	owner := e.party("通辽稀土新材料有限公司", registry.Enterprise, "150502").(uuid.UUID)
	a, _ := e.asset(access.Admin, "ZL2013106997442", "2013-12-18")
	pl := e.pledge(a)
	b := newTab(t, e.srv.URL)
	// Sign in as the admin (who may open every page) through the form, by keyboard.
	b.open("/console/login", chromedp.WaitVisible(chromedp.ID("token")))
	b.shot("01-login")
	b.do(chromedp.SendKeys(chromedp.ID("token"), "ipl_wrong"))
	b.submit(`form[action="/console/login"] button`)
	if msg := b.text("#login-error"); !strings.Contains(msg, "令牌无效") {
		t.Fatalf("bad token message %q", msg)
	}
	b.shot("02-login-refused")
	b.open("/console/login", chromedp.WaitVisible(chromedp.ID("token")))
	b.do(chromedp.SendKeys(chromedp.ID("token"), e.tokens[access.Admin]))
	b.submit(`form[action="/console/login"] button`)

	// Indicators: the figures in the page are the API's.
	asOf := e.reg.Today().String()
	b.open("/console/indicators?region=150500&as_of="+asOf, chromedp.WaitVisible(chromedp.ID("indicator-table")))
	if title := eval[string](b, `document.title`); !strings.HasPrefix(title, "指标") {
		t.Errorf("title %q", title)
	}
	// Keyboard: the first Tab stop skips to the content; every control is reachable.
	b.do(chromedp.KeyEvent("\t"))
	if got := eval[string](b, `document.activeElement.className`); got != "skip" {
		t.Errorf("the first Tab stop is %q, want the skip link", got)
	}
	got := eval[map[string]string](b, `Object.fromEntries([...document.querySelectorAll("#indicator-table tr[data-code]")].map(r => [r.dataset.code, r.querySelector("td.value").textContent.trim()]))`)
	_, rep := e.api(access.Admin, "GET", "/v1/indicators?region=150500&as_of="+asOf, nil)
	inds := rep["indicators"].([]any)
	if len(got) != len(inds) {
		t.Fatalf("page shows %d indicators, API %d", len(got), len(inds))
	}
	for _, x := range inds {
		v := x.(map[string]any)
		want := "—"
		if s, ok := v["value"].(string); ok {
			want = s
		}
		if got[v["code"].(string)] != want {
			t.Errorf("%s: page %q, API %q", v["code"], got[v["code"].(string)], want)
		}
	}
	// The first chart draws from the API's series (a canvas inside it).
	// Charts load as they scroll into view.
	b.do(chromedp.ScrollIntoView(chromedp.CSS(`.chart[data-code="valid_invention_patents"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.chart[data-code="valid_invention_patents"][data-loaded="1"] canvas`)))
	b.noCSPViolations("charts")
	b.fitsWidth("indicators")
	b.shot("03-indicators-1366")

	// Register a party and a right through the forms, then find the right by another spelling.
	b.open("/console/registry", chromedp.WaitVisible(chromedp.ID("asset-form")))
	n, filed := patentNo(2016, 777)
	b.do(
		chromedp.SetValue(chromedp.ID("a-kind"), "invention_patent"),
		chromedp.SendKeys(chromedp.ID("a-number"), n),
		chromedp.SendKeys(chromedp.ID("a-title"), "一种稀土永磁材料"),
		chromedp.SendKeys(chromedp.ID("a-owners"), "通辽稀土新材料有限公司"),
		chromedp.SetValue(chromedp.ID("a-filed"), filed),
		chromedp.SetValue(chromedp.ID("a-granted"), "2018-06-01"),
	)
	b.fitsWidth("registry")
	b.shot("04-registry-form")
	b.submit(`#asset-form button[type=submit]`)
	b.do(chromedp.WaitVisible(chromedp.ID("asset-valid")))
	if v := b.text("#asset-valid"); v != "是" {
		t.Errorf("new right valid: %q", v)
	}
	b.shot("05-right")
	canon := n[2:14] + "." + n[14:]
	b.open("/console/registry?q="+canon, chromedp.WaitVisible(chromedp.ID("asset-results")))
	if res := b.text("#asset-results"); !strings.Contains(res, "一种稀土永磁材料") || !strings.Contains(res, "通辽稀土新材料有限公司") {
		t.Errorf("search for %s: %q", canon, res)
	}
	b.shot("06-registry-search")

	// A refusal is shown next to its field, in Chinese.
	b.open("/console/registry", chromedp.WaitVisible(chromedp.ID("asset-form")))
	bad := n[:len(n)-1] + map[bool]string{true: "1", false: "0"}[n[len(n)-1] == '0']
	b.do(
		chromedp.SendKeys(chromedp.ID("a-number"), bad),
		chromedp.SendKeys(chromedp.ID("a-title"), "坏号码"),
		chromedp.SendKeys(chromedp.ID("a-owners"), owner.String()),
		chromedp.SetValue(chromedp.ID("a-filed"), filed),
	)
	b.submit(`#asset-form button[type=submit]`)
	b.do(chromedp.WaitVisible(chromedp.ID("a-number-err")))
	if msg := b.text("#a-number-err"); msg != "专利号校验位不正确，请核对。" {
		t.Errorf("refusal %q", msg)
	}
	b.shot("07-registry-refusal")

	// The other pages, for the eye.
	b.open("/console/pledges", chromedp.WaitVisible(chromedp.ID("pledge-list")))
	b.fitsWidth("pledges")
	b.shot("08-pledges")
	b.open("/console/pledges/"+pl.String(), chromedp.WaitVisible(chromedp.ID("pledge-event-form")))
	b.shot("09-pledge")
	b.open("/console/import", chromedp.WaitVisible(chromedp.ID("import-form")))
	b.shot("10-import")
	b.open("/console/ledger", chromedp.WaitVisible(chromedp.ID("verify-button")))
	b.do(chromedp.Click(chromedp.ID("verify-button")), chromedp.WaitVisible(chromedp.ID("verify-report")))
	if v := b.text("#verify-report"); !strings.Contains(v, "校验通过") {
		t.Errorf("verify: %q", v)
	}
	b.noCSPViolations("ledger verify")
	b.shot("11-ledger")
	b.open("/console/public/pledges?q=ZL2013106997442", chromedp.WaitVisible(chromedp.ID("public-results")))
	b.shot("12-public")
	b.open("/console/public/rights?q=ZL2013106997442", chromedp.WaitVisible(chromedp.ID("rights-results")))
	b.fitsWidth("public rights")
	b.shot("18-public-rights")
	dm, err := e.reg.PostDemand(e.ctx, registry.DemandInput{PartyID: owner, Amount: "3000000.00", TermMonths: 24, Note: "扩大稀土材料产能"})
	if err != nil {
		t.Fatal(err)
	}
	b.open("/console/demands", chromedp.WaitVisible(chromedp.ID("demand-list")))
	b.fitsWidth("demands")
	b.noCSPViolations("demands")
	b.shot("16-demands")
	b.open("/console/demands/"+dm.ID.String(), chromedp.WaitVisible(chromedp.ID("demand-event-form")))
	b.shot("17-demand")

	// Phone width: nothing scrolls sideways.
	b.do(chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2)))
	for i, p := range []string{"/console/indicators?region=150502", "/console/registry?q=" + canon, "/console/pledges/" + pl.String(), "/console/demands/" + dm.ID.String(), "/console/public/rights?q=ZL2013106997442"} {
		b.open(p, chromedp.WaitVisible(chromedp.ID("main")))
		b.fitsWidth("phone " + p)
		b.shot(fmt.Sprintf("%02d-phone", 13+i))
	}
}
