package console_test

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"ipledger/openapi/console"
	"ipledger/registry"
	"ipledger/registry/access"
	"ipledger/registry/ident"
	"ipledger/registry/term"
)

func TestRootRedirectsToConsole(t *testing.T) {
	e := newEnv(t)
	res := e.browser().get("/")
	res.status(http.StatusFound)
	if loc := res.Header.Get("Location"); loc != "/console/" {
		t.Fatalf("Location %q", loc)
	}
	// Signed out, the console's start is the login form.
	res = e.browser().get("/console/")
	res.status(http.StatusSeeOther)
	if loc := res.Header.Get("Location"); loc != "/console/login" {
		t.Fatalf("Location %q", loc)
	}
}

func TestLoginForm(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.get("/console/login").status(http.StatusOK).contains(`<title>登录`, `name="token"`, `<label for="token">访问令牌</label>`, `method="post" action="/console/login"`)

	// A bad token shows the form again with a message, 401, and no session.
	res := b.post("/console/login", url.Values{"token": {"ipl_wrong"}})
	res.status(http.StatusUnauthorized).contains(`name="token"`, "令牌无效或已被吊销", `aria-invalid="true"`)
	if len(res.cookie) != 0 {
		t.Fatalf("a refused login set cookies %v", res.cookie)
	}
	b.get("/console/indicators").status(http.StatusSeeOther)

	// A good one starts a session: the cookie's flags are the contract.
	res = b.post("/console/login", url.Values{"token": {e.tokens[access.Planner]}, "next": {"/console/indicators?region=150502"}})
	res.status(http.StatusSeeOther)
	if loc := res.Header.Get("Location"); loc != "/console/indicators?region=150502" {
		t.Fatalf("Location %q", loc)
	}
	ck := sessionCookie(t, res)
	if !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.Secure || ck.MaxAge != 8*3600 || ck.Path != "/console/" {
		t.Fatalf("cookie %+v", ck)
	}
	if raw := res.Header.Get("Set-Cookie"); !strings.Contains(raw, "HttpOnly") || !strings.Contains(raw, "SameSite=Strict") {
		t.Fatalf("Set-Cookie %q", raw)
	}
	b.get("/console/indicators").status(http.StatusOK).contains("规划人员")

	// A redirect target outside the console is ignored (no open redirect).
	res = e.browser().post("/console/login", url.Values{"token": {e.tokens[access.Planner]}, "next": {"//evil.example/x"}})
	if loc := res.status(http.StatusSeeOther).Header.Get("Location"); loc != "/console/" {
		t.Fatalf("Location %q", loc)
	}
}

func sessionCookie(t *testing.T, p page) *http.Cookie {
	t.Helper()
	for _, c := range p.cookie {
		if c.Name == console.CookieName {
			return c
		}
	}
	t.Fatalf("no %s cookie in %v", console.CookieName, p.Header["Set-Cookie"])
	return nil
}

func TestCookieSecureOverTLS(t *testing.T) {
	e := newEnvTLS(t, true)
	res := e.browser().post("/console/login", url.Values{"token": {e.tokens[access.Auditor]}})
	res.status(http.StatusSeeOther)
	if ck := sessionCookie(t, res); !ck.Secure || !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode {
		t.Fatalf("cookie over TLS %+v", ck)
	}
}

func TestLogoutEndsSession(t *testing.T) {
	e := newEnv(t)
	b := e.login(access.Planner)
	b.get("/console/indicators").status(http.StatusOK)
	res := b.post("/console/logout", nil)
	res.status(http.StatusSeeOther)
	if ck := sessionCookie(t, res); ck.MaxAge >= 0 {
		t.Fatalf("logout did not clear the cookie: %+v", ck)
	}
	var n int
	if err := e.ledger.DB().QueryRow(`SELECT count(*) FROM access.sessions`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("sessions left: %d %v", n, err)
	}
	b.get("/console/indicators").status(http.StatusSeeOther)
}

func TestRevokedTokenEndsSession(t *testing.T) {
	e := newEnv(t)
	b := e.login(access.Planner)
	b.get("/console/indicators").status(http.StatusOK)
	if err := e.access.Revoke(e.ctx, e.ids[access.Planner]); err != nil {
		t.Fatal(err)
	}
	res := b.get("/console/indicators")
	res.status(http.StatusSeeOther)
	if !strings.HasPrefix(res.Header.Get("Location"), "/console/login") {
		t.Fatalf("Location %q", res.Header.Get("Location"))
	}
	// A rotated token ends the sessions started with the old one, too.
	b = e.login(access.Auditor)
	if _, err := e.access.Rotate(e.ctx, e.ids[access.Auditor]); err != nil {
		t.Fatal(err)
	}
	b.get("/console/ledger").status(http.StatusSeeOther)
}

