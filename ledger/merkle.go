package ledger

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"github.com/uptrace/bun"
)

// The Merkle log (docs/LEDGER.md "The Merkle log"): an RFC 6962 tree whose leaf i is the
// 32-byte hash of entry seq = i + 1. The committer keeps the tree's compact range (the
// roots of its perfect subtrees, at most 63 hashes) in memory and stores, in the batch's own
// transaction, every node each batch completes (ledger.tree_runs: per level, one row of
// consecutive nodes a batch; the view ledger.tree_nodes lists them one by one) and a
// signed checkpoint of the new size. Proofs and tiles read stored nodes only.

var (
	hasher = rfc6962.DefaultHasher
	ranges = &compact.RangeFactory{Hash: hasher.HashChildren}
)

// LeafHash is the tree's leaf for an entry hash: SHA-256(0x00 ‖ hash).
func LeafHash(h Hash) Hash {
	var b [33]byte
	copy(b[1:], h[:])
	return sha256.Sum256(b[:])
}

// ErrNoCheckpoint: the log has no signed checkpoint yet (the service has not started on
// this database since the log was added).
var ErrNoCheckpoint = errors.New("ledger: no checkpoint yet")

// ErrProofRange: the sizes asked for are not 1 ≤ from ≤ to ≤ the latest checkpoint's size.
var ErrProofRange = errors.New("ledger: no such tree sizes")

// logStep is a batch's change to the tree: the new compact range, the nodes to store and
// the signed checkpoint, with the statements that store them.
type logStep struct {
	rng  *compact.Range
	cp   Checkpoint
	note []byte
	pre  []stmt // nodes past the last chunk, each chunk stored on its own (large batches)
	cte  string // WITH … storing the last nodes and the checkpoint, put before the head's UPDATE
	args []any
}

type stmt struct {
	q    string
	args []any
}

type node struct {
	id   compact.NodeID
	hash []byte
}

// syncRange returns the in-memory compact range if it is the stored tree at the locked head,
// else reloads it from the stored nodes: another process may have appended since.
func (l *Ledger) syncRange(ctx context.Context, db bun.IDB, headSeq int64, headHash Hash) (*compact.Range, error) {
	if l.rng != nil && l.rng.End() == uint64(headSeq) && l.rngHead == headHash {
		return l.rng, nil
	}
	r, err := loadRange(ctx, db, headSeq)
	if err != nil {
		return nil, err
	}
	l.rng, l.rngHead = r, headHash
	return r, nil
}

// loadRange reads the compact range [0, size) from the stored nodes.
func loadRange(ctx context.Context, db bun.IDB, size int64) (*compact.Range, error) {
	ids := compact.RangeNodes(0, uint64(size), nil)
	hs, err := readNodes(ctx, db, ids)
	if err != nil {
		return nil, err
	}
	r, err := ranges.NewRange(0, uint64(size), hs)
	if err != nil {
		return nil, fmt.Errorf("ledger: tree of size %d: %w", size, err)
	}
	return r, nil
}

func cloneRange(r *compact.Range) *compact.Range {
	hs := make([][]byte, len(r.Hashes()))
	copy(hs, r.Hashes())
	c, _ := ranges.NewRange(r.Begin(), r.End(), hs) // a valid range's own hashes always fit
	return c
}

// extendLog appends entries to a copy of base (the tree at the batch's locked head) and signs
// the checkpoint of the new size with the ledger's key. It touches no database and no
// committer state, so the committer runs it while the entries' INSERT is on its way.
func (l *Ledger) extendLog(base *compact.Range, entries []Entry, now time.Time) (*logStep, error) {
	st := &logStep{rng: cloneRange(base)}
	nodes := make([]node, 0, 2*len(entries)+1)
	visit := func(id compact.NodeID, h []byte) { nodes = append(nodes, node{id, h}) }
	for i := range entries {
		lh := LeafHash(entries[i].Hash)
		if err := st.rng.Append(lh[:], visit); err != nil {
			return nil, fmt.Errorf("ledger: tree: %w", err)
		}
	}
	root, err := rangeRoot(st.rng)
	if err != nil {
		return nil, err
	}
	st.cp = Checkpoint{Origin: l.origin, Size: int64(st.rng.End()), Root: root}
	if st.note, err = st.cp.Sign(l.key); err != nil {
		return nil, err
	}
	st.pre, st.cte, st.args = logStatements(nodes, st.cp, st.note, now)
	return st, nil
}

func rangeRoot(r *compact.Range) (Hash, error) {
	var root Hash
	if r.End() == 0 {
		copy(root[:], hasher.EmptyRoot())
		return root, nil
	}
	h, err := r.GetRootHash(nil)
	if err != nil {
		return root, fmt.Errorf("ledger: tree root: %w", err)
	}
	copy(root[:], h)
	return root, nil
}

