package ledger

import (
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
	// Shape: at each level, runs that follow one another from index 0 without gap or
	// overlap, as many nodes as the tree of size head has.
	rows, err := db.QueryContext(ctx, `SELECT level, sum(length(hashes) / 32), bool_and(first_idx = coalesce(prev_end, 0))
		FROM (SELECT level, first_idx, hashes, lag(first_idx + length(hashes) / 32) OVER (PARTITION BY level ORDER BY first_idx) AS prev_end
		      FROM ledger.tree_runs) t
		GROUP BY level ORDER BY level`)
	if err != nil {
		return rep, 0, "", fmt.Errorf("ledger: verify tree: %w", err)
	}
	counts := map[int]int64{}
	for rows.Next() {
		var lvl int
		var n int64
		var contiguous bool
		if err := rows.Scan(&lvl, &n, &contiguous); err != nil {
			rows.Close()
			return rep, 0, "", fmt.Errorf("ledger: verify tree: %w", err)
		}
		counts[lvl] = n
		switch want := head >> lvl; {
		case !contiguous:
			fail(1, fmt.Sprintf("the tree's nodes at level %d have gaps or overlaps", lvl))
		case n != want:
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
	// Hashes: each run against what its entries (level 0) or the level below give, one
	// indexed range read a run; the first run that differs is then compared node by node.
	var found [][2]int64 // (level, index) of the bad nodes found
	for lvl := 0; head>>lvl > 0; lvl++ {
		q := verifyLeavesSQL
		if lvl > 0 {
			q = verifyParentsSQL
		}
		var first int64
		var stored, want []byte
		err := db.QueryRowContext(ctx, q, lvl).Scan(&first, &stored, &want)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return rep, 0, "", fmt.Errorf("ledger: verify tree level %d: %w", lvl, err)
		}
		k := int64(0)
		for k*32 < int64(len(stored)) && (k+1)*32 <= int64(len(want)) && string(stored[k*32:(k+1)*32]) == string(want[k*32:(k+1)*32]) {
			k++
		}
		idx := first + k
		if below(found, lvl, idx) {
			continue // the ancestor of a bad node found below: that one is the news
		}
		found = append(found, [2]int64{int64(lvl), idx})
		if lvl == 0 {
			fail(idx+1, fmt.Sprintf("the tree's leaf for entry %d is not SHA-256(0x00 ‖ its hash)", idx+1))
		} else {
			fail(idx<<lvl+1, fmt.Sprintf("tree node (level %d, index %d) is not the hash of its children", lvl, idx))
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

// verifyLeavesSQL finds the first level-0 run that is not SHA-256(0x00 ‖ hash) of its
// entries: its first index, its hashes, and what they should be.
const verifyLeavesSQL = `SELECT r.first_idx, r.hashes, coalesce(x.want, ''::bytea) FROM ledger.tree_runs r
	CROSS JOIN LATERAL (SELECT string_agg(sha256('\x00'::bytea || e.hash), ''::bytea ORDER BY e.seq) AS want
		FROM ledger.entries e WHERE e.seq > r.first_idx AND e.seq <= r.first_idx + length(r.hashes) / 32) x
	WHERE r.level = ? AND r.hashes IS DISTINCT FROM x.want
	ORDER BY r.first_idx LIMIT 1`

// verifyParentsSQL finds the first run at a level whose nodes are not SHA-256(0x01 ‖ left ‖
// right) of their children: the children's bytes are cut from the runs of the level below
// that overlap [2·first, 2·end) (a run holds at most 4,096 nodes, which bounds the search).
const verifyParentsSQL = `SELECT r.first_idx, r.hashes, coalesce(x.want, ''::bytea) FROM ledger.tree_runs r
	CROSS JOIN LATERAL (
		SELECT (SELECT string_agg(sha256('\x01'::bytea || substring(k.kids FROM j * 64 + 1 FOR 64)), ''::bytea ORDER BY j)
		        FROM generate_series(0, length(r.hashes) / 32 - 1) AS j
		        WHERE length(k.kids) >= (j + 1) * 64) AS want
		FROM (SELECT string_agg(substring(c.hashes
		               FROM (greatest(c.first_idx, 2 * r.first_idx) - c.first_idx)::int * 32 + 1
		               FOR (least(c.first_idx + length(c.hashes) / 32, 2 * (r.first_idx + length(r.hashes) / 32)) - greatest(c.first_idx, 2 * r.first_idx))::int * 32),
		             ''::bytea ORDER BY c.first_idx) AS kids
		      FROM ledger.tree_runs c
		      WHERE c.level = r.level - 1 AND c.first_idx > 2 * r.first_idx - 4096
		        AND c.first_idx < 2 * (r.first_idx + length(r.hashes) / 32)
		        AND c.first_idx + length(c.hashes) / 32 > 2 * r.first_idx) k
	) x
	WHERE r.level = ? AND r.hashes IS DISTINCT FROM x.want
	ORDER BY r.first_idx LIMIT 1`

// below reports whether a bad node found at a lower level lies under node (lvl, idx).
func below(found [][2]int64, lvl int, idx int64) bool {
	for _, f := range found {
		if f[1]>>(int64(lvl)-f[0]) == idx {
			return true
		}
	}
	return false
}