func TestIdleSessionExpires(t *testing.T) {
	e := newEnv(t)
	b := e.login(access.Planner)
	if _, err := e.ledger.DB().Exec(`UPDATE access.sessions SET seen_at = now() - interval '7 hours 59 minutes'`); err != nil {
		t.Fatal(err)
	}
	b.get("/console/indicators").status(http.StatusOK) // and this request moves seen_at on
	if _, err := e.ledger.DB().Exec(`UPDATE access.sessions SET seen_at = now() - interval '8 hours 1 minute'`); err != nil {
		t.Fatal(err)
	}
	b.get("/console/indicators").status(http.StatusSeeOther)
}

// A request from another site is refused before anything happens, even with the victim's
// session cookie: that is what a forged form post is.
func TestCrossSiteRequestsRefused(t *testing.T) {
	e := newEnv(t)
	b := e.login(access.Registrar)
	form := url.Values{"name": {"伪造的公司"}, "kind": {"enterprise"}, "region_code": {"150502"}}
	for _, h := range [][]string{
		{"Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example"},
		{"Sec-Fetch-Site", "", "Origin", "https://evil.example"},
		{"Sec-Fetch-Site", "same-site", "Origin", "https://sub." + strings.TrimPrefix(e.srv.URL, "http://")},
	} {
		res := b.post("/console/registry/parties", form, h...)
		res.status(http.StatusForbidden).contains("跨站请求已被拒绝")
	}
	b.post("/console/logout", nil, "Sec-Fetch-Site", "cross-site").status(http.StatusForbidden)
	b.post("/console/login", url.Values{"token": {e.tokens[access.Admin]}}, "Sec-Fetch-Site", "cross-site").status(http.StatusForbidden)
	ps, _, err := e.reg.ListParties(e.ctx, registry.PartyFilter{Q: "伪造"})
	if err != nil || len(ps) != 0 {
		t.Fatalf("a forged post wrote %v (%v)", ps, err)
	}
	// The same post from the console's own page goes through.
	b.post("/console/registry/parties", form).status(http.StatusSeeOther)
}

var inlineRE = regexp.MustCompile(`(?i)<script[^>]*>[^<]+</script>|<style|\sstyle=|\son\w+=|javascript:`)
var absoluteRE = regexp.MustCompile(`(?i)(src|href|action)="https?://`)

