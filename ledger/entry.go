// Package ledger is the append-only, hash-chained record of every change: the source of
// truth from which all current state is projected.
package ledger

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Hash is a SHA-256 digest.
type Hash [32]byte

func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// MarshalText writes lowercase hex.
func (h Hash) MarshalText() ([]byte, error) { return []byte(h.String()), nil }

// UnmarshalText reads what MarshalText writes, so a report or export reads back.
func (h *Hash) UnmarshalText(b []byte) error { return parseHash(string(b), h) }

// Entry is one recorded change.
type Entry struct {
	Seq            int64           `json:"seq"`
	Kind           string          `json:"kind"`
	Subject        string          `json:"subject"`
	Actor          string          `json:"actor"`
	EffectiveOn    time.Time       `json:"-"`
	RecordedAt     time.Time       `json:"recorded_at"`
	Payload        json.RawMessage `json:"payload"`
	IdempotencyKey string          `json:"idempotency_key,omitempty"`
	PrevHash       Hash            `json:"prev_hash"`
	Hash           Hash            `json:"hash"`
}

// Draft is an entry before the ledger gives it a place in the chain.
type Draft struct {
	Kind        string
	Subject     string
	EffectiveOn time.Time // a civil date; only its year, month and day count
	Payload     any       // marshalled with encoding/json, then canonicalised; a Canonical as it is
}

const hashTag = "ipledger/entry/v1"

// DateLayout is how dates are written in the hash and the API.
const DateLayout = "2006-01-02"

// TimeLayout is how recorded_at is written in the hash: UTC, microseconds, as Postgres keeps it.
const TimeLayout = "2006-01-02T15:04:05.000000Z"

// ComputeHash returns the entry's hash over every column but the hash itself, as documented
// byte by byte in docs/LEDGER.md: SHA-256 over length-prefixed fields.
func ComputeHash(e *Entry) Hash {
	var num [20]byte
	var d, ts [32]byte
	return hashFields(
		strconv.AppendInt(num[:0], e.Seq, 10), []byte(e.Kind), []byte(e.Subject), []byte(e.Actor),
		e.EffectiveOn.AppendFormat(d[:0], DateLayout), e.RecordedAt.UTC().AppendFormat(ts[:0], TimeLayout),
		e.Payload, []byte(e.IdempotencyKey), e.PrevHash[:])
}

// hashFields is the encoding itself, over the fields' bytes in their documented form.
func hashFields(seq, kind, subject, actor, effectiveOn, recordedAt, payload, key, prev []byte) Hash {
	var buf [1024]byte
	b := buf[:0]
	for _, f := range [...][]byte{[]byte(hashTag), seq, kind, subject, actor, effectiveOn, recordedAt, payload, key, prev} {
		b = binary.BigEndian.AppendUint32(b, uint32(len(f)))
		b = append(b, f...)
	}
	return sha256.Sum256(b)
}

// EffectiveDate is EffectiveOn as YYYY-MM-DD.
func (e *Entry) EffectiveDate() string { return e.EffectiveOn.Format(DateLayout) }

// FormatTime writes recorded_at as it is hashed: UTC, always six fraction digits. Every
// rendering of recorded_at (API, export) uses it, so the text shown is the text hashed.
func FormatTime(t time.Time) string { return t.UTC().Format(TimeLayout) }

// ExportLine is one entry of an export (`ipledger export`, GET /v1/ledger/export): every
// hashed field as the text that was hashed, in hash order, so an outside verifier needs no
// database and no JSON canonicaliser. docs/LEDGER.md defines it field by field.
type ExportLine struct {
	Seq            int64  `json:"seq" doc:"Position in the chain: a JSON number"`
	Kind           string `json:"kind"`
	Subject        string `json:"subject"`
	Actor          string `json:"actor"`
	EffectiveOn    string `json:"effective_on" doc:"YYYY-MM-DD"`
	RecordedAt     string `json:"recorded_at" doc:"YYYY-MM-DDTHH:MM:SS.ffffffZ: UTC, always six fraction digits"`
	Payload        string `json:"payload" doc:"The payload as the exact JSON text that was hashed (payload::text)"`
	IdempotencyKey string `json:"idempotency_key" doc:"The empty string when the entry has none"`
	PrevHash       string `json:"prev_hash" doc:"Lowercase hex SHA-256; 64 zeros for entry 1"`
	Hash           string `json:"hash" doc:"Lowercase hex SHA-256 over the other fields, docs/LEDGER.md"`
}

