package ledger

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
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
	Before  int64  // and seq < Before, when not 0
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
	if f.Before != 0 {
		q += ` AND seq < ?`
		args = append(args, f.Before)
	}
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

// LastSeq is the seq of the last entry (0 for an empty ledger).
func LastSeq(ctx context.Context, db bun.IDB) (int64, error) {
	var seq int64
	if err := db.QueryRowContext(ctx, `SELECT coalesce(max(seq), 0) FROM ledger.entries`).Scan(&seq); err != nil {
		return 0, fmt.Errorf("ledger: last seq: %w", err)
	}
	return seq, nil
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

// Export writes the entries from seq from to seq to (both included; to 0 means the last
// entry when the export starts) as export lines (ExportLine), and returns how many. It reads
// page by page, each a short query, so a long export holds no snapshot or statement open.
func Export(ctx context.Context, db bun.IDB, w io.Writer, from, to int64) (int64, error) {
	if from < 1 {
		from = 1
	}
	if to == 0 {
		// Entries are immutable and gap-free: the chain up to the head seen now is fixed.
		var err error
		if to, err = LastSeq(ctx, db); err != nil {
			return 0, err
		}
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	enc := NewExportEncoder(bw)
	var n int64
	for after := from - 1; after < to; {
		es, err := List(ctx, db, Filter{After: after, Before: to + 1, Limit: 1000})
		if err != nil {
			return n, fmt.Errorf("ledger: export: %w", err)
		}
		if len(es) == 0 {
			break
		}
		for i := range es {
			if err := enc.Encode(&es[i]); err != nil {
				return n, err
			}
			n++
		}
		after = es[len(es)-1].Seq
	}
	if err := bw.Flush(); err != nil {
		return n, fmt.Errorf("ledger: export: %w", err)
	}
	return n, nil
}