// Every page sends the CSP, has no inline script or style, and loads nothing from elsewhere.
func TestPagesSendCSPAndNoInlineCode(t *testing.T) {
	e := newEnv(t)
	a, _ := e.asset(access.Admin, "ZL2013106997442", "2013-12-18")
	pl := e.pledge(a)
	b := e.login(access.Admin)
	pid := e.party("某公司", registry.Enterprise, "150502")
	dm, err := e.reg.PostDemand(e.ctx, registry.DemandInput{PartyID: pid.(uuid.UUID), Amount: "100.00", TermMonths: 12})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []struct{ path, title string }{
		{"/console/demands", "融资需求"},
		{"/console/demands/" + dm.ID.String(), "融资需求"},
		{"/console/login", "登录"},
		{"/console/indicators", "指标"},
		{"/console/registry?q=ZL2013106997442", "登记簿"},
		{"/console/registry/assets/" + a.String(), "登记簿"},
		{"/console/registry/parties/" + pid.String(), "登记簿"},
		{"/console/import", "导入"},
		{"/console/pledges", "质押"},
		{"/console/pledges/" + pl.String(), "质押"},
		{"/console/public/pledges?q=ZL2013106997442", "公示"},
		{"/console/public/rights?q=ZL2013106997442", "公开检索"},
		{"/console/ledger", "账本"},
	} {
		res := b.get(p.path).status(http.StatusOK)
		if csp := res.Header.Get("Content-Security-Policy"); !strings.HasPrefix(csp, "default-src 'self'") || strings.Contains(csp, "unsafe") {
			t.Errorf("%s: CSP %q", p.path, csp)
		}
		res.contains("<title>"+p.title, `<html lang="zh-CN">`)
		if m := inlineRE.FindString(res.Body); m != "" {
			t.Errorf("%s: inline code %q", p.path, m)
		}
		if m := absoluteRE.FindString(res.Body); m != "" {
			t.Errorf("%s: loads from elsewhere: %q", p.path, m)
		}
		// Every input, select and textarea has a label.
		for _, id := range regexp.MustCompile(`<(?:input|select|textarea)[^>]*\sid="([^"]+)"`).FindAllStringSubmatch(res.Body, -1) {
			if !strings.Contains(res.Body, `<label for="`+id[1]+`"`) {
				t.Errorf("%s: control %s has no label", p.path, id[1])
			}
		}
		for _, ctl := range regexp.MustCompile(`<(?:input|select|textarea)\s[^>]*>`).FindAllString(res.Body, -1) {
			if !strings.Contains(ctl, ` id="`) && !strings.Contains(ctl, `type="hidden"`) {
				t.Errorf("%s: control without id (so without label): %s", p.path, ctl)
			}
		}
	}
	// Scripts and styles are served from the console itself.
	for _, f := range []string{"app.css", "app.js", "vendor/htmx.min.js", "vendor/echarts.common.min.js"} {
		res := b.get("/console/static/" + f).status(http.StatusOK)
		if res.Header.Get("X-Content-Type-Options") != "nosniff" || len(res.Body) < 100 {
			t.Errorf("%s: %v, %d bytes", f, res.Header, len(res.Body))
		}
	}
	e.browser().get("/console/static/nope.js").status(http.StatusNotFound)
	// An unknown console path is the console's own page, in Chinese, under its CSP.
	e.login(access.Registrar).get("/console/registry/assets/not-an-id").status(http.StatusNotFound).contains("找不到该记录。")
	nf := e.browser().get("/console/nope").status(http.StatusNotFound).contains("找不到该记录。")
	if !strings.HasPrefix(nf.Header.Get("Content-Type"), "text/html") || nf.Header.Get("Content-Security-Policy") == "" {
		t.Errorf("unknown console path: %v", nf.Header)
	}
}

func TestEnglishSwitch(t *testing.T) {
	e := newEnv(t)
	b := e.login(access.Planner)
	b.get("/console/indicators").contains(`<html lang="zh-CN">`, "达标", `<button type="submit" class="link" aria-label="切换语言: English">English</button>`)
	res := b.post("/console/lang", url.Values{"lang": {"en"}, "back": {"/console/indicators?region=150502"}})
	if loc := res.status(http.StatusSeeOther).Header.Get("Location"); loc != "/console/indicators?region=150502" {
		t.Fatalf("Location %q", loc)
	}
	b.get("/console/indicators").status(http.StatusOK).contains(`<html lang="en">`, "<title>Indicators 指标", "Valid invention patents")
}

// asset registers an invention patent through the domain, owned by a new party.
func (e *env) asset(_ access.Role, number, filed string) (uuid.UUID, uuid.UUID) {
	e.t.Helper()
	owner := e.party("通辽某科技有限公司"+number, registry.Enterprise, "150502").(uuid.UUID)
	a, err := e.reg.RegisterAsset(e.ctx, registry.AssetInput{Kind: ident.InventionPatent, Number: number, Title: "一种装置",
		OwnerIDs: []uuid.UUID{owner}, FiledOn: term.MustParseDate(filed), GrantedOn: term.MustParseDate(filed).AddDays(400)})
	if err != nil {
		e.t.Fatal(err)
	}
	return a.ID, owner
}

// pledge pledges asset a to the env's bank.
func (e *env) pledge(a uuid.UUID) uuid.UUID {
	e.t.Helper()
	as, err := e.reg.GetAsset(e.ctx, a, term.Date{})
	if err != nil {
		e.t.Fatal(err)
	}
	return e.pledgeTo(a, as.Owners[0].ID, uuid.MustParse(e.bankParty), "HT-"+a.String()[:8])
}

func (e *env) pledgeTo(a, owner, bank uuid.UUID, contract string) uuid.UUID {
	e.t.Helper()
	today := e.reg.Today()
	p, err := e.reg.RegisterPledge(e.ctx, registry.PledgeInput{PledgorIDs: []uuid.UUID{owner}, AssetIDs: []uuid.UUID{a},
		Amount: "1500000.00", ContractNo: contract, RegisteredOn: today, EndsOn: today.AddDays(300), PledgeeID: bank})
	if err != nil {
		e.t.Fatal(err)
	}
	return p.ID
}

