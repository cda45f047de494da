// Package sqlarray writes Postgres array literals, for the bulk statements that send thousands
// of rows as a few array arguments: Text for a text[] argument bun writes into the statement,
// Literal and Ints for text[] and integer arrays bound as parameters.
//
// Each element is written as bun's pgdialect.Array writes it for a []string, but a run of plain
// bytes is copied at once where bun appends rune by rune: in a 100,000-row import, bun's writing
// of those arrays was a fifth of the Go time spent between two statements of a write
// (docs/BENCHMARKS.md, sixth session).
package sqlarray

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/uptrace/bun"
)

// Text is ss as a quoted text[] literal ('{"a","b"}'), to pass as a bun argument in place of
// pgdialect.Array(ss): bun writes a bun.Safe into the statement as it is. It is the text bun
// writes: the SQL literal's quote doubled and a NUL dropped besides the array's escapes.
func Text(ss []string) bun.Safe {
	return bun.Safe(write(ss, true))
}

// Literal is ss as the text of a text[] value ({"a","b"}), to bind as a parameter: the array's
// escapes only.
func Literal(ss []string) string {
	return write(ss, false)
}

// Ints is xs as the text of a bigint[] or int[] value ({1,2,3}), to bind as a parameter.
func Ints[T ~int | ~int32 | ~int64](xs []T) string {
	b := make([]byte, 0, 2+12*len(xs))
	b = append(b, '{')
	for i, x := range xs {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, int64(x), 10)
	}
	return string(append(b, '}'))
}

func write(ss []string, quoted bool) string {
	n := 4
	for _, s := range ss {
		n += len(s) + 3
	}
	var b strings.Builder
	b.Grow(n + n/8)
	if quoted {
		b.WriteByte('\'')
	}
	b.WriteByte('{')
	for i, s := range ss {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('"')
		if utf8.ValidString(s) {
			writeRuns(&b, s, quoted)
		} else {
			writeRunes(&b, s, quoted)
		}
		b.WriteByte('"')
	}
	b.WriteByte('}')
	if quoted {
		b.WriteByte('\'')
	}
	return b.String()
}

// writeRuns writes valid UTF-8 a run of plain bytes at a time: a multi-byte character's bytes
// are all ≥ 0x80, so none of them is one to escape.
func writeRuns(b *strings.Builder, s string, quoted bool) {
	start := 0
	for j := 0; j < len(s); j++ {
		c := s[j]
		if c != '"' && c != '\\' && !(quoted && (c == '\'' || c == 0)) {
			continue
		}
		b.WriteString(s[start:j])
		b.WriteString(escape(rune(c), quoted))
		start = j + 1
	}
	b.WriteString(s[start:])
}

// writeRunes writes s rune by rune, an invalid byte as U+FFFD, as ranging over it gives (and
// bun writes).
func writeRunes(b *strings.Builder, s string, quoted bool) {
	for _, r := range s {
		if e := escape(r, quoted); e != "" || r == 0 && quoted {
			b.WriteString(e)
			continue
		}
		b.WriteRune(r)
	}
}

// escape is what r is written as when it is escaped, "" when it is written as itself (or, for
// a NUL in a quoted literal, dropped).
func escape(r rune, quoted bool) string {
	switch {
	case r == '"':
		return `\"`
	case r == '\\':
		return `\\`
	case quoted && r == '\'':
		return `''`
	}
	return ""
}
