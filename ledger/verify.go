package ledger

import (
	"bytes"
	"context"
	"fmt"
	"sync"

	"github.com/uptrace/bun"
)

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