// The table's figures are the API's strings for the same region and date.
func TestIndicatorsEqualTheAPI(t *testing.T) {
	e := newEnv(t)
	for i := 0; i < 3; i++ {
		n, filed := patentNo(2015, 100+i)
		a, _ := e.asset(access.Admin, n, filed)
		if i == 0 {
			e.pledge(a)
		}
	}
	b := e.login(access.Planner)
	asOf := e.reg.Today().String()
	for _, region := range []string{"150500", "150502", "150521"} {
		status, rep := e.api(access.Planner, "GET", "/v1/indicators?region="+region+"&as_of="+asOf, nil)
		if status != http.StatusOK {
			t.Fatalf("API %d %v", status, rep)
		}
		res := b.get("/console/indicators?region=" + region + "&as_of=" + asOf).status(http.StatusOK)
		res.contains("<title>指标", `data-region="`+region+`"`)
		inds := rep["indicators"].([]any)
		if len(inds) < 10 {
			t.Fatalf("API gave %d indicators", len(inds))
		}
		for _, x := range inds {
			v := x.(map[string]any)
			code := v["code"].(string)
			want := "—"
			if s, ok := v["value"].(string); ok {
				want = s
			}
			if got := cell(t, res.Body, code, "value"); got != want {
				t.Errorf("%s %s: console %q, API %q", region, code, got, want)
			}
			if tg, ok := v["target"].(map[string]any); ok {
				if got := cell(t, res.Body, code, "target"); !strings.HasPrefix(got, tg["value"].(string)+" ") {
					t.Errorf("%s %s target: console %q, API %v", region, code, got, tg["value"])
				}
			}
			if bl, ok := v["baseline"].(map[string]any); ok {
				if got := cell(t, res.Body, code, "baseline"); !strings.HasPrefix(got, bl["value"].(string)+" ") {
					t.Errorf("%s %s baseline: console %q, API %v", region, code, got, bl["value"])
				}
			}
		}
	}
	// The city's valid invention patents are the three registered above.
	res := b.get("/console/indicators?region=150500")
	if got := cell(t, res.Body, "valid_invention_patents", "value"); got != "3" {
		t.Fatalf("valid_invention_patents %q", got)
	}
	res.contains(`class="status status_`, `<progress value="`, "/console/indicators/export?format=xlsx&amp;as_of=")

	// The downloads are the API's.
	csv := b.get("/console/indicators/export?format=csv&region=150502&as_of=" + asOf).status(http.StatusOK)
	req, _ := http.NewRequest("GET", e.srv.URL+"/v1/indicators/export?format=csv&region=150502&as_of="+asOf, nil)
	req.Header.Set("Authorization", "Bearer "+e.tokens[access.Planner])
	apiRes, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var apiCSV bytes.Buffer
	_, _ = apiCSV.ReadFrom(apiRes.Body)
	apiRes.Body.Close()
	if csv.Body != apiCSV.String() || !strings.Contains(csv.Header.Get("Content-Disposition"), "indicators-150502-") {
		t.Fatalf("CSV differs from the API's:\n%s\n---\n%s", csv.Body, apiCSV.String())
	}
	xlsx := b.get("/console/indicators/export?format=xlsx").status(http.StatusOK)
	if !strings.HasPrefix(xlsx.Body, "PK") {
		t.Fatal("XLSX is not a zip")
	}
	// The chart's series is the API's.
	s := b.get("/console/indicators/series?code=valid_invention_patents&region=150500").status(http.StatusOK)
	_, apiS := e.api(access.Planner, "GET", "/v1/indicators/series?code=valid_invention_patents&region=150500&from=2021", nil)
	if !strings.Contains(s.Body, `"code":"valid_invention_patents"`) || len(apiS["items"].([]any)) == 0 ||
		strings.Count(s.Body, `"year":`) != len(apiS["items"].([]any)) {
		t.Fatalf("series %s vs API %v", s.Body, apiS)
	}
}

func TestIndicatorsRefusals(t *testing.T) {
	e := newEnv(t)
	b := e.login(access.Planner)
	b.get("/console/indicators?as_of=2020-02-30").status(http.StatusUnprocessableEntity).contains(`id="as_of-err"`, "截至日期格式应为")
	b.get("/console/indicators?as_of=1999-12-31").status(http.StatusUnprocessableEntity).contains("截至日期应在 2000-01-01 至今天之间")
	b.get("/console/indicators?known_at=yesterday").status(http.StatusUnprocessableEntity).contains(`id="known_at-err"`)
	// as known at a time: the office's local time is accepted as a date picker sends it.
	b.get("/console/indicators?known_at=" + url.QueryEscape(time.Now().In(registry.Office).Format("2006-01-02T15:04"))).status(http.StatusOK)
	// A bank may not read indicators in the API, nor here.
	e.login(access.Bank).get("/console/indicators").status(http.StatusForbidden).contains("无权")
}

