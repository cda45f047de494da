package registry

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// writeArrayElem writes every element as ranging over it rune by rune writes it (arrayLiteral's
// way before it copied runs of plain bytes): quotes and backslashes escaped anywhere in a run,
// multi-byte characters whole, an invalid byte as U+FFFD.
func TestWriteArrayElemAsRuneByRune(t *testing.T) {
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
		var b strings.Builder
		writeArrayElem(&b, e)
		if got, want := b.String(), byRunes(e); got != want {
			t.Fatalf("%q: wrote %q, want %q", e, got, want)
		}
	}
}