// ExportLine is e as an export line.
func (e *Entry) ExportLine() ExportLine {
	return ExportLine{
		Seq: e.Seq, Kind: e.Kind, Subject: e.Subject, Actor: e.Actor, EffectiveOn: e.EffectiveDate(),
		RecordedAt: FormatTime(e.RecordedAt), Payload: string(e.Payload), IdempotencyKey: e.IdempotencyKey,
		PrevHash: e.PrevHash.String(), Hash: e.Hash.String(),
	}
}

// Entry parses an export line back into the entry it came from.
func (l *ExportLine) Entry() (Entry, error) {
	eff, err := time.Parse(DateLayout, l.EffectiveOn)
	if err != nil {
		return Entry{}, fmt.Errorf("entry %d effective_on %q: want YYYY-MM-DD", l.Seq, l.EffectiveOn)
	}
	at, err := time.Parse(TimeLayout, l.RecordedAt)
	if err != nil {
		return Entry{}, fmt.Errorf("entry %d recorded_at %q: want YYYY-MM-DDTHH:MM:SS.ffffffZ", l.Seq, l.RecordedAt)
	}
	e := Entry{Seq: l.Seq, Kind: l.Kind, Subject: l.Subject, Actor: l.Actor, EffectiveOn: eff, RecordedAt: at,
		Payload: []byte(l.Payload), IdempotencyKey: l.IdempotencyKey}
	if err := parseHash(l.PrevHash, &e.PrevHash); err != nil {
		return Entry{}, fmt.Errorf("entry %d prev_hash: %w", l.Seq, err)
	}
	if err := parseHash(l.Hash, &e.Hash); err != nil {
		return Entry{}, fmt.Errorf("entry %d hash: %w", l.Seq, err)
	}
	return e, nil
}

// parseHash reads 64 lowercase hex digits, the only form an export writes.
func parseHash(s string, h *Hash) error {
	if len(s) != 64 || strings.ToLower(s) != s {
		return errors.New("want 64 lowercase hex digits")
	}
	if _, err := hex.Decode(h[:], []byte(s)); err != nil {
		return errors.New("want 64 lowercase hex digits")
	}
	return nil
}

// ExportEncoder writes export lines: one JSON object per line, fields in hash order, no HTML
// escaping. The CLI and the API both write with it, so their bytes are the same.
type ExportEncoder struct{ enc *json.Encoder }

// NewExportEncoder writes lines to w.
func NewExportEncoder(w io.Writer) *ExportEncoder {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return &ExportEncoder{enc: enc}
}

// Encode writes e as one line.
func (x *ExportEncoder) Encode(e *Entry) error {
	l := e.ExportLine()
	if err := x.enc.Encode(&l); err != nil {
		return fmt.Errorf("ledger: export entry %d: %w", e.Seq, err)
	}
	return nil
}

// VerifyExport checks an export read from r, with the rules Verify applies to the database.
// A range that does not start at seq 1 is checked from its first entry's prev_hash, which
// the caller compares with a hash it holds (Report.FromSeq, Report.FromPrevHash).
func VerifyExport(r io.Reader) (Report, error) {
	dec := json.NewDecoder(bufio.NewReaderSize(r, 1<<20))
	dec.DisallowUnknownFields()
	line := 0
	return verifyFrom(func(e *Entry) (bool, error) {
		var l ExportLine
		line++
		if err := dec.Decode(&l); err == io.EOF {
			return false, nil
		} else if err != nil {
			return false, fmt.Errorf("export line %d: %w", line, err)
		}
		x, err := l.Entry()
		if err != nil {
			return false, fmt.Errorf("export line %d: %w", line, err)
		}
		*e = x
		return true, nil
	})
}