func TestRegistryFormsAndSearch(t *testing.T) {
	e := newEnv(t)
	b := e.login(access.Registrar)
	b.get("/console/registry").status(http.StatusOK).contains(`id="asset-form"`, `id="party-form"`)

	// Register a party through the form, then a right owned by it, naming it by name.
	res := b.post("/console/registry/parties", url.Values{"name": {"科尔沁新材料有限公司"}, "kind": {"enterprise"}, "uscc": {"91150502MA0N2ABC1X"}, "region_code": {"150502"}})
	if res.Code == http.StatusUnprocessableEntity {
		res.contains(`id="p-uscc-err"`) // the check character is wrong: the refusal is next to the field
		res = b.post("/console/registry/parties", url.Values{"name": {"科尔沁新材料有限公司"}, "kind": {"enterprise"}, "region_code": {"150502"}})
	}
	res.status(http.StatusSeeOther)
	if !strings.HasPrefix(res.Header.Get("Location"), "/console/registry/parties/") {
		t.Fatalf("Location %q", res.Header.Get("Location"))
	}
	n, filed := patentNo(2016, 4242)
	res = b.post("/console/registry/assets", url.Values{"kind": {"invention_patent"}, "number": {n}, "title": {"一种稀土材料"},
		"owner_ids": {"科尔沁新材料有限公司"}, "filed_on": {filed}, "granted_on": {"2018-05-04"}, "ipc": {"C22C"}})
	res.status(http.StatusSeeOther)
	loc := res.Header.Get("Location")
	b.get(loc).status(http.StatusOK).contains("一种稀土材料", "科尔沁新材料有限公司", `id="asset-valid">是`, "登记", `id="event-form"`)

	// Search finds it by any spelling of its number, and by its owner's name.
	canon := n[2:14] + "." + n[14:]
	for _, q := range []string{n, canon, "CN " + n[2:], strings.ToLower(n), "稀土"} {
		b.get("/console/registry?q=" + url.QueryEscape(q)).status(http.StatusOK).contains(`href="` + loc + `"`)
	}
	b.get("/console/registry?q=" + url.QueryEscape("科尔沁")).contains("科尔沁新材料有限公司")

	// A refusal is shown next to its field, in Chinese, and writes nothing.
	bad := n[:len(n)-1] + string("0123456789"[(strings.IndexByte("0123456789", n[len(n)-1])+1)%10])
	res = b.post("/console/registry/assets", url.Values{"kind": {"invention_patent"}, "number": {bad}, "title": {"坏号码"},
		"owner_ids": {"科尔沁新材料有限公司"}, "filed_on": {filed}})
	res.status(http.StatusUnprocessableEntity).contains(`id="a-number-err"`, "专利号校验位不正确", `value="坏号码"`)
	res = b.post("/console/registry/assets", url.Values{"kind": {"invention_patent"}, "number": {n}, "title": {"重复"},
		"owner_ids": {"科尔沁新材料有限公司"}, "filed_on": {filed}})
	res.status(http.StatusConflict).contains("该号码的权利已登记")
	res = b.post("/console/registry/assets", url.Values{"kind": {"invention_patent"}, "number": {"ZL2013106997442"}, "title": {"x"},
		"owner_ids": {"没有这个公司"}, "filed_on": {"2013-12-18"}})
	res.status(http.StatusUnprocessableEntity).contains(`id="a-owners-err"`, "找不到该权利人")
	res = b.post("/console/registry/parties", url.Values{"name": {""}, "kind": {"enterprise"}, "region_code": {"150502"}})
	res.status(http.StatusUnprocessableEntity).contains(`id="p-name-err"`)

	// Record events through the form: a lapse, and a refused renewal (patents are not renewed).
	id := strings.TrimPrefix(loc, "/console/registry/assets/")
	res = b.post(loc+"/events", url.Values{"type": {"renew"}})
	res.status(http.StatusUnprocessableEntity).contains("此事件只适用于商标")
	res = b.post(loc+"/events", url.Values{"type": {"lapse"}, "effective_on": {e.reg.Today().String()}})
	res.status(http.StatusSeeOther)
	b.get(res.Header.Get("Location")).contains("已保存", `id="asset-valid">否`, "失效")
	a, err := e.reg.GetAsset(e.ctx, uuid.MustParse(id), term.Date{})
	if err != nil || a.Status != "lapsed" {
		t.Fatalf("asset %v %v", a.Status, err)
	}
	// The same right as the API shows it.
	_, apiA := e.api(access.Registrar, "GET", "/v1/assets/"+id, nil)
	if apiA["status"] != "lapsed" || apiA["number"] != canon {
		t.Fatalf("API asset %v", apiA)
	}

	// A party's rename through its form.
	pres := b.get("/console/registry?q=" + url.QueryEscape("科尔沁"))
	m := regexp.MustCompile(`/console/registry/parties/([0-9a-f-]{36})`).FindStringSubmatch(pres.Body)
	if m == nil {
		t.Fatal("party link missing")
	}
	b.post("/console/registry/parties/"+m[1]+"/events", url.Values{"type": {"rename"}, "name": {"科尔沁新材料股份有限公司"}}).status(http.StatusSeeOther)
	b.get("/console/registry/parties/"+m[1]).contains("科尔沁新材料股份有限公司", "一种稀土材料")
}

