package ledger

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"sync"
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

// Report is the outcome of Verify.
type Report struct {
	OK          bool   `json:"ok"`
	Checked     int64  `json:"checked"`
	HeadSeq     int64  `json:"head_seq"`
	HeadHash    Hash   `json:"head_hash"`
	FirstBadSeq *int64 `json:"first_bad_seq"`
	Reason      string `json:"reason,omitempty"`
	// Log is the Merkle log's check (Verify only; nil offline).
	Log *LogReport `json:"log,omitempty"`
	// A range that starts after entry 1 (an export of from_seq > 1) is linked to the
	// prev_hash of its first entry: the caller checks that against a hash it already holds.
	FromSeq      int64 `json:"from_seq,omitempty"`
	FromPrevHash *Hash `json:"from_prev_hash,omitempty"`
}

// verifyWorkers is how many ranges of the chain are checked at once, each on its own
// connection: the database's jsonb-to-text work then spreads over several backends.
const verifyWorkers = 4

// Verify recomputes every entry's hash and link, streaming the chain, and reports the first
// entry that fails. Entries are immutable, so ranges checked on separate connections form
// one consistent chain up to the head seen at the start.
func Verify(ctx context.Context, db *bun.DB, opts ...VerifyOption) (Report, error) {
	// One verification at a time: each holds several connections for a while.
	select {
	case verifying <- struct{}{}:
		defer func() { <-verifying }()
	case <-ctx.Done():
		return Report{}, ctx.Err()
	}
	var (
		head, headRow int64
		headHash      []byte
	)
	// The last entry and the head row, from one snapshot: entries deleted from the end of
	// the chain leave the head row ahead of them.
	if err := db.QueryRowContext(ctx,
		`SELECT (SELECT coalesce(max(seq), 0) FROM ledger.entries), h.seq, h.hash FROM ledger.head h`,
	).Scan(&head, &headRow, &headHash); err != nil {
		return Report{}, fmt.Errorf("ledger: verify: %w", err)
	}
	workers := int64(verifyWorkers)
	if head < 10_000 {
		workers = 1
	}
	size := (head + workers - 1) / workers
	parts := make([]partial, workers)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := int64(0); w < workers; w++ {
		from, to := w*size+1, min((w+1)*size, head)
		wg.Add(1)
		go func(w int64) {
			defer wg.Done()
			parts[w], errs[w] = verifyRangeCopy(ctx, db, from, to)
		}(w)
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return Report{}, err
		}
	}
	r := merge(parts)
	if r.OK && (headRow != r.HeadSeq || !bytes.Equal(headHash, r.HeadHash[:])) {
		// The chain itself is sound but shorter (or other) than the head it was written to.
		bad := r.HeadSeq + 1
		r.OK, r.FirstBadSeq = false, &bad
		r.Reason = fmt.Sprintf("the chain ends at entry %d but its head row says %d: entries are missing at the end", r.HeadSeq, headRow)
	}
	var cfg verifyConfig
	for _, o := range opts {
		o(&cfg)
	}
	lr, bad, reason, err := verifyLog(ctx, db, head, cfg)
	if err != nil {
		return Report{}, err
	}
	r.Log = &lr
	if bad != 0 && (r.OK || bad < *r.FirstBadSeq) {
		r.OK, r.FirstBadSeq, r.Reason = false, &bad, reason
	}
	return r, nil
}

var verifying = make(chan struct{}, 1)

// partial is the outcome of checking one range of the chain.
type partial struct {
	from      int64
	firstPrev Hash // prev_hash of the range's first entry, linked at merge
	last      int64
	lastHash  Hash
	checked   int64
	firstBad  int64
	reason    string
}

// check verifies entries supplied in order by next, starting at seq from; prev is the hash
// the first entry must link to, or nil to leave that link to the caller.
func check(from int64, prev *Hash, next func(*Entry) (bool, error)) (partial, error) {
	p := partial{from: from, last: from - 1}
	var e Entry
	want := from
	var last Hash
	for {
		ok, err := next(&e)
		if err != nil {
			return partial{}, fmt.Errorf("ledger: verify: %w", err)
		}
		if !ok {
			break
		}
		p.checked++
		if p.checked == 1 {
			p.firstPrev = e.PrevHash
		}
		bad := ""
		switch {
		case e.Seq != want:
			bad = fmt.Sprintf("expected seq %d, found %d", want, e.Seq)
		case (p.checked > 1 || prev != nil) && e.PrevHash != linkOf(p.checked, prev, last):
			bad = "prev_hash does not match the previous entry's hash"
		case ComputeHash(&e) != e.Hash:
			bad = "hash does not match the entry's content"
		}
		if bad != "" && p.firstBad == 0 {
			p.firstBad, p.reason = want, bad
		}
		last = e.Hash
		want = e.Seq + 1
		p.last, p.lastHash = e.Seq, e.Hash
	}
	return p, nil
}

func linkOf(n int64, prev *Hash, last Hash) Hash {
	if n == 1 {
		return *prev
	}
	return last
}

func merge(parts []partial) Report {
	r := Report{OK: true}
	var prev Hash // the genesis link: 32 zero bytes
	for _, p := range parts {
		r.Checked += p.checked
		bad, reason := p.firstBad, p.reason
		if p.checked > 0 && p.firstPrev != prev && (bad == 0 || bad > p.from) {
			bad, reason = p.from, "prev_hash does not match the previous entry's hash"
		}
		if bad != 0 && r.OK {
			b := bad
			r.OK, r.FirstBadSeq, r.Reason = false, &b, reason
		}
		if p.checked > 0 {
			r.HeadSeq, r.HeadHash = p.last, p.lastHash
			prev = p.lastHash
		}
	}
	return r
}

// VerifyStream checks a whole chain supplied in order by next (false at the end): the
// offline verifier's entry point, with the same rules as Verify.
func VerifyStream(next func(*Entry) (bool, error)) (Report, error) {
	var genesis Hash
	p, err := check(1, &genesis, next)
	if err != nil {
		return Report{}, err
	}
	return merge([]partial{p}), nil
}

// verifyFrom checks entries supplied in order by next from wherever they start: from seq 1
// as VerifyStream does, or from a later seq, linked to the first entry's own prev_hash.
func verifyFrom(next func(*Entry) (bool, error)) (Report, error) {
	var first Entry
	ok, err := next(&first)
	if err != nil {
		return Report{}, fmt.Errorf("ledger: verify: %w", err)
	}
	if !ok {
		return Report{OK: true}, nil
	}
	pending := true
	replay := func(e *Entry) (bool, error) {
		if pending {
			pending = false
			*e = first
			return true, nil
		}
		return next(e)
	}
	if first.Seq <= 1 {
		return VerifyStream(replay)
	}
	prev := first.PrevHash
	p, err := check(first.Seq, &prev, replay)
	if err != nil {
		return Report{}, err
	}
	// merge links the first range to the genesis hash: link it to its own prev_hash instead.
	p.firstPrev = Hash{}
	r := merge([]partial{p})
	r.FromSeq, r.FromPrevHash = first.Seq, &prev
	return r, nil
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
