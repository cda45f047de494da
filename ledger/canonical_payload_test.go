package ledger

import (
	"encoding/json"
	"testing"
	"time"
)

// A payload made canonical before the write is appended as the same entry, hash included, as
// the value it was made from.
func TestAppendCanonicalPayload(t *testing.T) {
	v := map[string]any{"title": "生成资产 \"1\"", "owner_ids": []string{"b", "a"}, "n": json.Number("12.50"), "z": nil}
	c, err := CanonicalPayload(v)
	if err != nil {
		t.Fatal(err)
	}
	tx := func() *Tx {
		return &Tx{now: time.Date(2026, 11, 28, 1, 2, 3, 456789000, time.UTC), actor: "staff:1", next: 7, prev: Hash{1}}
	}
	d := Draft{Kind: "asset.registered", Subject: "asset/1", EffectiveOn: time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC), Payload: v}
	want, err := tx().Append(d)
	if err != nil {
		t.Fatal(err)
	}
	d.Payload = c
	got, err := tx().Append(d)
	if err != nil {
		t.Fatal(err)
	}
	if string(got.Payload) != string(want.Payload) || got.Hash != want.Hash {
		t.Fatalf("canonical payload appended as %s (hash %x), the value as %s (hash %x)", got.Payload, got.Hash, want.Payload, want.Hash)
	}
	raw, _ := json.Marshal(v)
	if r, err := CanonicalPayload(json.RawMessage(raw)); err != nil || string(r.b) != string(c.b) {
		t.Fatalf("CanonicalPayload of the value's JSON = %s (%v), of the value %s", r.b, err, c.b)
	}
	for _, bad := range []string{`{"a": 1} {}`, `{"a": 1`, `[1]`, ``} {
		if _, err := CanonicalPayload(json.RawMessage(bad)); err == nil {
			t.Errorf("CanonicalPayload took %q", bad)
		}
	}
	d.Payload = Canonical{}
	if _, err := tx().Append(d); err == nil {
		t.Fatal("a zero Canonical was appended")
	}
	if _, err := CanonicalPayload([]int{1}); err == nil {
		t.Fatal("CanonicalPayload took an array: a payload is a JSON object")
	}
}