func TestRegistryRoles(t *testing.T) {
	e := newEnv(t)
	a, _ := e.asset(access.Admin, "ZL2013106997442", "2013-12-18")
	// The auditor reads the registry but has no forms, and its posts are refused.
	aud := e.login(access.Auditor)
	aud.get("/console/registry?q=ZL2013106997442").status(http.StatusOK).contains("一种装置", "只能查阅").lacks(`id="asset-form"`, `id="party-form"`)
	aud.get("/console/registry/assets/" + a.String()).status(http.StatusOK).lacks(`id="event-form"`)
	aud.post("/console/registry/parties", url.Values{"name": {"审计员的公司"}, "kind": {"enterprise"}, "region_code": {"150502"}}).status(http.StatusForbidden)
	aud.post("/console/registry/assets/"+a.String()+"/events", url.Values{"type": {"lapse"}}).status(http.StatusForbidden)
	if as, _ := e.reg.GetAsset(e.ctx, a, term.Date{}); as.Status != "valid" {
		t.Fatalf("auditor changed the asset: %s", as.Status)
	}
	// Signed out, a post is refused and a page sends to the login.
	e.browser().post("/console/registry/parties", url.Values{"name": {"x"}}).status(http.StatusUnauthorized)
	res := e.browser().get("/console/registry/assets/" + a.String())
	if loc := res.status(http.StatusSeeOther).Header.Get("Location"); loc != "/console/login?next="+url.QueryEscape("/console/registry/assets/"+a.String()) {
		t.Fatalf("Location %q", loc)
	}
	// The ledger is for auditors and admins; the import for registrars and admins.
	e.login(access.Registrar).get("/console/ledger").status(http.StatusForbidden)
	aud.get("/console/import").status(http.StatusForbidden)
	e.login(access.Planner).get("/console/pledges").status(http.StatusForbidden)
	// Navigation shows only what the role may open.
	aud.get("/console/registry").contains(`href="/console/ledger"`).lacks(`href="/console/import"`)
}

