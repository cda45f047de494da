package ledger

import (
	"crypto/sha256"
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

func TestCanonicalJSONForm(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`{"b":1,"a":2}`, `{"a": 2, "b": 1}`},
		{`{"aa":1,"b":2}`, `{"b": 2, "aa": 1}`}, // shorter keys first, as jsonb orders them
		{`{"x":[1,{"z":null,"y":true}],"e":"\u00e9\n\u0001"}`, "{\"e\": \"é\\n\\u0001\", \"x\": [1, {\"y\": true, \"z\": null}]}"},
		{`{"a":1,"a":2}`, `{"a": 2}`}, // the last duplicate wins, as in jsonb
		{`{"n":-0.50}`, `{"n": -0.50}`},
		{`{}`, `{}`},
	} {
		got, err := canonicalJSON([]byte(c.in))
		if err != nil {
			t.Fatalf("%s: %v", c.in, err)
		}
		if string(got) != c.want {
			t.Errorf("canonicalJSON(%s) = %s, want %s", c.in, got, c.want)
		}
	}
	for _, bad := range []string{`[1]`, `"s"`, `{"a":1e3}`, `{"a":-0}`, `{"a":"\u0000"}`, `{"a":1} x`, `{`} {
		if _, err := canonicalJSON([]byte(bad)); err == nil {
			t.Errorf("canonicalJSON(%s) accepted", bad)
		}
	}
}

// FuzzCanonicalJSON: the canonical form is valid JSON, means the same as the input, and is
// a fixed point (canonicalising it again changes nothing).
func FuzzCanonicalJSON(f *testing.F) {
	for _, s := range []string{`{"a":1}`, `{"b":[1,2,{"c":"d"}],"a":null}`, `{"é":"\t\u001f"}`, `{"":""}`, `{"n":12.50}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out, err := canonicalJSON([]byte(in))
		if err != nil {
			return
		}
		var a, b any
		if err := json.Unmarshal(out, &b); err != nil {
			t.Fatalf("output is not JSON: %q from %q", out, in)
		}
		if err := json.Unmarshal([]byte(in), &a); err != nil {
			t.Fatalf("accepted invalid JSON %q", in)
		}
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("meaning changed: %q -> %q", in, out)
		}
		again, err := canonicalJSON(out)
		if err != nil || string(again) != string(out) {
			t.Fatalf("not a fixed point: %q -> %q (%v)", out, again, err)
		}
	})
}

// TestHashWorkedExample pins the encoding to the example in docs/LEDGER.md, which
// docs/verify_entry.py reproduces independently.
func TestHashWorkedExample(t *testing.T) {
	e := Entry{
		Seq: 1, Kind: "region.defined", Subject: "region/150502", Actor: "system",
		EffectiveOn: time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC),
		RecordedAt:  time.Date(2026, 11, 25, 8, 30, 0, 123456000, time.UTC),
		Payload:     []byte(`{"code": "150502", "name_zh": "科尔沁区"}`),
	}
	// Built by hand from the table in docs/LEDGER.md, not by ComputeHash.
	var pre []byte
	for _, f := range [][]byte{[]byte("ipledger/entry/v1"), []byte("1"), []byte("region.defined"), []byte("region/150502"),
		[]byte("system"), []byte("2021-01-01"), []byte("2026-11-25T08:30:00.123456Z"), e.Payload, nil, make([]byte, 32)} {
		pre = append(pre, byte(len(f)>>24), byte(len(f)>>16), byte(len(f)>>8), byte(len(f)))
		pre = append(pre, f...)
	}
	if got, want := len(pre), 205; got != want {
		t.Fatalf("preimage is %d bytes, docs say %d", got, want)
	}
	byHand := sha256.Sum256(pre)
	if got := ComputeHash(&e); got != Hash(byHand) {
		t.Fatalf("ComputeHash = %s, by hand %x", got, byHand)
	}
	if got, want := ComputeHash(&e).String(), "b387c5363140cf596fe731bf946ef021a0d0fe5a17d9b670db9608c4b3e0cf01"; got != want {
		t.Fatalf("hash = %s, docs/LEDGER.md says %s", got, want)
	}
}
