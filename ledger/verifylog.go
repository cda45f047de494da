package ledger

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/uptrace/bun"
	"golang.org/x/mod/sumdb/note"
)

// LogReport is what Verify found of the Merkle log.
type LogReport struct {
	TreeSize       int64  `json:"tree_size" doc:"Leaves in the stored tree"`
	Root           string `json:"root,omitempty" doc:"base64 root hash of the stored tree"`
	CheckpointSize int64  `json:"checkpoint_size" doc:"Tree size of the latest signed checkpoint"`
	SignatureOK    *bool  `json:"signature_ok,omitempty" doc:"The latest checkpoint verifies with the service's key (when it was given)"`
}

// VerifyOption adds a check to Verify.
type VerifyOption func(*verifyConfig)

type verifyConfig struct{ verifier note.Verifier }

// WithVerifier also checks the latest checkpoint's signature with v.
func WithVerifier(v note.Verifier) VerifyOption { return func(c *verifyConfig) { c.verifier = v } }

// verifyLog checks the stored tree and the latest checkpoint against the chain up to head:
// every leaf is SHA-256(0x00 ‖ entry hash), every parent SHA-256(0x01 ‖ left ‖ right) of the
// stored children, the batch rows follow one another from leaf 0 without gap or overlap,
// each holding exactly its leaves' nodes, up to the chain's head, and the latest checkpoint
// is of that tree's root (and signed by the key, with WithVerifier). It reads the rows in
// order, a page at a time with the entries' hashes they cover; the first bad leaf names the
// first bad seq.
func verifyLog(ctx context.Context, db bun.IDB, head int64, cfg verifyConfig) (LogReport, int64, string, error) {
	rep := LogReport{}
	bad, reason := int64(0), ""
	fail := func(seq int64, why string) {
		if bad == 0 || seq < bad {
			bad, reason = seq, why
		}
	}
	w := treeWalk{head: head, firstBad: map[uint]uint64{}}
	afterSize, afterID := int64(-1), int64(0)
walk:
	for w.shape == "" {
		page, err := readBatchPage(ctx, db, afterSize, afterID)
		if err != nil {
			return rep, 0, "", err
		}
		if len(page) == 0 {
			break
		}
		last := page[len(page)-1]
		afterSize, afterID = last.size, last.id
		lo, hi := min(page[0].first, head), min(last.size, head)
		leaves, err := entryHashes(ctx, db, lo, hi)
		if err != nil {
			return rep, 0, "", err
		}
		for _, b := range page {
			if b.first >= head && b.size > b.first {
				// Appended since head was read (or past it: the check below names such a
				// row): the tree up to head is walked.
				break walk
			}
			if !w.batch(b, leaves, lo) {
				break
			}
		}
	}
	switch {
	case w.shape != "":
		fail(w.shapeSeq, w.shape)
	case w.next != head:
		fail(min(w.next, head)+1, fmt.Sprintf("the tree has %d nodes at level 0, the chain's tree of %d entries has %d", w.next, head, head))
	}
	// The first bad node of each level, lowest level first; a node above one already found
	// is not news.
	var found [][2]int64
	for lvl := uint(0); lvl < 64; lvl++ {
		idx, ok := w.firstBad[lvl]
		if !ok || below(found, int(lvl), int64(idx)) {
			continue
		}
		found = append(found, [2]int64{int64(lvl), int64(idx)})
		if lvl == 0 {
			fail(int64(idx)+1, fmt.Sprintf("the tree's leaf for entry %d is not SHA-256(0x00 ‖ its hash)", idx+1))
		} else {
			fail(int64(idx<<lvl)+1, fmt.Sprintf("tree node (level %d, index %d) is not the hash of its children", lvl, idx))
		}
	}
	// A row past the head row (read now: writers may have appended since head) is no batch
	// of this chain; LatestCheckpoint passes over it.
	var pastID, pastSize, headNow int64
	err := db.QueryRowContext(ctx, `SELECT b.id, b.tree_size, h.seq FROM ledger.head h
		JOIN ledger.tree_batches b ON b.tree_size > h.seq ORDER BY b.tree_size, b.id LIMIT 1`).Scan(&pastID, &pastSize, &headNow)
	switch {
	case err == nil:
		fail(head+1, fmt.Sprintf("ledger.tree_batches row id %d is of a tree of %d entries, the chain's head is at %d", pastID, pastSize, headNow))
	case !errors.Is(err, sql.ErrNoRows):
		return rep, 0, "", fmt.Errorf("ledger: verify tree: %w", err)
	}
	if bad != 0 {
		return rep, bad, reason, nil
	}
	rep.TreeSize = head
	root, err := TreeRoot(ctx, db, head)
	if err != nil {
		return rep, 0, "", err
	}
	rep.Root = base64.StdEncoding.EncodeToString(root[:])
	cp, err := LatestCheckpoint(ctx, db)
	if errors.Is(err, ErrNoCheckpoint) {
		return rep, head + 1, "no signed checkpoint of the tree", nil
	}
	if err != nil {
		return rep, 0, "", err
	}
	rep.CheckpointSize = cp.Size
	cpRoot, err := TreeRoot(ctx, db, cp.Size)
	if err != nil {
		return rep, 0, "", err
	}
	if cpRoot != cp.Root {
		return rep, 1, fmt.Sprintf("the latest checkpoint's root is not the root of the chain's first %d entries", cp.Size), nil
	}
	if cfg.verifier != nil {
		_, err := OpenCheckpoint(cp.Note, cfg.verifier)
		ok := err == nil
		rep.SignatureOK = &ok
		if !ok {
			return rep, cp.Size + 1, "the latest checkpoint's signature does not verify with the service's key: " + err.Error(), nil
		}
	}
	return rep, 0, "", nil
}

