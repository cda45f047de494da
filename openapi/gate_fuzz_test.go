package openapi

import (
	"bytes"
	"encoding/json"
	"io"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/danielgtaylor/huma/v2"
)

// gateCodes are the codes the body gate may answer with.
var gateCodes = map[string]bool{"text_invalid": true, "key_duplicate": true, "key_case": true, "null_not_allowed": true,
	"number_invalid": true, "field_required": true, "bad_request": true}

// FuzzBodyGate checks the gate against every JSON body schema of the API: a refusal has a gate
// code, names a place in the body and carries no Go text; an accepted body is one JSON value
// in UTF-8 that Go decodes, with no NUL, no duplicate key, no U+FFFD that the sender did not
// write, and no deeper than the gate allows.
func FuzzBodyGate(f *testing.F) {
	s := New(Deps{})
	reg := s.api.OpenAPI().Components.Schemas
	var schemas []*huma.Schema
	paths := make([]string, 0, len(s.api.OpenAPI().Paths))
	for p := range s.api.OpenAPI().Paths {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	for _, p := range paths {
		if op := s.api.OpenAPI().Paths[p].Post; op != nil && op.RequestBody != nil && op.RequestBody.Content["application/json"] != nil {
			schemas = append(schemas, op.RequestBody.Content["application/json"].Schema)
		}
	}
	if len(schemas) < 8 {
		f.Fatalf("found %d JSON body schemas", len(schemas))
	}
	for i, b := range []string{
		`{"name":"a","kind":"enterprise","region_code":"150502"}`, `{"name":"a\u0000"}`, `{"name":"\ud800"}`, `{"name":"\ud83d\ude00"}`,
		`{"a":1,"a":2}`, `{"NAME":"x","name":"y"}`, `{"year":2025.0}`, `{"residents":99999999999999999999}`, `{"note":"a\nb"}`,
		`{"owner_ids":["x",null]}`, `[[[[[[]]]]]]`, "{\"name\":\"\xff\"}", `{"name":"\uFFFD"}`, `{"attributes":{"ipc":["a"],"IPC":["b"]}}`,
	} {
		f.Add(uint8(i), []byte(b))
	}
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		schema := schemas[int(which)%len(schemas)]
		if p := checkBody(body, reg, schema); p != nil {
			if !gateCodes[p.Code] || len(p.Errors) != 1 || !strings.HasPrefix(p.Errors[0].Location, "body") || goText(p.Detail) || goText(p.Errors[0].Message) {
				t.Fatalf("refusal %+v", p)
			}
			return
		}
		if !json.Valid(body) || !utf8.Valid(body) {
			t.Fatalf("accepted a body that is not JSON in UTF-8: %q", body)
		}
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		replacements := 0
		depth := 0
		for {
			tok, err := dec.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("accepted %q, but Go cannot read it: %v", body, err)
			}
			switch v := tok.(type) {
			case json.Delim:
				if v == '{' || v == '[' {
					depth++
				} else {
					depth--
				}
				if depth > maxDepth+1 {
					t.Fatalf("accepted %d levels of nesting", depth)
				}
			case string:
				if strings.ContainsRune(v, 0) {
					t.Fatalf("accepted a NUL in %q", body)
				}
				replacements += strings.Count(v, "\uFFFD")
			}
		}
		if written := bytes.Count(body, []byte("\uFFFD")) + strings.Count(strings.ToLower(string(body)), `\ufffd`); replacements > written {
			t.Fatalf("accepted %q: it decodes to %d U+FFFD, the sender wrote %d", body, replacements, written)
		}
		if dup := duplicateKey(body); dup != "" {
			t.Fatalf("accepted the duplicate key %q in %q", dup, body)
		}
	})
}

// duplicateKey finds a key repeated within one object, by an independent walk of the value.
func duplicateKey(body []byte) string {
	var walk func(v json.RawMessage) string
	walk = func(v json.RawMessage) string {
		v = bytes.TrimSpace(v)
		if len(v) == 0 {
			return ""
		}
		switch v[0] {
		case '{':
			dec := json.NewDecoder(bytes.NewReader(v))
			_, _ = dec.Token()
			seen := map[string]bool{}
			for dec.More() {
				k, _ := dec.Token()
				key, _ := k.(string)
				if seen[key] {
					return key
				}
				seen[key] = true
				var raw json.RawMessage
				if err := dec.Decode(&raw); err != nil {
					return ""
				}
				if d := walk(raw); d != "" {
					return d
				}
			}
		case '[':
			var items []json.RawMessage
			if err := json.Unmarshal(v, &items); err != nil {
				return ""
			}
			for _, it := range items {
				if d := walk(it); d != "" {
					return d
				}
			}
		}
		return ""
	}
	return walk(body)
}

// BenchmarkBodyGate measures the gate on a typical body beside the parse huma does anyway
// (json.Unmarshal into any, for validation): the gate's cost as a ratio to that.
func BenchmarkBodyGate(b *testing.B) {
	s := New(Deps{})
	reg := s.api.OpenAPI().Components.Schemas
	op := s.api.OpenAPI().Paths["/v1/assets"].Post
	schema := op.RequestBody.Content["application/json"].Schema
	body := []byte(`{"kind":"invention_patent","number":"ZL2013106997442","title":"一种锂离子电池正极材料的制备方法","owner_ids":["0192f1c2-0000-7000-8000-000000000001","0192f1c2-0000-7000-8000-000000000002"],"filed_on":"2013-12-18","granted_on":"2016-05-04","attributes":{"ipc":["H01M10/0525","H01M4/36"]}}`)
	b.Run("gate", func(b *testing.B) {
		for b.Loop() {
			if p := checkBody(body, reg, schema); p != nil {
				b.Fatal(p)
			}
		}
	})
	b.Run("unmarshal-any", func(b *testing.B) {
		for b.Loop() {
			var v any
			if err := json.Unmarshal(body, &v); err != nil {
				b.Fatal(err)
			}
		}
	})
}
