package openapi_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"ipledger/registry/access"
)

// raw sends body exactly as given, with the headers given (no Content-Type unless named).
func (e *env) raw(method, path, token string, body string, headers ...string) response {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.http.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header[http.CanonicalHeaderKey(headers[i])] = append(req.Header[http.CanonicalHeaderKey(headers[i])], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{t: e.t, Code: res.StatusCode, Header: res.Header, Body: b}
}

// json sends a JSON body as raw bytes with Content-Type: application/json.
func (e *env) rawJSON(method, path, token, body string, headers ...string) response {
	e.t.Helper()
	return e.raw(method, path, token, body, append([]string{"Content-Type", "application/json"}, headers...)...)
}

// location is the first errors[].location of a problem.
func location(t *testing.T, p map[string]any) string {
	t.Helper()
	errs, _ := p["errors"].([]any)
	if len(errs) == 0 {
		t.Fatalf("problem names no field: %v", p)
	}
	loc, _ := errs[0].(map[string]any)["location"].(string)
	return loc
}

// refused checks a problem with status, code and the field at fault, and that the ledger
// did not move.
func (e *env) refused(r response, status int, code, field string, headBefore int64) {
	e.t.Helper()
	p := r.problem(status, code)
	if field != "" {
		if got := location(e.t, p); got != field {
			e.t.Fatalf("location = %q, want %q (%v)", got, field, p)
		}
	}
	noGoText(e.t, r.Body)
	if got := headSeq(e.t, e); got != headBefore {
		e.t.Fatalf("a refused request moved the ledger head from %d to %d", headBefore, got)
	}
}

// goMarkers are fragments of Go, driver and SQL error text.
var goMarkers = []string{"json:", "Go struct", "Go value", "pq:", "ERROR:", "SQLSTATE", "strconv.", "parse error", "runtime error", "zip:", "bare \"", "goroutine", "unexpected end of JSON", "invalid character"}

func noGoText(t *testing.T, body []byte) {
	t.Helper()
	for _, m := range goMarkers {
		if strings.Contains(string(body), m) {
			t.Fatalf("response carries Go or SQL text %q: %s", m, body)
		}
	}
}

func TestNULInAnyJSONStringIsRefusedNamingTheField(t *testing.T) {
	e := newEnv(t)
	reg, admin := e.tokens[access.Registrar], e.tokens[access.Admin]
	owner := e.party("NUL test co", "enterprise", "150502")
	head := headSeq(t, e)
	for _, c := range []struct{ path, token, body, field string }{
		{"/v1/parties", reg, `{"name":"a\u0000b","kind":"enterprise","region_code":"150502"}`, "body.name"},
		{"/v1/principals", admin, `{"name":"x\u0000","role":"planner"}`, "body.name"},
		{"/v1/assets", reg, `{"kind":"trademark","number":"12345678","title":"t","owner_ids":["` + owner + `","\u0000"],"granted_on":"2020-01-02"}`, "body.owner_ids[1]"},
		{"/v1/parties/" + owner + "/events", reg, `{"type":"rename","name":"new\u0000name"}`, "body.name"},
		{"/v1/pledges", reg, `{"pledgor_ids":["` + owner + `"],"asset_ids":["` + owner + `"],"amount":"1.00","contract_no":"C\u0000","ends_on":"2030-01-01","pledgee_id":"` + e.bankParty + `"}`, "body.contract_no"},
		{"/v1/indicators/targets", admin, `{"code":"x","region":"150500","due":"2025-12-31","value":"1","note":"n\u0000"}`, "body.note"},
	} {
		e.refused(e.rawJSON("POST", c.path, c.token, c.body), http.StatusUnprocessableEntity, "text_invalid", c.field, head)
	}
	// NUL as a raw byte is not JSON at all.
	e.refused(e.rawJSON("POST", "/v1/parties", reg, "{\"name\":\"a\x00b\",\"kind\":\"enterprise\",\"region_code\":\"150502\"}"), http.StatusBadRequest, "bad_request", "", head)
}

func TestInvalidUTF8AndLoneSurrogatesAreRefused(t *testing.T) {
	e := newEnv(t)
	reg := e.tokens[access.Registrar]
	head := headSeq(t, e)
	for _, name := range []string{"bad \xff\xfe bytes", `lone \ud800 high`, `lone \udc00 low`, `reversed \udc00\ud800`} {
		e.refused(e.rawJSON("POST", "/v1/parties", reg, `{"name":"`+name+`","kind":"enterprise","region_code":"150502"}`),
			http.StatusUnprocessableEntity, "text_invalid", "body.name", head)
	}
	// A proper pair is a character like any other.
	r := e.rawJSON("POST", "/v1/parties", reg, `{"name":"emoji \ud83d\ude00 co","kind":"enterprise","region_code":"150502"}`).status(http.StatusCreated).json()
	if r["name"] != "emoji 😀 co" {
		t.Fatalf("name = %q", r["name"])
	}
}

func TestControlCharactersRefusedInNamesButNotesKeepNewlines(t *testing.T) {
	e := newEnv(t)
	reg := e.tokens[access.Registrar]
	owner := e.party("control test co", "enterprise", "150502")
	head := headSeq(t, e)
	for _, name := range []string{`a\u0001b`, `bell\u0007`, `two\nlines`, `tab\there`, "esc\x1b"} {
		body := `{"name":"` + name + `","kind":"enterprise","region_code":"150502"}`
		r := e.rawJSON("POST", "/v1/parties", reg, body)
		if r.Code == http.StatusBadRequest { // a raw control byte is not JSON
			e.refused(r, http.StatusBadRequest, "bad_request", "", head)
			continue
		}
		e.refused(r, http.StatusUnprocessableEntity, "text_invalid", "body.name", head)
	}
	asset := e.do("POST", "/v1/assets", reg, map[string]any{"kind": "trademark", "number": "12345678", "title": "商标",
		"owner_ids": []string{owner}, "granted_on": "2020-01-02"}).status(http.StatusCreated).json()["id"].(string)
	head = headSeq(t, e)
	e.refused(e.rawJSON("POST", "/v1/assets/"+asset+"/events", reg, `{"type":"freeze","effective_on":"2021-01-01","case_number":"(2021)\u0002"}`),
		http.StatusUnprocessableEntity, "text_invalid", "body.case_number", head)
	e.refused(e.rawJSON("POST", "/v1/assets/"+asset+"/events", reg, `{"type":"freeze","effective_on":"2021-01-01","note":"bad \u0000 note"}`),
		http.StatusUnprocessableEntity, "text_invalid", "body.note", head)
	r := e.rawJSON("POST", "/v1/assets/"+asset+"/events", reg, `{"type":"freeze","effective_on":"2021-01-01","note":"line one\r\nline two\twith a tab"}`)
	r.status(http.StatusOK)
}

func TestDuplicateAndCaseVariantKeysAreRefused(t *testing.T) {
	e := newEnv(t)
	reg := e.tokens[access.Registrar]
	owner := e.party("keys test co", "enterprise", "150502")
	head := headSeq(t, e)
	long := strings.Repeat("x", 100000)
	e.refused(e.rawJSON("POST", "/v1/parties", reg, `{"name":"ok","NAME":"`+long+`","kind":"enterprise","region_code":"150502"}`),
		http.StatusUnprocessableEntity, "key_case", "body.NAME", head)
	// Go's decoder also folds ſ to s and the Kelvin sign to k.
	e.refused(e.rawJSON("POST", "/v1/parties", reg, `{"name":"ok","kind":"enterprise","region_code":"150502","uſcc":"x"}`),
		http.StatusUnprocessableEntity, "key_case", "body.uſcc", head)
	e.refused(e.rawJSON("POST", "/v1/parties", reg, `{"name":"ok","Kind":"enterprise","region_code":"150502"}`),
		http.StatusUnprocessableEntity, "key_case", "body.Kind", head)
	e.refused(e.rawJSON("POST", "/v1/parties", reg, `{"name":"ok","kind":1,"kind":"enterprise","region_code":"150502"}`),
		http.StatusUnprocessableEntity, "key_duplicate", "body.kind", head)
	e.refused(e.rawJSON("POST", "/v1/assets", reg, `{"kind":"invention_patent","number":"ZL2013106997442","title":"t","owner_ids":["`+owner+`"],"filed_on":"2013-12-18","attributes":{"ipc":["H01M"],"IPC":["A01B"]}}`),
		http.StatusUnprocessableEntity, "key_case", "body.attributes.IPC", head)
	e.refused(e.rawJSON("POST", "/v1/assets", reg, `{"kind":"invention_patent","number":"ZL2013106997442","title":"t","owner_ids":["`+owner+`"],"filed_on":"2013-12-18","attributes":{"ipc":["H01M"],"ipc":["A01B"]}}`),
		http.StatusUnprocessableEntity, "key_duplicate", "body.attributes.ipc", head)
}

func TestNullForAFieldWithoutNullIsRefused(t *testing.T) {
	e := newEnv(t)
	reg := e.tokens[access.Registrar]
	head := headSeq(t, e)
	e.refused(e.rawJSON("POST", "/v1/parties", reg, `{"name":null,"kind":"enterprise","region_code":"150502"}`),
		http.StatusUnprocessableEntity, "null_not_allowed", "body.name", head)
	e.refused(e.rawJSON("POST", "/v1/parties", reg, `{"name":"n","kind":"enterprise","region_code":"150502","uscc":null}`),
		http.StatusUnprocessableEntity, "null_not_allowed", "body.uscc", head)
	// A null body is told what to send, in plain English.
	r := e.rawJSON("POST", "/v1/parties", reg, `null`)
	e.refused(r, http.StatusUnprocessableEntity, "null_not_allowed", "body", head)
	if !strings.Contains(string(r.Body), "give an object") {
		t.Fatalf("null body: %s", r.Body)
	}
}

func TestMissingRequiredFieldNamesItself(t *testing.T) {
	e := newEnv(t)
	reg := e.tokens[access.Registrar]
	head := headSeq(t, e)
	e.refused(e.rawJSON("POST", "/v1/parties", reg, `{"name":"n","region_code":"150502"}`),
		http.StatusUnprocessableEntity, "field_required", "body.kind", head)
	e.refused(e.rawJSON("POST", "/v1/principals", e.tokens[access.Admin], `{"name":"n"}`),
		http.StatusUnprocessableEntity, "field_required", "body.role", head)
}

func TestNumbersThatDoNotFitAreRefusedInPlainWords(t *testing.T) {
	e := newEnv(t)
	admin := e.tokens[access.Admin]
	head := headSeq(t, e)
	for _, c := range []struct{ body, field string }{
		{`{"region":"150502","year":2025.0,"residents":300000}`, "body.year"},
		{`{"region":"150502","year":2025,"residents":2.5e6}`, "body.residents"},
		{`{"region":"150502","year":2025,"residents":99999999999999999999}`, "body.residents"},
		{`{"region":"150502","year":2025,"residents":1e400}`, "body.residents"},
	} {
		e.refused(e.rawJSON("POST", "/v1/indicators/population", admin, c.body), http.StatusUnprocessableEntity, "number_invalid", c.field, head)
	}
	e.rawJSON("POST", "/v1/indicators/population", admin, `{"region":"150502","year":2025,"residents":300000}`).status(http.StatusCreated)
}

func TestJSONBodyNeedsContentTypeJSON(t *testing.T) {
	e := newEnv(t)
	reg := e.tokens[access.Registrar]
	head := headSeq(t, e)
	body := `{"name":"media co","kind":"enterprise","region_code":"150502"}`
	for _, ct := range []string{"", "text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin1", "application/json; charset=utf-16"} {
		var h []string
		if ct != "" {
			h = []string{"Content-Type", ct}
		}
		e.refused(e.raw("POST", "/v1/parties", reg, body, h...), http.StatusUnsupportedMediaType, "unsupported_media_type", "", head)
	}
	e.raw("POST", "/v1/parties", reg, body, "Content-Type", "application/json; charset=UTF-8").status(http.StatusCreated)
}

func TestIdempotencyKeyHeaderIsHeldToItsForm(t *testing.T) {
	e := newEnv(t)
	reg := e.tokens[access.Registrar]
	head := headSeq(t, e)
	body := `{"name":"idem co","kind":"enterprise","region_code":"150502"}`
	e.refused(e.rawJSON("POST", "/v1/parties", reg, body, "Idempotency-Key", ""), http.StatusUnprocessableEntity, "idempotency_key_invalid", "header.Idempotency-Key", head)
	e.refused(e.rawJSON("POST", "/v1/parties", reg, body, "Idempotency-Key", "a\tb"), http.StatusBadRequest, "header_invalid", "header.Idempotency-Key", head)
	e.refused(e.rawJSON("POST", "/v1/parties", reg, body, "Idempotency-Key", strings.Repeat("k", 256)), http.StatusUnprocessableEntity, "idempotency_key_invalid", "header.Idempotency-Key", head)
	e.rawJSON("POST", "/v1/parties", reg, body, "Idempotency-Key", "k-ok").status(http.StatusCreated)
}

func TestOversizeHeaderIsAProblem431(t *testing.T) {
	e := newEnv(t)
	head := headSeq(t, e)
	e.refused(e.raw("GET", "/v1/parties", e.tokens[access.Planner], "", "X-Filler", strings.Repeat("a", 40<<10)),
		http.StatusRequestHeaderFieldsTooLarge, "header_too_large", "", head)
	e.refused(e.rawJSON("POST", "/v1/parties", e.tokens[access.Registrar], `{}`, "Idempotency-Key", strings.Repeat("k", 40<<10)),
		http.StatusRequestHeaderFieldsTooLarge, "header_too_large", "", head)
}

func TestQueryDatesOutsideYears1To9999Are422(t *testing.T) {
	e := newEnv(t)
	head := headSeq(t, e)
	for _, path := range []string{"/v1/pledges?from=0000-01-01", "/v1/pledges?to=0000-12-31", "/v1/assets?as_of=0000-01-01"} {
		e.refused(e.do("GET", path, e.tokens[access.Admin], nil), http.StatusUnprocessableEntity, "date_invalid", "", head)
	}
}

func TestImportOfAnUnreadableFileSaysWhereInPlainWords(t *testing.T) {
	e := newEnv(t)
	reg := e.tokens[access.Registrar]
	head := headSeq(t, e)
	bad := "kind,number,title,owners\ntrademark,12345678,a \"quoted\" title,x\n"
	r := e.raw("POST", "/v1/assets/import?format=csv", reg, bad, "Content-Type", "text/csv")
	e.refused(r, http.StatusUnprocessableEntity, "file_unreadable", "body", head)
	if !strings.Contains(string(r.Body), "line 2") {
		t.Fatalf("the problem does not name the line: %s", r.Body)
	}
	e.refused(e.raw("POST", "/v1/assets/import?format=xlsx", reg, "kind,number\n", "Content-Type", "text/csv"),
		http.StatusUnprocessableEntity, "file_unreadable", "body", head)
	// A NUL in a cell fails its row, not the request.
	owner := e.party("cell test co", "enterprise", "150502")
	rep := e.raw("POST", "/v1/assets/import?format=csv", reg, "kind,number,title,owners\ntrademark,12345678,bad\x00title,"+owner+"\n", "Content-Type", "text/csv").
		status(http.StatusOK).json()
	if rep["failed"] != 1.0 || rep["errors"].([]any)[0].(map[string]any)["code"] != "text_invalid" {
		t.Fatalf("report = %v, want one row refused with text_invalid", rep)
	}
}

func TestAssetEventAnswerShowsTheEventTookEffect(t *testing.T) {
	e := newEnv(t)
	reg := e.tokens[access.Registrar]
	owner := e.party("renewal co", "enterprise", "150502")
	mark := e.do("POST", "/v1/assets", reg, map[string]any{"kind": "trademark", "number": "5123456", "title": "商标",
		"owner_ids": []string{owner}, "granted_on": "2009-06-21"}).status(http.StatusCreated).json()["id"].(string)
	r := e.do("POST", "/v1/assets/"+mark+"/events", reg, map[string]any{"type": "renew", "effective_on": "2019-03-01"}).status(http.StatusOK).json()
	if r["expires_on"] != "2029-06-20" || r["valid"] != true || r["as_of"] != "2019-03-01" {
		t.Fatalf("answer to a renewal effective 2019-03-01: expires_on %v valid %v as_of %v, want 2029-06-20, valid, as of the event", r["expires_on"], r["valid"], r["as_of"])
	}
	r = e.do("POST", "/v1/assets/"+mark+"/events?as_of=2019-12-31", reg, map[string]any{"type": "freeze", "effective_on": "2020-01-02", "case_number": "(2020)内05执保1号"}).status(http.StatusOK).json()
	if r["frozen"] != false || r["as_of"] != "2019-12-31" {
		t.Fatalf("answer as_of 2019-12-31 to a freeze on 2020-01-02: %v", r)
	}
	head := headSeq(t, e)
	e.refused(e.do("POST", "/v1/assets/"+mark+"/events?as_of=0000-01-01", reg, map[string]any{"type": "unfreeze", "effective_on": "2020-02-01"}),
		http.StatusUnprocessableEntity, "date_invalid", "query.as_of", head)
}

func TestLicenceNeedsALicenseeAndOneOfThreeTypes(t *testing.T) {
	e := newEnv(t)
	reg := e.tokens[access.Registrar]
	owner := e.party("licensor co", "enterprise", "150502")
	licensee := e.party("licensee co", "enterprise", "150521")
	mark := e.do("POST", "/v1/assets", reg, map[string]any{"kind": "trademark", "number": "5123457", "title": "商标",
		"owner_ids": []string{owner}, "granted_on": "2019-06-21"}).status(http.StatusCreated).json()["id"].(string)
	path := "/v1/assets/" + mark + "/events"
	head := headSeq(t, e)
	e.refused(e.do("POST", path, reg, map[string]any{"type": "license", "effective_on": "2021-01-01", "licensee_id": licensee, "license_type": "global"}),
		http.StatusUnprocessableEntity, "validation_failed", "body.license_type", head)
	e.refused(e.do("POST", path, reg, map[string]any{"type": "license", "effective_on": "2021-01-01"}),
		http.StatusUnprocessableEntity, "licensee_required", "body.licensee_id", head)
	e.refused(e.do("POST", path, reg, map[string]any{"type": "license", "effective_on": "2021-01-01", "licensee_id": licensee}),
		http.StatusUnprocessableEntity, "license_type_invalid", "body.license_type", head)
	for _, lt := range []string{"exclusive", "sole", "ordinary"} {
		e.do("POST", path, reg, map[string]any{"type": "license", "effective_on": "2021-01-01", "licensee_id": licensee, "license_type": lt}).status(http.StatusOK)
	}
}

func TestAwardCodesAreTheDocumentedEnum(t *testing.T) {
	e := newEnv(t)
	reg := e.tokens[access.Registrar]
	owner := e.party("award co", "enterprise", "150502")
	pat := e.do("POST", "/v1/assets", reg, map[string]any{"kind": "invention_patent", "number": "ZL2013106997442", "title": "一种装置",
		"owner_ids": []string{owner}, "filed_on": "2013-12-18", "granted_on": "2016-05-04"}).status(http.StatusCreated).json()["id"].(string)
	doc := e.do("GET", "/openapi.json", "", nil).status(http.StatusOK).json()
	award := doc["components"].(map[string]any)["schemas"].(map[string]any)["AssetEventInputBody"].(map[string]any)["properties"].(map[string]any)["award"].(map[string]any)
	enum, _ := award["enum"].([]any)
	if len(enum) != 2 || enum[0] != "china_patent_award" || enum[1] != "national_sci_tech_award" {
		t.Fatalf("award enum in the document = %v", award["enum"])
	}
	head := headSeq(t, e)
	e.refused(e.do("POST", "/v1/assets/"+pat+"/events", reg, map[string]any{"type": "award", "effective_on": "2020-01-01", "award": "national_st_award"}),
		http.StatusUnprocessableEntity, "validation_failed", "body.award", head)
	r := e.do("POST", "/v1/assets/"+pat+"/events", reg, map[string]any{"type": "award", "effective_on": "2020-01-01", "award": "national_sci_tech_award", "level": "二等奖"}).status(http.StatusOK).json()
	if aw := r["awards"].([]any); len(aw) != 1 || aw[0].(map[string]any)["award"] != "national_sci_tech_award" {
		t.Fatalf("awards = %v", r["awards"])
	}
}

func TestFieldNotBelongingToTheEventTypeIsRefused(t *testing.T) {
	e := newPledgeEnv(t)
	reg := e.tokens[access.Registrar]
	pat := e.patent()
	head := headSeq(t, e.env)
	e.refused(e.do("POST", "/v1/assets/"+pat+"/events", reg, map[string]any{"type": "lapse", "effective_on": "2020-01-01", "award": "china_patent_award"}),
		http.StatusUnprocessableEntity, "field_not_allowed", "body.award", head)
	e.refused(e.do("POST", "/v1/assets/"+pat+"/events", reg, map[string]any{"type": "freeze", "effective_on": "2020-01-01", "owner_ids": []string{e.owner}}),
		http.StatusUnprocessableEntity, "field_not_allowed", "body.owner_ids", head)
	pledge := e.do("POST", "/v1/pledges", e.tokens[access.Bank], e.pledgeBody(pat)).status(http.StatusCreated).json()["id"].(string)
	head = headSeq(t, e.env)
	e.refused(e.do("POST", "/v1/pledges/"+pledge+"/events", e.tokens[access.Bank], map[string]any{"type": "release", "amount": "1.00"}),
		http.StatusUnprocessableEntity, "field_not_allowed", "body.amount", head)
	e.refused(e.do("POST", "/v1/pledges/"+pledge+"/events", e.tokens[access.Bank], map[string]any{"type": "extend", "ends_on": "2031-01-01", "method": "sale"}),
		http.StatusUnprocessableEntity, "field_not_allowed", "body.method", head)
}

// An empty upload is a missing body, not "invalid JSON": the import takes files.
func TestEmptyImportSaysTheBodyIsMissing(t *testing.T) {
	e := newEnv(t)
	head := headSeq(t, e)
	r := e.raw("POST", "/v1/assets/import?format=csv", e.tokens[access.Registrar], "", "Content-Type", "text/csv")
	e.refused(r, http.StatusBadRequest, "body_required", "", head)
	if strings.Contains(string(r.Body), "JSON") {
		t.Fatalf("an empty CSV upload is told about JSON: %s", r.Body)
	}
}
