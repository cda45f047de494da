// Package ledger is the append-only, hash-chained record of every change: the source of
// truth from which all current state is projected.
package ledger

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"time"
)

// Hash is a SHA-256 digest.
type Hash [32]byte

func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// MarshalText writes lowercase hex.
func (h Hash) MarshalText() ([]byte, error) { return []byte(h.String()), nil }

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
	Payload     any       // marshalled with encoding/json, then canonicalised
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
