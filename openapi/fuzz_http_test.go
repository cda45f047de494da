package openapi_test

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/danielgtaylor/huma/v2"

	"ipledger/registry/access"
	"ipledger/registry/term"
)

// TestHTTPFuzzEveryOperation walks every operation of the OpenAPI document and sends it
// generated and mutated inputs as an admin: wrong types, null, NUL, invalid UTF-8, lone
// surrogates, control characters, huge and float numbers, deep nesting, duplicate and
// case-variant keys, unknown keys, long strings and headers, bad dates, garbage tokens, other
// media types and methods. Every answer must be below 500; every 4xx a problem+json with a
// stable code and no Go or SQL text; and what the schema (or the gate's rules) forbids never
// a 2xx. The inputs are drawn from a fixed seed, so a failure reproduces.
func TestHTTPFuzzEveryOperation(t *testing.T) {
	e := newPledgeEnv(t)
	f := newFuzzer(t, e)
	start := time.Now()
	paths := make([]string, 0, len(f.doc.Paths))
	for p := range f.doc.Paths {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	ops := 0
	for _, p := range paths {
		for method, op := range map[string]*huma.Operation{"GET": f.doc.Paths[p].Get, "POST": f.doc.Paths[p].Post} {
			if op == nil {
				continue
			}
			ops++
			for _, c := range f.cases(p, method, op) {
				f.check(c)
			}
		}
		// A method the path does not take.
		f.check(fuzzCase{name: "method DELETE", method: http.MethodDelete, path: f.fill(p, nil), forbidden: true})
	}
	f.check(fuzzCase{name: "unknown path", method: http.MethodGet, path: "/v1/no-such-thing", forbidden: true})
	t.Logf("%d operations, %d requests in %v; statuses %v", ops, f.sent, time.Since(start).Round(time.Millisecond), f.statuses)
	if ops < 30 || f.sent < 2000 {
		t.Fatalf("walked %d operations with %d requests: the walk lost its inputs", ops, f.sent)
	}
}

type fuzzCase struct {
	name      string
	method    string
	path      string // with the query
	body      []byte
	headers   []string
	forbidden bool // the schema or the gate forbids it: a 2xx is a failure
}

type fuzzer struct {
	t        *testing.T
	e        *pledgeEnv
	doc      *huma.OpenAPI
	reg      huma.Registry
	rng      *rand.Rand
	ids      map[string]string // path prefix → an id that exists
	bases    map[string]string // operation id → a body it accepts; %N% is a fresh number per request
	serial   int
	sent     int
	statuses map[int]int
}

func newFuzzer(t *testing.T, e *pledgeEnv) *fuzzer {
	admin := e.tokens[access.Admin]
	pat := e.patent()
	pledge := e.do("POST", "/v1/pledges", e.tokens[access.Bank], e.pledgeBody(pat)).status(http.StatusCreated).json()["id"].(string)
	// A principal of its own to revoke and rotate, so the admin keeps its token.
	free := e.patent() // the base pledge's right: pledged by the first request that passes
	victim := e.do("POST", "/v1/principals", admin, map[string]any{"name": "fuzz target", "role": "planner"}).status(http.StatusCreated).json()
	demand := e.do("POST", "/v1/demands", admin, map[string]any{"party_id": e.owner, "amount": "100.00", "term_months": 12}).status(http.StatusCreated).json()["id"].(string)
	doc := e.server.OpenAPI()
	return &fuzzer{t: t, e: e, doc: doc, reg: doc.Components.Schemas, rng: rand.New(rand.NewPCG(9, 2026)),
		ids: map[string]string{"/v1/parties/": e.owner, "/v1/assets/": pat, "/v1/pledges/": pledge, "/v1/demands/": demand,
			"/v1/principals/": victim["principal"].(map[string]any)["id"].(string)},
		statuses: map[int]int{},
		// Bodies the operations accept, so that a mutation reaches the write path and not only
		// the first rule a made-up body breaks.
		bases: map[string]string{
			"create-party":           `{"name":"fuzz co %N%","kind":"enterprise","region_code":"150502"}`,
			"record-party-event":     `{"type":"rename","name":"fuzz renamed %N%"}`,
			"create-asset":           `{"kind":"trademark","number":"7%N%","title":"fuzz mark","owner_ids":["` + e.owner + `"],"granted_on":"2020-01-02","region_code":"150502"}`,
			"record-asset-event":     `{"type":"add_foreign_family","effective_on":"2024-01-01","country":"US","family_number":"US%N%","family_date":"2023-01-01","note":"fuzz"}`,
			"create-pledge":          `{"pledgor_ids":["` + e.owner + `"],"asset_ids":["` + free + `"],"amount":"100.00","contract_no":"FZ-%N%","registered_on":"2025-06-01","ends_on":"2030-05-31","pledgee_id":"` + e.bankParty + `"}`,
			"record-pledge-event":    `{"type":"amend","contract_no":"FZ-%N%","note":"fuzz"}`,
			"create-demand":          `{"party_id":"` + e.owner + `","amount":"100.00","term_months":12,"note":"fuzz %N%"}`,
			"record-demand-event":    `{"type":"interest","lender_id":"` + e.bankParty + `","note":"fuzz %N%"}`,
			"create-principal":       `{"name":"fuzz principal %N%","role":"planner"}`,
			"record-population":      `{"region":"150502","year":2024,"residents":300000,"source":"fuzz"}`,
			"set-indicator-target":   `{"code":"valid_invention_patents_per_10k","region":"150500","due":"2025-12-31","value":"10","note":"fuzz"}`,
			"set-indicator-baseline": `{"code":"valid_invention_patents_per_10k","region":"150500","value":"5","note":"fuzz"}`,
			"record-official-value":  `{"code":"valid_trademarks","region":"150500","year":2020,"value":"15100","source":"fuzz %N%"}`,
		}}
}

// fill puts ids that exist into the path's parameters (override: name → raw value).
func (f *fuzzer) fill(p string, override map[string]string) string {
	return regexp.MustCompile(`\{[^}]+\}`).ReplaceAllStringFunc(p, func(m string) string {
		name := m[1 : len(m)-1]
		if v, ok := override[name]; ok {
			return v
		}
		for prefix, id := range f.ids {
			if strings.HasPrefix(p, prefix) {
				return id
			}
		}
		return "1"
	})
}

var (
	queryMutations = []string{"", "0000-01-01", "2023-02-29", "9999-12-31", "10000-01-01", "-1", "0", "1.5", "1e309", "99999999999999999999",
		"\x00", "\xff\xfe", "\x01", "null", "true", "[]", "{}", "' OR 1=1 --", "2024-01-01T00:00:00Z", "ZL2013106997442", strings.Repeat("q", 5000)}
	pathMutations = []string{"nope", "\x00", "\xff", "0", "-1", "99999999999999999999", "..%2F..%2Fetc", strings.Repeat("9", 3000),
		"0192f1c2-0000-7000-8000-000000000000", "%u0000", " "}
	garbageBodies = []string{"{", "}{", "nul", `{"a":}`, `{"a":1,}`, "[1,]", `{"a" 1}`, "\xef\xbb\xbf{}", "'single'", "{}{}",
		`{"a":"\x01"}`, `"\ud800"`, "0x10", "NaN", "Infinity", "-", "1e", `{"\u0000":1}`, "\x00", strings.Repeat("[", 100000),
		strings.Repeat(`{"a":`, 5000) + "1" + strings.Repeat("}", 5000)}
)

func (f *fuzzer) cases(p, method string, op *huma.Operation) []fuzzCase {
	var out []fuzzCase
	base := f.fill(p, nil)
	var query []*huma.Param
	for _, prm := range op.Parameters {
		switch prm.In {
		case "query":
			query = append(query, prm)
		case "path":
			for _, v := range pathMutations {
				out = append(out, fuzzCase{name: "path " + prm.Name + "=" + clip(v), method: method,
					path: f.fill(p, map[string]string{prm.Name: url.PathEscape(v)}), forbidden: !utf8.ValidString(v) || strings.ContainsRune(v, 0)})
			}
		}
	}
	for _, prm := range query {
		s := f.resolve(prm.Schema)
		for _, v := range queryMutations {
			out = append(out, fuzzCase{name: "query " + prm.Name + "=" + clip(v), method: method,
				path: base + "?" + url.Values{prm.Name: {v}}.Encode(), forbidden: queryForbidden(s, v)})
		}
		out = append(out, fuzzCase{name: "query " + prm.Name + " twice", method: method, path: base + "?" + prm.Name + "=1&" + prm.Name + "=2"})
	}
	out = append(out,
		fuzzCase{name: "long header", method: method, path: base, headers: []string{"X-Filler", strings.Repeat("h", 40<<10)}, forbidden: true},
		fuzzCase{name: "long query", method: method, path: base + "?junk=" + strings.Repeat("j", 40<<10), forbidden: true})
	if method != http.MethodPost {
		return out
	}
	var schema *huma.Schema
	if op.RequestBody != nil && op.RequestBody.Content["application/json"] != nil {
		schema = f.resolve(op.RequestBody.Content["application/json"].Schema)
	}
	valid := []byte("{}")
	if b, ok := f.bases[op.OperationID]; ok {
		valid = []byte(b)
	} else if schema != nil {
		valid = f.sample(schema, 0)
	}
	for _, h := range [][]string{{"Idempotency-Key", ""}, {"Idempotency-Key", "a\tb"}, {"Idempotency-Key", strings.Repeat("k", 256)}, {"Idempotency-Key", "\xff"}} {
		out = append(out, fuzzCase{name: "header " + h[0] + "=" + clip(h[1]), method: method, path: base, body: valid,
			headers: append([]string{"Content-Type", "application/json"}, h...), forbidden: true})
	}
	if schema == nil {
		// Not a JSON body: the import takes CSV or XLSX; others take none.
		for _, b := range []string{"kind,number\n\"bare\"quote,1\n", "PK\x03\x04not a zip", "\x00\x00", "kind,number,title,owners\ntrademark,1,\x00,x\n"} {
			out = append(out, fuzzCase{name: "file " + clip(b), method: method, path: base + "?format=csv", body: []byte(b), headers: []string{"Content-Type", "text/csv"}})
			out = append(out, fuzzCase{name: "file as xlsx " + clip(b), method: method, path: base + "?format=xlsx", body: []byte(b), headers: []string{"Content-Type", "text/csv"}})
		}
		return out
	}
	add := func(name string, body []byte, forbidden bool) {
		out = append(out, fuzzCase{name: name, method: method, path: base, body: body, headers: []string{"Content-Type", "application/json"}, forbidden: forbidden})
	}
	add("sample", valid, false)
	for _, ct := range []string{"", "text/plain", "application/json; charset=latin1", "multipart/form-data; boundary=x", "application/xml"} {
		out = append(out, fuzzCase{name: "content-type " + ct, method: method, path: base, body: valid, headers: []string{"Content-Type", ct}, forbidden: true})
	}
	for _, g := range garbageBodies {
		add("garbage "+clip(g), []byte(g), true)
	}
	add("array", []byte("[]"), true)
	add("null", []byte("null"), true)
	add("string", []byte(`"x"`), true)
	add("unknown key", append([]byte(`{"zzz_unknown":1,`), valid[1:]...), true)
	add("too large", []byte(`{"note":"`+strings.Repeat("n", 1<<20)+`"}`), true)
	if len(schema.Required) > 0 {
		add("empty object", []byte("{}"), true)
		out = append(out, fuzzCase{name: "no body", method: method, path: base, headers: []string{"Content-Type", "application/json"}, forbidden: true})
	}
	names := make([]string, 0, len(schema.Properties))
	for n := range schema.Properties {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		ps := f.resolve(schema.Properties[n])
		for _, m := range f.mutations(ps) {
			add(n+" "+m.name, withProp(valid, n, m.raw), m.forbidden)
		}
		first := f.sample(ps, 1)
		add(n+" duplicate", []byte(fmt.Sprintf(`{%q:%s,%s`, n, first, valid[1:])), strings.Contains(string(valid), strconv.Quote(n)+":"))
		add(n+" twice", withProp(valid, n, string(first), n, string(first)), true)
		if up := strings.ToUpper(n); up != n {
			add(n+" case variant", withProp(valid, up, string(first)), true)
		}
	}
	return out
}

type mutation struct {
	name      string
	raw       string
	forbidden bool
}

// mutations are values for one property, each marked forbidden when the schema or the gate
// refuses it whatever the other fields say.
func (f *fuzzer) mutations(s *huma.Schema) []mutation {
	ms := []mutation{{"null", "null", !s.Nullable}, {"object", `{"a":1}`, s.Type != "object"}, {"deep", strings.Repeat("[", 64) + strings.Repeat("]", 64), true},
		{"garbage token", "@", true}, {"bare word", "nope", true}}
	switch s.Type {
	case "string":
		ms = append(ms, mutation{"number", "12345", true}, mutation{"bool", "true", true}, mutation{"array", `["x"]`, true},
			mutation{"NUL", `"a\u0000b"`, true}, mutation{"raw invalid UTF-8", "\"a\xffb\"", true}, mutation{"lone surrogate", `"a\udc00"`, true},
			mutation{"control", `"a\u001bb"`, true}, mutation{"sql", `"'; DROP TABLE registry.assets; --"`, s.Format == "date" || len(s.Enum) > 0},
			mutation{"empty", `""`, false}, mutation{"emoji", `"\ud83d\ude00"`, s.Format == "date" || len(s.Enum) > 0})
		if s.MaxLength != nil {
			ms = append(ms, mutation{"too long", strconv.Quote(strings.Repeat("長", *s.MaxLength+1)), true})
		}
		ms = append(ms, mutation{"100k", `"` + strings.Repeat("x", 100000) + `"`, s.MaxLength != nil})
		if s.Format == "date" {
			for _, d := range []string{"2023-02-29", "0000-01-01", "10000-01-01", "2024-13-01", "2024-1-1", "2024-01-01T00:00:00Z"} {
				ms = append(ms, mutation{"date " + d, strconv.Quote(d), true})
			}
			ms = append(ms, mutation{"date 0001-01-01", `"0001-01-01"`, false}, mutation{"date 9999-12-31", `"9999-12-31"`, false})
		}
	case "integer", "number":
		ms = append(ms, mutation{"string", `"12"`, true}, mutation{"huge", "99999999999999999999", s.Type == "integer"},
			mutation{"1e400", "1e400", true}, mutation{"-1", "-1", false}, mutation{"0", "0", false}, mutation{"9007199254740993", "9007199254740993", false})
		if s.Type == "integer" {
			ms = append(ms, mutation{"float", "2025.0", true}, mutation{"exponent", "2.5e6", true}, mutation{"fraction", "1.5", true})
		}
	case "boolean":
		ms = append(ms, mutation{"string", `"true"`, true}, mutation{"number", "1", true})
	case "array":
		ms = append(ms, mutation{"string", `"x"`, true}, mutation{"[null]", "[null]", s.Items != nil && !f.resolve(s.Items).Nullable},
			mutation{"[NUL]", `["\u0000"]`, true}, mutation{"[lone surrogate]", `["\ud800"]`, true}, mutation{"[number]", "[1.5]", true},
			mutation{"many", "[" + strings.Repeat(`"x",`, 1000) + `"x"]`, s.MaxItems != nil && *s.MaxItems < 1001})
	case "object":
		ms = append(ms, mutation{"array", "[]", true}, mutation{"dup inner", `{"a":1,"a":2}`, true})
	}
	return ms
}

// withProp replaces (or adds) top-level properties of a sample object: pairs of name, raw.
func withProp(obj []byte, kv ...string) []byte {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(obj, &m); err != nil {
		panic(err)
	}
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	slices.Sort(names)
	var b strings.Builder
	b.WriteString("{")
	sep := ""
	for _, k := range names {
		if slices.ContainsFunc(kv, func(x string) bool { return x == k }) {
			continue // replaced below
		}
		fmt.Fprintf(&b, "%s%q:%s", sep, k, m[k])
		sep = ","
	}
	for i := 0; i+1 < len(kv); i += 2 {
		fmt.Fprintf(&b, "%s%q:%s", sep, kv[i], kv[i+1])
		sep = ","
	}
	b.WriteString("}")
	return []byte(b.String())
}

// sample is a plausible value of s: required properties always, optional ones at random.
func (f *fuzzer) sample(s *huma.Schema, depth int) []byte {
	s = f.resolve(s)
	switch {
	case s == nil:
		return []byte(`"x"`)
	case len(s.Enum) > 0:
		b, _ := json.Marshal(s.Enum[f.rng.IntN(len(s.Enum))])
		return b
	}
	switch s.Type {
	case "object":
		names := make([]string, 0, len(s.Properties))
		for n := range s.Properties {
			names = append(names, n)
		}
		slices.Sort(names)
		var b strings.Builder
		b.WriteString("{")
		sep := ""
		for _, n := range names {
			if !slices.Contains(s.Required, n) && (depth > 2 || f.rng.IntN(3) != 0) {
				continue
			}
			fmt.Fprintf(&b, "%s%q:", sep, n)
			if strings.HasSuffix(n, "_id") {
				fmt.Fprintf(&b, "%q", f.e.owner)
			} else if strings.HasSuffix(n, "_ids") {
				fmt.Fprintf(&b, "[%q]", f.e.owner)
			} else {
				b.Write(f.sample(s.Properties[n], depth+1))
			}
			sep = ","
		}
		b.WriteString("}")
		return []byte(b.String())
	case "array":
		return []byte("[" + string(f.sample(s.Items, depth+1)) + "]")
	case "integer":
		if s.Minimum != nil {
			return []byte(strconv.Itoa(int(*s.Minimum)))
		}
		return []byte("1")
	case "number":
		return []byte("1.5")
	case "boolean":
		return []byte("true")
	}
	switch s.Format {
	case "date":
		return []byte(`"2024-01-01"`)
	case "date-time":
		return []byte(`"2024-01-01T00:00:00Z"`)
	}
	n := 1
	if s.MinLength != nil && *s.MinLength > 1 {
		n = *s.MinLength
	}
	return []byte(strconv.Quote(strings.Repeat("1", n)))
}

func (f *fuzzer) resolve(s *huma.Schema) *huma.Schema {
	if s != nil && s.Ref != "" {
		return f.reg.SchemaFromRef(s.Ref)
	}
	return s
}

// queryForbidden says whether the schema of a query parameter (or the gate) refuses v.
func queryForbidden(s *huma.Schema, v string) bool {
	if !utf8.ValidString(v) || strings.ContainsRune(v, 0) {
		return true
	}
	if v == "" || s == nil {
		return false
	}
	if len(s.Enum) > 0 && !slices.ContainsFunc(s.Enum, func(x any) bool { return fmt.Sprint(x) == v }) {
		return true
	}
	if s.MaxLength != nil && utf8.RuneCountInString(v) > *s.MaxLength {
		return true
	}
	switch s.Type {
	case "integer":
		n, err := strconv.ParseInt(v, 10, 64)
		return err != nil || (s.Minimum != nil && float64(n) < *s.Minimum) || (s.Maximum != nil && float64(n) > *s.Maximum)
	case "boolean":
		_, err := strconv.ParseBool(v)
		return err != nil
	}
	if s.Format == "date" {
		_, err := term.ParseDate(v)
		return err != nil
	}
	return false
}

var problemCode = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

func (f *fuzzer) check(c fuzzCase) {
	f.t.Helper()
	f.serial++
	fresh := fmt.Sprintf("%07d", f.serial)
	c.path = strings.ReplaceAll(c.path, "%N%", fresh)
	c.body = []byte(strings.ReplaceAll(string(c.body), "%N%", fresh))
	req, err := http.NewRequest(c.method, f.e.http.URL+c.path, nil)
	if err != nil {
		f.t.Fatalf("%s %s: %v", c.method, clip(c.path), err)
	}
	if len(c.body) > 0 {
		req.Body = io.NopCloser(strings.NewReader(string(c.body)))
		req.ContentLength = int64(len(c.body))
	}
	req.Header.Set("Authorization", "Bearer "+f.e.tokens[access.Admin])
	for i := 0; i+1 < len(c.headers); i += 2 {
		req.Header[c.headers[i]] = []string{c.headers[i+1]}
		if c.headers[i] == "Content-Type" && c.headers[i+1] == "" {
			delete(req.Header, "Content-Type")
		}
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatalf("%s %s [%s]: %v", c.method, clip(c.path), c.name, err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	f.sent++
	f.statuses[res.StatusCode]++
	where := fmt.Sprintf("%s %s [%s] → %d", c.method, clip(c.path), c.name, res.StatusCode)
	switch {
	case res.StatusCode >= 500:
		f.t.Errorf("%s: %s", where, clip(string(body)))
	case res.StatusCode < 300 && c.forbidden:
		f.t.Errorf("%s: accepted what the schema forbids; body %s", where, clip(string(c.body)))
	case res.StatusCode >= 400:
		if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
			f.t.Errorf("%s: Content-Type %q, want application/problem+json: %s", where, ct, clip(string(body)))
			return
		}
		var p struct {
			Type   string `json:"type"`
			Code   string `json:"code"`
			Status int    `json:"status"`
		}
		if err := json.Unmarshal(body, &p); err != nil || !problemCode.MatchString(p.Code) || p.Type != "/problems/"+p.Code || p.Status != res.StatusCode {
			f.t.Errorf("%s: not a problem with a stable code: %s", where, clip(string(body)))
		}
		for _, m := range goMarkers {
			if strings.Contains(string(body), m) {
				f.t.Errorf("%s: Go or SQL text %q: %s", where, m, clip(string(body)))
			}
		}
	}
}

func clip(s string) string {
	if len(s) > 120 {
		return fmt.Sprintf("%q…(%d bytes)", s[:120], len(s))
	}
	return fmt.Sprintf("%q", s)
}