const nodeChunk = 2000

// logStatements splits the storing of nodes and a checkpoint into statements of their own
// for all but the last chunk of nodes, and a WITH clause (with its arguments) that stores
// the rest and the checkpoint, to put before another statement.
func logStatements(nodes []node, cp Checkpoint, signed []byte, now time.Time) ([]stmt, string, []any) {
	var pre []stmt
	for len(nodes) > nodeChunk {
		q, args := insertNodes(nodes[:nodeChunk])
		pre = append(pre, stmt{q, args})
		nodes = nodes[nodeChunk:]
	}
	var sb strings.Builder
	sb.WriteString(`WITH `)
	var args []any
	if len(nodes) > 0 {
		q, a := insertNodes(nodes)
		sb.WriteString(`new_nodes AS (` + q + `), `)
		args = a
	}
	sb.WriteString(`new_checkpoint AS (INSERT INTO ledger.checkpoints (tree_size, root_hash, note, signed_at) VALUES (?, ?, ?, ?)) `)
	args = append(args, cp.Size, cp.Root[:], string(signed), now)
	return pre, sb.String(), args
}

// storeLog runs a logStep's statements, the last one with then (and its arguments) after
// its WITH clause.
func storeLog(ctx context.Context, tx bun.IDB, st *logStep, then string, thenArgs ...any) error {
	for _, p := range st.pre {
		if _, err := tx.ExecContext(ctx, p.q, p.args...); err != nil {
			return fmt.Errorf("ledger: store tree nodes: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, st.cte+then, append(st.args, thenArgs...)...); err != nil {
		return fmt.Errorf("ledger: store tree nodes and checkpoint: %w", err)
	}
	return nil
}

// maxRun caps the hashes of one tree_runs row.
const maxRun = 1024

// insertNodes stores nodes as runs: per level, consecutive indexes in one row. A batch's new
// nodes at each level are consecutive, so that is one row a level.
func insertNodes(nodes []node) (string, []any) {
	byLevel := map[uint][]node{}
	var levels []uint
	for _, n := range nodes {
		if _, ok := byLevel[n.id.Level]; !ok {
			levels = append(levels, n.id.Level)
		}
		byLevel[n.id.Level] = append(byLevel[n.id.Level], n)
	}
	var sb strings.Builder
	sb.WriteString(`INSERT INTO ledger.tree_runs (level, first_idx, hashes) VALUES `)
	var args []any
	for _, lvl := range levels {
		ns := byLevel[lvl]
		for start := 0; start < len(ns); {
			end := start + 1
			for end < len(ns) && end-start < maxRun && ns[end].id.Index == ns[end-1].id.Index+1 {
				end++
			}
			run := make([]byte, 0, 32*(end-start))
			for _, n := range ns[start:end] {
				run = append(run, n.hash...)
			}
			if len(args) > 0 {
				sb.WriteByte(',')
			}
			sb.WriteString(`(?, ?, ?)`)
			args = append(args, lvl, int64(ns[start].id.Index), run)
			start = end
		}
	}
	return sb.String(), args
}

// readNodes reads stored nodes by id, in the order asked: each from the run of its level
// that starts at or before it.
func readNodes(ctx context.Context, db bun.IDB, ids []compact.NodeID) ([][]byte, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	levels := make([]string, len(ids))
	idxs := make([]string, len(ids))
	for i, id := range ids {
		levels[i] = fmt.Sprint(id.Level)
		idxs[i] = fmt.Sprint(id.Index)
	}
	rows, err := db.QueryContext(ctx, `SELECT w.level, w.idx, substring(r.hashes FROM (w.idx - r.first_idx)::int * 32 + 1 FOR 32)
		FROM unnest(?::smallint[], ?::bigint[]) AS w(level, idx)
		CROSS JOIN LATERAL (SELECT t.first_idx, t.hashes FROM ledger.tree_runs t
			WHERE t.level = w.level AND t.first_idx <= w.idx ORDER BY t.first_idx DESC LIMIT 1) r`,
		"{"+strings.Join(levels, ",")+"}", "{"+strings.Join(idxs, ",")+"}")
	if err != nil {
		return nil, fmt.Errorf("ledger: read tree nodes: %w", err)
	}
	defer rows.Close()
	got := make(map[compact.NodeID][]byte, len(ids))
	for rows.Next() {
		var lvl uint
		var idx int64
		var h []byte
		if err := rows.Scan(&lvl, &idx, &h); err != nil {
			return nil, fmt.Errorf("ledger: read tree nodes: %w", err)
		}
		got[compact.NewNodeID(lvl, uint64(idx))] = h
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("ledger: read tree nodes: %w", err)
	}
	out := make([][]byte, len(ids))
	for i, id := range ids {
		h, ok := got[id]
		if !ok || len(h) != 32 {
			return nil, fmt.Errorf("ledger: tree node (%d, %d) is missing", id.Level, id.Index)
		}
		out[i] = h
	}
	return out, nil
}

// proofHashes fetches a proof's stored nodes and folds its ephemeral node, if any.
func proofHashes(ctx context.Context, db bun.IDB, n proof.Nodes) ([][]byte, error) {
	hs, err := readNodes(ctx, db, n.IDs)
	if err != nil {
		return nil, err
	}
	out, err := n.Rehash(hs, hasher.HashChildren)
	if err != nil {
		return nil, fmt.Errorf("ledger: proof: %w", err)
	}
	if out == nil {
		out = [][]byte{}
	}
	return out, nil
}

// InclusionProof is the RFC 6962 audit path of leaf index in the tree of size size.
func InclusionProof(ctx context.Context, db bun.IDB, index, size int64) ([][]byte, error) {
	if index < 0 || index >= size {
		return nil, ErrProofRange
	}
	n, err := proof.Inclusion(uint64(index), uint64(size))
	if err != nil {
		return nil, fmt.Errorf("ledger: inclusion proof: %w", err)
	}
	return proofHashes(ctx, db, n)
}

// ConsistencyProof is the RFC 6962 consistency proof between the trees of sizes from and
// to, both at most the latest checkpoint's size.
func ConsistencyProof(ctx context.Context, db bun.IDB, from, to int64) (Consistency, error) {
	cp, err := LatestCheckpoint(ctx, db)
	if err != nil {
		return Consistency{}, err
	}
	if from < 1 || from > to || to > cp.Size {
		return Consistency{}, ErrProofRange
	}
	n, err := proof.Consistency(uint64(from), uint64(to))
	if err != nil {
		return Consistency{}, fmt.Errorf("ledger: consistency proof: %w", err)
	}
	hs, err := proofHashes(ctx, db, n)
	if err != nil {
		return Consistency{}, err
	}
	return Consistency{From: from, To: to, Hashes: hs}, nil
}

// Consistency is a consistency proof between two tree sizes.
type Consistency struct {
	From   int64    `json:"from"`
	To     int64    `json:"to"`
	Hashes [][]byte `json:"hashes" nullable:"false" doc:"base64 SHA-256 node hashes, RFC 6962 order"`
}

// VerifyConsistency checks p against the two trees' roots.
func VerifyConsistency(p Consistency, fromRoot, toRoot Hash) error {
	return proof.VerifyConsistency(hasher, uint64(p.From), uint64(p.To), p.Hashes, fromRoot[:], toRoot[:])
}

// TreeRoot is the root of the stored tree of the given size, from its compact range.
func TreeRoot(ctx context.Context, db bun.IDB, size int64) (Hash, error) {
	r, err := loadRange(ctx, db, size)
	if err != nil {
		return Hash{}, err
	}
	return rangeRoot(r)
}

// StoredCheckpoint is a checkpoint as stored: its body and the signed note.
type StoredCheckpoint struct {
	Checkpoint
	Note []byte
}

// LatestCheckpoint is the last checkpoint signed.
func LatestCheckpoint(ctx context.Context, db bun.IDB) (StoredCheckpoint, error) {
	var size int64
	var root []byte
	var text string
	err := db.QueryRowContext(ctx, `SELECT tree_size, root_hash, note FROM ledger.checkpoints ORDER BY id DESC LIMIT 1`).Scan(&size, &root, &text)
	if errors.Is(err, sql.ErrNoRows) {
		return StoredCheckpoint{}, ErrNoCheckpoint
	}
	if err != nil {
		return StoredCheckpoint{}, fmt.Errorf("ledger: latest checkpoint: %w", err)
	}
	cp, err := checkpointBody([]byte(text))
	if err != nil {
		return StoredCheckpoint{}, fmt.Errorf("ledger: latest checkpoint: %w", err)
	}
	if cp.Size != size || string(cp.Root[:]) != string(root) {
		return StoredCheckpoint{}, fmt.Errorf("ledger: latest checkpoint: its row and its note disagree")
	}
	return StoredCheckpoint{Checkpoint: cp, Note: []byte(text)}, nil
}

// TileHeight is the C2SP tlog-tiles tile height: a tile holds up to 256 hashes.
const TileHeight = 8

// ErrNoTile: the tree does not (yet) have the tile asked for.
var ErrNoTile = errors.New("ledger: no such tile")

// Tile is the C2SP tlog-tiles tile (level, index) of width hashes: the stored nodes at tree
// level 8·level, indexes 256·index … 256·index + width − 1, concatenated. Level 0 tiles hold
// leaf hashes. Only tiles of the latest checkpoint's tree exist.
func Tile(ctx context.Context, db bun.IDB, level int, index int64, width int) ([]byte, error) {
	if level < 0 || level*TileHeight > 62 || index < 0 || width < 1 || width > 1<<TileHeight || index > (1<<62)>>TileHeight {
		return nil, ErrNoTile
	}
	cp, err := LatestCheckpoint(ctx, db)
	if err != nil {
		return nil, err
	}
	lvl := level * TileHeight
	first := index << TileHeight
	// The nodes at lvl that the checkpoint's tree has: those of its perfect subtrees.
	if have := cp.Size >> lvl; first+int64(width) > have {
		return nil, ErrNoTile
	}
	end := first + int64(width)
	rows, err := db.QueryContext(ctx, `SELECT first_idx, hashes FROM ledger.tree_runs
		WHERE level = ? AND first_idx < ? AND first_idx >= coalesce((SELECT max(first_idx) FROM ledger.tree_runs WHERE level = ? AND first_idx <= ?), 0)
		ORDER BY first_idx`, lvl, end, lvl, first)
	if err != nil {
		return nil, fmt.Errorf("ledger: tile: %w", err)
	}
	defer rows.Close()
	out := make([]byte, 0, 32*width)
	for rows.Next() {
		var at int64
		var run []byte
		if err := rows.Scan(&at, &run); err != nil {
			return nil, fmt.Errorf("ledger: tile: %w", err)
		}
		// The part of this run in [first, end), which must continue what came before.
		from, to := max(at, first), min(at+int64(len(run)/32), end)
		if from != first+int64(len(out)/32) || to < from {
			continue // before the tile (or overlapping what is read): the length check says
		}
		out = append(out, run[(from-at)*32:(to-at)*32]...)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("ledger: tile: %w", err)
	}
	if len(out) != 32*width {
		return nil, fmt.Errorf("ledger: tile %d/%d: %d of %d nodes stored", level, index, len(out)/32, width)
	}
	return out, nil
}

// startLog makes sure the latest checkpoint is of the whole tree and signed with this
// ledger's key, signing one under the head lock if not: after the log was added to an
// existing ledger, or after the key changed. Every receipt then finds a checkpoint.
func (l *Ledger) startLog(ctx context.Context) error {
	tx, err := l.db.BeginTx(ctx, &sql.TxOptions{})
	if err != nil {
		return fmt.Errorf("ledger: begin: %w", err)
	}
	defer tx.Rollback()
	var headSeq int64
	var headHash []byte
	var now time.Time
	if err := tx.QueryRowContext(ctx, `SELECT seq, hash, greatest(clock_timestamp(), recorded_at) FROM ledger.head FOR UPDATE`).
		Scan(&headSeq, &headHash, &now); err != nil {
		return fmt.Errorf("ledger: lock head: %w", err)
	}
	var head Hash
	copy(head[:], headHash)
	r, err := l.syncRange(ctx, tx, headSeq, head)
	if err != nil {
		return err
	}
	root, err := rangeRoot(r)
	if err != nil {
		return err
	}
	if cp, err := LatestCheckpoint(ctx, tx); err == nil && cp.Size == headSeq && cp.Root == root && cp.Origin == l.origin {
		if _, err := OpenCheckpoint(cp.Note, l.key.Verifier()); err == nil {
			l.signed.Store(&cp)
			return nil
		}
	} else if err != nil && !errors.Is(err, ErrNoCheckpoint) {
		return err
	}
	cp := Checkpoint{Origin: l.origin, Size: headSeq, Root: root}
	signed, err := cp.Sign(l.key)
	if err != nil {
		return err
	}
	st := &logStep{cp: cp, note: signed}
	st.pre, st.cte, st.args = logStatements(nil, cp, signed, now.UTC())
	if err := storeLog(ctx, tx, st, `SELECT 1`); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		l.rng = nil
		return fmt.Errorf("ledger: commit checkpoint: %w", err)
	}
	l.signed.Store(&StoredCheckpoint{Checkpoint: cp, Note: signed})
	return nil
}

// Key is the key the ledger signs its checkpoints with.
func (l *Ledger) Key() *LogKey { return l.key }

// Origin is the log's origin line.
func (l *Ledger) Origin() string { return l.origin }

// keyName turns an origin into a valid note key name (no spaces, no '+').
func keyName(origin string) string {
	name := strings.Map(func(r rune) rune {
		if r == '+' || r <= ' ' {
			return '-'
		}
		return r
	}, origin)
	if name == "" {
		name = "ipledger"
	}
	return name
}
