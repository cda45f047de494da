package sqlarray_test

import (
	"testing"
	"unicode/utf8"

	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/schema"

	"ipledger/ledger/sqlarray"
)

// bunText is what bun writes for pgdialect.Array(ss).
func bunText(t testing.TB, ss []string) string {
	gen := schema.NewQueryGen(pgdialect.New())
	return gen.FormatQuery("?", pgdialect.Array(ss))
}

func TestTextAsBunWritesIt(t *testing.T) {
	for _, ss := range [][]string{
		{},
		{""},
		{"a", "b"},
		{`{"kind": "trademark", "title": "O'Brien \"quoted\" \\ back"}`},
		{"生成资产1", "ä\u2028", "a,b", "{x}", "NULL", " lead", "trail "},
		{"nul\x00byte", `'''`, `\\\"`},
	} {
		got := string(sqlarray.Text(ss))
		if want := bunText(t, ss); got != want {
			t.Errorf("Text(%q) = %s, want %s", ss, got, want)
		}
	}
}

func FuzzText(f *testing.F) {
	f.Add("a", `"b\'`)
	f.Add("", "生成")
	f.Fuzz(func(t *testing.T, a, b string) {
		if !utf8.ValidString(a) || !utf8.ValidString(b) {
			return // outside Text's domain (testdata: bun writes U+FFFD, Text the byte)
		}
		ss := []string{a, b}
		if got, want := string(sqlarray.Text(ss)), bunText(t, ss); got != want {
			t.Fatalf("Text(%q) = %s, want %s", ss, got, want)
		}
	})
}
