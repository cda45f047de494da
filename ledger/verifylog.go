package ledger

import (
	"context"
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
// every leaf is SHA-256(0x00 ‖ entry hash), every parent SHA-256(0x01 ‖ left ‖ right), each
// level has exactly the nodes of the tree of size head, and the latest checkpoint is of that
// tree's root (and signed by the key, with WithVerifier). The hashing runs in the database,
// level by level; the first bad leaf names the first bad seq.
func verifyLog(ctx context.Context, db bun.IDB, head int64, cfg verifyConfig) (LogReport, int64, string, error) {
	rep := LogReport{}
	bad, reason := int64(0), ""
	fail := func(seq int64, why string) {
		if bad == 0 || seq < bad {
			bad, reason = seq, why
		}
	}
	var leafBad *int64
	if err := db.QueryRowContext(ctx, `SELECT min(e.seq) FROM ledger.entries e
		LEFT JOIN ledger.tree_nodes n ON n.level = 0 AND n.idx = e.seq - 1
		WHERE e.seq <= ? AND (n.hash IS NULL OR n.hash <> sha256('\x00'::bytea || e.hash))`, head).Scan(&leafBad); err != nil {
		return rep, 0, "", fmt.Errorf("ledger: verify tree leaves: %w", err)
	}
	if leafBad != nil {
		fail(*leafBad, fmt.Sprintf("the tree's leaf for entry %d is not SHA-256(0x00 ‖ its hash)", *leafBad))
	}
	for lvl := 1; head>>lvl > 0; lvl++ {
		var idx *int64
		if err := db.QueryRowContext(ctx, `SELECT min(l.idx / 2) FROM ledger.tree_nodes l
			JOIN ledger.tree_nodes r ON r.level = l.level AND r.idx = l.idx + 1
			LEFT JOIN ledger.tree_nodes p ON p.level = l.level + 1 AND p.idx = l.idx / 2
			WHERE l.level = ? AND l.idx % 2 = 0 AND r.idx < ?
			  AND (p.hash IS NULL OR p.hash <> sha256('\x01'::bytea || l.hash || r.hash))`, lvl-1, head>>(lvl-1)).Scan(&idx); err != nil {
			return rep, 0, "", fmt.Errorf("ledger: verify tree level %d: %w", lvl, err)
		}
		if idx != nil {
			fail(*idx<<lvl+1, fmt.Sprintf("tree node (level %d, index %d) is not the hash of its children", lvl, *idx))
		}
	}
	// No node beyond the tree of size head, and none missing (a missing one whose children
	// are also missing was not seen above).
	rows, err := db.QueryContext(ctx, `SELECT level, count(*), max(idx) FROM ledger.tree_nodes GROUP BY level ORDER BY level`)
	if err != nil {
		return rep, 0, "", fmt.Errorf("ledger: verify tree: %w", err)
	}
	counts := map[int]int64{}
	for rows.Next() {
		var lvl int
		var n, maxIdx int64
		if err := rows.Scan(&lvl, &n, &maxIdx); err != nil {
			rows.Close()
			return rep, 0, "", fmt.Errorf("ledger: verify tree: %w", err)
		}
		counts[lvl] = n
		if want := head >> lvl; n != want || maxIdx != want-1 {
			first := head + 1 // nodes over leaves the chain does not have
			if n < want {
				first = n<<lvl + 1 // the first missing node's first leaf
			}
			fail(first, fmt.Sprintf("the tree has %d nodes at level %d, the chain's tree of %d entries has %d", n, lvl, head, want))
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return rep, 0, "", fmt.Errorf("ledger: verify tree: %w", err)
	}
	for lvl := 0; head>>lvl > 0; lvl++ {
		if _, ok := counts[lvl]; !ok {
			fail(1, fmt.Sprintf("the tree has no nodes at level %d", lvl))
		}
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
	if cp.Size > head {
		return rep, head + 1, fmt.Sprintf("the latest checkpoint is of %d entries, the chain has %d", cp.Size, head), nil
	}
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