// A bank sees and acts on its own pledges only, in the console as in the API.
func TestPledgesBankSeesOwnOnly(t *testing.T) {
	e := newEnv(t)
	a1, _ := e.asset(access.Admin, "ZL2013106997442", "2013-12-18")
	n2, f2 := patentNo(2015, 7)
	a2, owner2 := e.asset(access.Admin, n2, f2)
	mine := e.pledge(a1)
	other := e.party("另一家银行", registry.Bank, "150502").(uuid.UUID)
	theirs := e.pledgeTo(a2, owner2, other, "HT-THEIRS")

	bank := e.login(access.Bank)
	list := bank.get("/console/pledges").status(http.StatusOK)
	list.contains("/console/pledges/"+mine.String()).lacks("/console/pledges/"+theirs.String(), "HT-THEIRS")
	bank.get("/console/pledges/"+theirs.String()).status(http.StatusNotFound).lacks("HT-THEIRS", "另一家银行")
	bank.post("/console/pledges/"+theirs.String()+"/events", url.Values{"type": {"release"}}).status(http.StatusNotFound)
	if p, _ := e.reg.GetPledge(e.ctx, registry.OfficeViewer(), theirs); p.Status != "active" {
		t.Fatalf("another bank released a pledge: %s", p.Status)
	}
	// The office sees both.
	e.login(access.Auditor).get("/console/pledges").contains(mine.String(), theirs.String(), "HT-THEIRS").lacks(`id="pledge-form"`)

	// The bank registers a pledge through the form: the pledgee is always itself.
	n3, f3 := patentNo(2016, 9)
	a3, owner3 := e.asset(access.Admin, n3, f3)
	op, _ := e.reg.GetParty(e.ctx, owner3)
	res := bank.post("/console/pledges", url.Values{"pledgor_ids": {op.Name}, "asset_ids": {n3}, "amount": {"2000000.00"},
		"contract_no": {"HT-FORM-1"}, "ends_on": {e.reg.Today().AddDays(200).String()}, "pledgee_id": {other.String()}})
	res.status(http.StatusSeeOther)
	id := strings.TrimPrefix(res.Header.Get("Location"), "/console/pledges/")
	p, err := e.reg.GetPledge(e.ctx, registry.OfficeViewer(), uuid.MustParse(id))
	if err != nil || p.Pledgee.ID.String() != e.bankParty || len(p.Assets) != 1 || p.Assets[0].ID != a3 {
		t.Fatalf("pledge %+v %v", p, err)
	}
	// Amend and release through the form; the page shows each change.
	bank.post("/console/pledges/"+id+"/events", url.Values{"type": {"amend"}, "amount": {"2500000.00"}}).status(http.StatusSeeOther)
	bank.get("/console/pledges/"+id).contains(`id="pledge-amount">2500000.00`, "质押变更", "质押登记")
	res = bank.post("/console/pledges/"+id+"/events", url.Values{"type": {"extend"}, "ends_on": {e.reg.Today().AddDays(100).String()}})
	res.status(http.StatusUnprocessableEntity).contains("延期后的到期日必须晚于原到期日")
	bank.post("/console/pledges/"+id+"/events", url.Values{"type": {"release"}}).status(http.StatusSeeOther)
	bank.get("/console/pledges/"+id).contains("已注销", "质押注销")
	// A refused registration shows its reason next to the field.
	res = bank.post("/console/pledges", url.Values{"pledgor_ids": {op.Name}, "asset_ids": {n3}, "amount": {"abc"},
		"contract_no": {"HT-2"}, "ends_on": {e.reg.Today().AddDays(200).String()}})
	res.status(http.StatusUnprocessableEntity).contains(`id="n-amount-err"`, "金额应大于 0")
	res = bank.post("/console/pledges", url.Values{"pledgor_ids": {op.Name}, "asset_ids": {"ZL2099999999999"}, "amount": {"1.00"},
		"contract_no": {"HT-3"}, "ends_on": {e.reg.Today().AddDays(200).String()}})
	res.status(http.StatusUnprocessableEntity).contains(`id="n-assets-err"`)
}

func TestPublicPledgesNeedNoLogin(t *testing.T) {
	e := newEnv(t)
	a, owner := e.asset(access.Admin, "ZL2013106997442", "2013-12-18")
	e.pledge(a)
	op, _ := e.reg.GetParty(e.ctx, owner)
	pub := e.browser()
	for _, q := range []string{"ZL2013106997442", "201310699744.2", op.Name} {
		res := pub.get("/console/public/pledges?q=" + url.QueryEscape(q)).status(http.StatusOK)
		res.contains("<title>公示", "ZL201310699744.2", "中国银行通辽分行", op.Name).lacks("1500000", "HT-")
	}
	pub.get("/console/public/pledges?q=nothing-like-this").status(http.StatusOK).contains("没有找到结果")
}

