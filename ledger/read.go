package ledger

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

const entryColumns = `seq, kind, subject, actor, effective_on::text, recorded_at, payload::text, coalesce(idempotency_key, ''), prev_hash, hash`

type scanner interface{ Scan(dest ...any) error }

func scanEntry(s scanner, e *Entry) error {
	var eff string
	var payload string
	var prev, hash []byte
	if err := s.Scan(&e.Seq, &e.Kind, &e.Subject, &e.Actor, &eff, &e.RecordedAt, &payload, &e.IdempotencyKey, &prev, &hash); err != nil {
		return err
	}
	d, err := time.Parse(DateLayout, eff)
	if err != nil {
		return fmt.Errorf("ledger: entry %d effective_on %q: %w", e.Seq, eff, err)
	}
	e.EffectiveOn = d
	e.RecordedAt = e.RecordedAt.UTC()
	e.Payload = []byte(payload)
	if len(prev) != 32 || len(hash) != 32 {
		return fmt.Errorf("ledger: entry %d: hash columns are not 32 bytes", e.Seq)
	}
	copy(e.PrevHash[:], prev)
	copy(e.Hash[:], hash)
	return nil
}

// Filter selects entries for List.
type Filter struct {
	After   int64  // entries with seq > After
	Subject string // exact subject, or "" for all
	Limit   int    // at most this many (1..1000; default 100)
}

// List returns entries in chain order.
func List(ctx context.Context, db bun.IDB, f Filter) ([]Entry, error) {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	q := `SELECT ` + entryColumns + ` FROM ledger.entries WHERE seq > ?`
	args := []any{f.After}
	if f.Subject != "" {
		q += ` AND subject = ?`
		args = append(args, f.Subject)
	}
	q += ` ORDER BY seq LIMIT ?`
	args = append(args, f.Limit)
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("ledger: list: %w", err)
	}
	defer rows.Close()
	out := make([]Entry, 0, f.Limit)
	for rows.Next() {
		var e Entry
		if err := scanEntry(rows, &e); err != nil {
			return nil, fmt.Errorf("ledger: list: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// Get returns the entry at seq.
func Get(ctx context.Context, db bun.IDB, seq int64) (Entry, error) {
	var e Entry
	err := scanEntry(db.QueryRowContext(ctx, `SELECT `+entryColumns+` FROM ledger.entries WHERE seq = ?`, seq), &e)
	if errors.Is(err, sql.ErrNoRows) {
		return Entry{}, ErrNotFound
	}
	if err != nil {
		return Entry{}, fmt.Errorf("ledger: get %d: %w", seq, err)
	}
	return e, nil
}

// Report is the outcome of Verify.
type Report struct {
	OK          bool   `json:"ok"`
	Checked     int64  `json:"checked"`
	HeadSeq     int64  `json:"head_seq"`
	HeadHash    Hash   `json:"head_hash"`
	FirstBadSeq *int64 `json:"first_bad_seq"`
	Reason      string `json:"reason,omitempty"`
}

// Verify recomputes every entry's hash and link, streaming the chain from the first entry,
// and reports the first entry that fails.
func Verify(ctx context.Context, db bun.IDB) (Report, error) {
	// One snapshot for the whole scan, so concurrent appends do not race the end of it.
	rows, err := db.QueryContext(ctx, `SELECT `+entryColumns+` FROM ledger.entries ORDER BY seq`)
	if err != nil {
		return Report{}, fmt.Errorf("ledger: verify: %w", err)
	}
	defer rows.Close()
	return VerifyStream(func(e *Entry) (bool, error) {
		if !rows.Next() {
			return false, rows.Err()
		}
		return true, scanEntry(rows, e)
	})
}

// VerifyStream checks entries supplied in order by next (which returns false at the end).
// It is the whole verification rule, shared by the server and the offline verifier.
func VerifyStream(next func(*Entry) (bool, error)) (Report, error) {
	var (
		r    Report
		prev Hash
		e    Entry
		want = int64(1)
	)
	r.OK = true
	for {
		ok, err := next(&e)
		if err != nil {
			return Report{}, fmt.Errorf("ledger: verify: %w", err)
		}
		if !ok {
			break
		}
		r.Checked++
		bad := ""
		switch {
		case e.Seq != want:
			bad = fmt.Sprintf("expected seq %d, found %d", want, e.Seq)
		case !bytes.Equal(e.PrevHash[:], prev[:]):
			bad = "prev_hash does not match the previous entry's hash"
		case ComputeHash(&e) != e.Hash:
			bad = "hash does not match the entry's content"
		}
		if bad != "" && r.OK {
			seq := want
			r.OK, r.FirstBadSeq, r.Reason = false, &seq, bad
		}
		prev = e.Hash
		want = e.Seq + 1
		r.HeadSeq, r.HeadHash = e.Seq, e.Hash
	}
	return r, nil
}
