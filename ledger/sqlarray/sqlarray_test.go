package sqlarray_test

import (
	"math/rand/v2"
	"strings"
	"testing"

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
		ss := []string{a, b}
		if got, want := string(sqlarray.Text(ss)), bunText(t, ss); got != want {
			t.Fatalf("Text(%q) = %s, want %s", ss, got, want)
		}
	})
}

// Literal writes every element as ranging over it rune by rune writes it (the bound arrays' way
// before it copied runs of plain bytes): quotes and backslashes escaped anywhere in a run,
// multi-byte characters whole, an invalid byte as U+FFFD, a NUL and a single quote as they are.
func TestLiteralAsRuneByRune(t *testing.T) {
	byRunes := func(e string) string {
		var b strings.Builder
		for _, r := range e {
			if r == '"' || r == '\\' {
				b.WriteByte('\\')
			}
			b.WriteRune(r)
		}
		return b.String()
	}
	cases := []string{"", `"`, `\`, `\\"\"`, `{"a": "b\"c"}`, "通辽 \"专利\" \\ x", "a\xffb\"", "\xe9\x80", "'", "x\x00y"}
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"a", `"`, `\`, "通", "\xff", "'", "{", ",", " "}
	for range 2000 {
		var b strings.Builder
		for range rng.IntN(12) {
			b.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		cases = append(cases, b.String())
	}
	for _, e := range cases {
		if got, want := sqlarray.Literal([]string{e}), `{"`+byRunes(e)+`"}`; got != want {
			t.Fatalf("%q: wrote %q, want %q", e, got, want)
		}
	}
}

// Ints writes what bun writes for the same integers, less the SQL literal's quotes.
func TestIntsAsBunWritesThem(t *testing.T) {
	gen := schema.NewQueryGen(pgdialect.New())
	for _, xs := range [][]int64{{}, {0}, {1, 2, 3}, {-9223372036854775808, 9223372036854775807}, {1_329_515}} {
		want := strings.Trim(gen.FormatQuery("?", pgdialect.Array(xs)), "'")
		if got := sqlarray.Ints(xs); got != want {
			t.Errorf("Ints(%v) = %s, want %s", xs, got, want)
		}
	}
	if got := sqlarray.Ints([]int{7, -1}); got != "{7,-1}" {
		t.Errorf("Ints([]int{7, -1}) = %s", got)
	}
}