func TestImportThroughTheConsole(t *testing.T) {
	e := newEnv(t)
	owner := e.party("导入公司", registry.Enterprise, "150502").(uuid.UUID)
	b := e.login(access.Registrar)
	b.get("/console/import").status(http.StatusOK).contains(`type="file"`, `<title>导入`)
	n1, f1 := patentNo(2017, 1)
	csv := "kind,number,title,owners,filed_on,granted_on\n" +
		"invention_patent," + n1 + ",一种装置," + owner.String() + "," + f1 + ",2019-05-04\n" +
		"invention_patent,ZL2013106997443,坏号码," + owner.String() + ",2013-12-18,\n"
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", "assets.csv")
	fw.Write([]byte(csv))
	mw.Close()
	req, _ := http.NewRequest("POST", e.srv.URL+"/console/import", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	res := b.do(req).status(http.StatusSeeOther)
	job := strings.TrimPrefix(res.Header.Get("Location"), "/console/import?job=")
	var frag page
	for i := 0; i < 200; i++ {
		frag = b.get("/console/import/" + job).status(http.StatusOK)
		if strings.Contains(frag.Body, `id="import-report"`) {
			break
		}
		if !strings.Contains(frag.Body, `hx-get="/console/import/`+job+`"`) {
			t.Fatalf("a running import's fragment does not poll: %s", frag.Body)
		}
		time.Sleep(50 * time.Millisecond)
	}
	frag.contains(`id="import-added">1<`, `id="import-failed">1<`, `id="import-errors"`, "专利号校验位不正确")
	errs := b.get("/console/import/" + job + "/errors.csv").status(http.StatusOK)
	if !strings.Contains(errs.Body, "row,column,code,message,ref") || !strings.Contains(errs.Body, "3,number,patent_check,") {
		t.Fatalf("errors.csv:\n%s", errs.Body)
	}
	if as, _ := e.assetsByNumber(n1); len(as) != 1 {
		t.Fatalf("imported %d", len(as))
	}
	// Another registrar does not see this import.
	other := e.browser()
	_, tok, _ := e.access.Create(e.ctx, "registrar two", access.Registrar, "")
	other.post("/console/login", url.Values{"token": {tok}}).status(http.StatusSeeOther)
	other.get("/console/import/" + job).status(http.StatusNotFound)
	// No file: the refusal is next to the field.
	res = b.post("/console/import", url.Values{})
	res.status(http.StatusUnprocessableEntity).contains(`id="imp-file-err"`)
}

func (e *env) assetsByNumber(n string) ([]registry.Asset, error) {
	c, err := ident.Canonical(ident.InventionPatent, n)
	if err != nil {
		return nil, err
	}
	as, _, err := e.reg.ListAssets(e.ctx, registry.AssetFilter{Q: c})
	return as, err
}

func TestLedgerPage(t *testing.T) {
	e := newEnv(t)
	e.asset(access.Admin, "ZL2013106997442", "2013-12-18")
	b := e.login(access.Auditor)
	res := b.get("/console/ledger").status(http.StatusOK)
	_, v := e.api(access.Auditor, "GET", "/v1/ledger/verify", nil)
	res.contains(fmt.Sprintf(`id="head-seq">%d<`, int64(v["head_seq"].(float64))), `id="head-hash">`+v["head_hash"].(string)+"<", `hx-get="/console/ledger/verify"`)
	b.get("/console/ledger/verify").status(http.StatusOK).contains("校验通过", v["head_hash"].(string))
	exp := b.get("/console/ledger/export").status(http.StatusOK)
	if n := strings.Count(exp.Body, "\n"); n != int(v["head_seq"].(float64)) {
		t.Fatalf("export has %d lines, head is %v", n, v["head_seq"])
	}
}

// The console's pages are not API operations.
func TestConsoleNotInOpenAPI(t *testing.T) {
	e := newEnv(t)
	res := e.browser().get("/openapi.json").status(http.StatusOK)
	if strings.Contains(res.Body, "/console") {
		t.Fatal("the OpenAPI document lists console paths")
	}
	// The API still answers its own paths.
	if code, m := e.api(access.Planner, "GET", "/v1/me", nil); code != http.StatusOK || m["role"] != "planner" {
		t.Fatalf("%d %v", code, m)
	}
}

// Guessing tokens at the login form is limited like guessing bearer tokens: the same budget.
func TestLoginGuessingLimited(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	limited := false
	for i := 0; i < 40 && !limited; i++ {
		res := b.post("/console/login", url.Values{"token": {"ipl_guess"}})
		limited = res.Code == http.StatusTooManyRequests
		if !limited && res.Code != http.StatusUnauthorized {
			t.Fatalf("status %d", res.Code)
		}
	}
	if !limited {
		t.Fatal("40 bad tokens in a row were never limited")
	}
	// The API's bearer tokens from the same address are limited too now.
	req, _ := http.NewRequest("GET", e.srv.URL+"/v1/me", nil)
	req.Header.Set("Authorization", "Bearer ipl_guess")
	res, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("API after console guesses: %d", res.StatusCode)
	}
}