// batchRow is a ledger.tree_batches row with nodes.
type batchRow struct {
	size, id, first int64
	hashes          []byte
}

// readBatchPage reads the next rows with nodes after (size, id), in order.
func readBatchPage(ctx context.Context, db bun.IDB, afterSize, afterID int64) ([]batchRow, error) {
	rows, err := db.QueryContext(ctx, `SELECT tree_size, id, first_idx, hashes FROM ledger.tree_batches
		WHERE (tree_size, id) > (?, ?) AND first_idx < tree_size ORDER BY tree_size, id LIMIT 256`, afterSize, afterID)
	if err != nil {
		return nil, fmt.Errorf("ledger: verify tree: %w", err)
	}
	defer rows.Close()
	var page []batchRow
	for rows.Next() {
		var b batchRow
		if err := rows.Scan(&b.size, &b.id, &b.first, &b.hashes); err != nil {
			return nil, fmt.Errorf("ledger: verify tree: %w", err)
		}
		page = append(page, b)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("ledger: verify tree: %w", err)
	}
	return page, nil
}

// entryHashes are the hashes of entries lo+1 … hi (nil where one is missing: the chain's
// check reports that).
func entryHashes(ctx context.Context, db bun.IDB, lo, hi int64) ([][]byte, error) {
	out := make([][]byte, max(hi-lo, 0))
	if hi <= lo {
		return out, nil
	}
	rows, err := db.QueryContext(ctx, `SELECT seq, hash FROM ledger.entries WHERE seq > ? AND seq <= ? ORDER BY seq`, lo, hi)
	if err != nil {
		return nil, fmt.Errorf("ledger: verify tree leaves: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var seq int64
		var h []byte
		if err := rows.Scan(&seq, &h); err != nil {
			return nil, fmt.Errorf("ledger: verify tree leaves: %w", err)
		}
		out[seq-lo-1] = h
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("ledger: verify tree leaves: %w", err)
	}
	return out, nil
}

// treeWalk checks batch rows in order: their shape, their leaves against the entries, and
// each parent against its stored children (the right child is always in the parent's row,
// the left one in it or the last node of its level in an earlier row).
type treeWalk struct {
	head     int64
	next     int64 // the leaves the rows so far cover
	last     [64][]byte
	lastIdx  [64]uint64
	firstBad map[uint]uint64 // level → the first node there that is wrong
	shape    string          // why the rows do not fit together, if they do not
	shapeSeq int64
}

// batch checks one row; leaves holds the entries' hashes from leaf lo on. It reports whether
// the walk can go on.
func (w *treeWalk) batch(b batchRow, leaves [][]byte, lo int64) bool {
	f, s := uint64(b.first), uint64(b.size)
	if b.first != w.next {
		w.shape = fmt.Sprintf("the tree's nodes have gaps or overlaps: a row of entries %d..%d follows entry %d", b.first+1, b.size, w.next)
		w.shapeSeq = min(b.first, w.next) + 1
		return false
	}
	if want := batchNodes(f, s); uint64(len(b.hashes)) != 32*want {
		w.shape = fmt.Sprintf("the tree's row for entries %d..%d holds %d bytes, not its %d nodes", b.first+1, b.size, len(b.hashes), want)
		w.shapeSeq = b.first + 1
		return false
	}
	node := func(lvl uint, i uint64) []byte {
		at := 32 * nodeAt(f, s, lvl, i)
		return b.hashes[at : at+32]
	}
	wrong := func(lvl uint, i uint64) {
		if _, ok := w.firstBad[lvl]; !ok {
			w.firstBad[lvl] = i
		}
	}
	for i := f; i < s && int64(i) < w.head; i++ {
		if h := leaves[int64(i)-lo]; h != nil {
			if lh := LeafHash(hashOf(h)); !bytes.Equal(node(0, i), lh[:]) {
				wrong(0, i)
			}
		}
	}
	for lvl := uint(1); s>>lvl > f>>lvl; lvl++ {
		for i := f >> lvl; i < s>>lvl; i++ {
			var left []byte
			if 2*i >= f>>(lvl-1) {
				left = node(lvl-1, 2*i)
			} else if w.last[lvl-1] != nil && w.lastIdx[lvl-1] == 2*i {
				left = w.last[lvl-1]
			}
			if left == nil || !bytes.Equal(node(lvl, i), hasher.HashChildren(left, node(lvl-1, 2*i+1))) {
				wrong(lvl, i)
			}
		}
	}
	for lvl := uint(0); s>>lvl > f>>lvl; lvl++ {
		w.lastIdx[lvl] = s>>lvl - 1
		w.last[lvl] = node(lvl, s>>lvl-1)
	}
	w.next = b.size
	return true
}

// below reports whether a bad node found at a lower level lies under node (lvl, idx).
func below(found [][2]int64, lvl int, idx int64) bool {
	for _, f := range found {
		if f[1]>>(int64(lvl)-f[0]) == idx {
			return true
		}
	}
	return false
}
