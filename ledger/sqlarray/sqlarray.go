// Package sqlarray writes Postgres text[] literals into SQL text, for the bulk statements that
// send thousands of rows as a few array arguments.
//
// It writes what bun's pgdialect.Array writes for a []string — the same escapes, a NUL dropped
// as bun drops it — copying each run of plain bytes at once where bun appends rune by rune: in
// a 100,000-row import, bun's writing of those arrays was a fifth of the Go time spent
// between two statements of a write (docs/BENCHMARKS.md, sixth session).
package sqlarray

import (
	"strings"

	"github.com/uptrace/bun"
)

// special are the bytes escaped in an element: the array's quote and backslash, the SQL
// literal's quote, and NUL. A UTF-8 sequence's bytes are all ≥ 0x80, so scanning bytes is
// scanning characters.
var special = [256]bool{'"': true, '\\': true, '\'': true, 0: true}

// Text is ss as a quoted text[] literal ('{"a","b"}'), to pass as a bun argument in place of
// pgdialect.Array(ss): bun writes a bun.Safe into the statement as it is. ss must be valid
// UTF-8, as everything the ledger and the registry write is checked to be: an invalid byte is
// copied (and Postgres refuses the statement), where bun writes U+FFFD.
func Text(ss []string) bun.Safe {
	n := 4
	for _, s := range ss {
		n += len(s) + 3
	}
	var b strings.Builder
	b.Grow(n + n/8)
	b.WriteString("'{")
	for i, s := range ss {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('"')
		start := 0
		for j := 0; j < len(s); j++ {
			c := s[j]
			if !special[c] {
				continue
			}
			b.WriteString(s[start:j])
			switch c {
			case '"':
				b.WriteString(`\"`)
			case '\\':
				b.WriteString(`\\`)
			case '\'':
				b.WriteString(`''`)
			}
			start = j + 1
		}
		b.WriteString(s[start:])
		b.WriteByte('"')
	}
	b.WriteString("}'")
	return bun.Safe(b.String())
}
