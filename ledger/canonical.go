package ledger

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"
)

// Canonical is a payload in the form the ledger hashes and stores (CanonicalPayload). Tx.Append
// takes it as it is: a bulk write makes its payloads canonical before the write, while the
// write before it holds the ledger's one committer, instead of in the committer's time.
type Canonical struct{ b []byte }

// CanonicalPayload marshals v and canonicalises it, as Tx.Append does with any other payload.
func CanonicalPayload(v any) (Canonical, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return Canonical{}, fmt.Errorf("ledger: marshal payload: %w", err)
	}
	b, err := canonicalJSON(raw)
	if err != nil {
		return Canonical{}, fmt.Errorf("ledger: %w", err)
	}
	return Canonical{b}, nil
}

// canonicalJSON re-encodes a JSON object exactly as Postgres prints a jsonb value
// (jsonb_out): keys ordered by byte length then bytewise, ", " and ": " separators, strings
// escaped as escape_json does. Hashing this form means the stored payload::text is the very
// byte string that was hashed, so an auditor needs no JSON library to recompute a hash.
func canonicalJSON(raw []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("payload: %w", err)
	}
	// More() misses a stray closing brace, so insist on the end of input.
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("payload: trailing data after JSON value")
	}
	if _, ok := v.(map[string]any); !ok {
		return nil, errors.New("payload: must be a JSON object")
	}
	var buf bytes.Buffer
	buf.Grow(len(raw) + 16)
	if err := writeCanonical(&buf, v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Plain decimals only: numeric keeps their text as given, while exponents and negative zero
// would be rewritten by Postgres and break the hash.
var plainNumber = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?$`)

func writeCanonical(buf *bytes.Buffer, v any) error {
	switch v := v.(type) {
	case nil:
		buf.WriteString("null")
	case bool:
		if v {
			buf.WriteString("true")
		} else {
			buf.WriteString("false")
		}
	case json.Number:
		s := string(v)
		if !plainNumber.MatchString(s) || s[0] == '-' && isZero(s[1:]) {
			return fmt.Errorf("payload: number %q is not a plain decimal", s)
		}
		// numeric's limits: 131072 digits before the point, 16383 after.
		intPart, frac, _ := strings.Cut(strings.TrimPrefix(s, "-"), ".")
		if len(intPart) > 131072 || len(frac) > 16383 {
			return errors.New("payload: number out of Postgres numeric range")
		}
		buf.WriteString(s)
	case string:
		return writeString(buf, v)
	case []any:
		buf.WriteByte('[')
		for i, e := range v {
			if i > 0 {
				buf.WriteString(", ")
			}
			if err := writeCanonical(buf, e); err != nil {
				return err
			}
		}
		buf.WriteByte(']')
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool {
			if len(keys[i]) != len(keys[j]) {
				return len(keys[i]) < len(keys[j])
			}
			return keys[i] < keys[j]
		})
		buf.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				buf.WriteString(", ")
			}
			if err := writeString(buf, k); err != nil {
				return err
			}
			buf.WriteString(": ")
			if err := writeCanonical(buf, v[k]); err != nil {
				return err
			}
		}
		buf.WriteByte('}')
	default:
		return fmt.Errorf("payload: unexpected %T", v)
	}
	return nil
}

func isZero(s string) bool {
	for _, c := range s {
		if c != '0' && c != '.' {
			return false
		}
	}
	return true
}

const hexdigits = "0123456789abcdef"

func writeString(buf *bytes.Buffer, s string) error {
	if !utf8.ValidString(s) {
		return errors.New("payload: string is not valid UTF-8")
	}
	buf.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '"':
			buf.WriteString(`\"`)
		case '\\':
			buf.WriteString(`\\`)
		case '\b':
			buf.WriteString(`\b`)
		case '\f':
			buf.WriteString(`\f`)
		case '\n':
			buf.WriteString(`\n`)
		case '\r':
			buf.WriteString(`\r`)
		case '\t':
			buf.WriteString(`\t`)
		case 0:
			return errors.New(`payload: jsonb cannot hold \u0000`)
		default:
			if c < 0x20 {
				buf.WriteString(`\u00`)
				buf.WriteByte(hexdigits[c>>4])
				buf.WriteByte(hexdigits[c&0xf])
			} else {
				buf.WriteByte(c)
			}
		}
	}
	buf.WriteByte('"')
	return nil
}
