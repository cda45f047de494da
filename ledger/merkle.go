package ledger

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
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
// transaction, one ledger.tree_batches row: every node the batch completes, all levels in
// one value, and the signed checkpoint of the new size (the view ledger.tree_nodes lists
// the nodes one by one). Proofs and tiles read stored nodes only.

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

// logStep is a batch's change to the tree: the new compact range, the signed checkpoint,
// and the WITH clause (with its arguments) that stores both.
type logStep struct {
	rng  *compact.Range
	cp   Checkpoint
	note []byte
	cte  string // WITH … storing the batch's row, put before the head's UPDATE
	args []any
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
	first, size := base.End(), base.End()+uint64(len(entries))
	nodes := make([]byte, 32*batchNodes(first, size))
	filled := 0
	visit := func(id compact.NodeID, h []byte) {
		copy(nodes[32*nodeAt(first, size, id.Level, id.Index):], h)
		filled++
	}
	for i := range entries {
		lh := LeafHash(entries[i].Hash)
		if err := st.rng.Append(lh[:], visit); err != nil {
			return nil, fmt.Errorf("ledger: tree: %w", err)
		}
	}
	if filled != len(nodes)/32 {
		return nil, fmt.Errorf("ledger: tree: leaves %d..%d completed %d nodes, not %d", first, size-1, filled, len(nodes)/32)
	}
	root, err := rangeRoot(st.rng)
	if err != nil {
		return nil, err
	}
	st.cp = Checkpoint{Origin: l.origin, Size: int64(st.rng.End()), Root: root}
	if st.note, err = st.cp.Sign(l.key); err != nil {
		return nil, err
	}
	st.cte, st.args = batchStatement(int64(first), nodes, st.cp, st.note, now)
	return st, nil
}

// The stored layout (migration 0021): a row a batch, holding the leaves [first, size) it
// appended and every node they complete. Node (level, i) is completed by leaf
// (i+1)·2^level − 1, so at each level the batch holds the nodes first>>level …
// (size>>level) − 1, and the row lists them level by level from 0, each level in index order.

// nodesBelow is Σ_{k<level} x>>k: the nodes below level that leaves [0, x) complete.
func nodesBelow(x uint64, level uint) uint64 {
	var n uint64
	for k := uint(0); k < level && x>>k > 0; k++ {
		n += x >> k
	}
	return n
}

// batchNodes is how many nodes the leaves [first, size) complete.
func batchNodes(first, size uint64) uint64 { return nodesBelow(size, 64) - nodesBelow(first, 64) }

// nodeAt is node (level, idx)'s place (in nodes) in the row of leaves [first, size); SQL's
// ledger.tree_node_at computes the same.
func nodeAt(first, size uint64, level uint, idx uint64) uint64 {
	return nodesBelow(size, level) - nodesBelow(first, level) + idx - first>>level
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

// batchStatement is the WITH clause (and its arguments) that stores a batch's row: its
// first leaf, its nodes (laid out as nodeAt says) and the checkpoint of the tree it leaves.
func batchStatement(first int64, nodes []byte, cp Checkpoint, signed []byte, now time.Time) (string, []any) {
	return `WITH new_batch AS (INSERT INTO ledger.tree_batches (tree_size, first_idx, hashes, root_hash, note, signed_at) VALUES (?, ?, ?, ?, ?, ?)) `,
		[]any{cp.Size, first, nodes, cp.Root[:], string(signed), now}
}

// storeLog runs a logStep's WITH clause with then (and its arguments) after it.
func storeLog(ctx context.Context, tx bun.IDB, st *logStep, then string, thenArgs ...any) error {
	if _, err := tx.ExecContext(ctx, st.cte+then, append(st.args, thenArgs...)...); err != nil {
		return fmt.Errorf("ledger: store tree nodes and checkpoint: %w", err)
	}
	return nil
}

// nodesSQL concatenates stored nodes in the order asked (levels and indexes in two arrays,
// the placeholders given): each is cut from the first row past its completing leaf (the row
// that holds it; rows without nodes start past it), one index step a node.
func nodesSQL(levels, idxs string) string {
	return `SELECT string_agg(substring(b.hashes FROM ledger.tree_node_at(b.first_idx, b.tree_size, w.level, w.idx)::int * 32 + 1 FOR 32), ''::bytea ORDER BY w.n)
	 FROM unnest(` + levels + `::int[], ` + idxs + `::bigint[]) WITH ORDINALITY AS w(level, idx, n)
	 CROSS JOIN LATERAL (SELECT t.first_idx, t.tree_size, t.hashes FROM ledger.tree_batches t
		WHERE t.tree_size > ((w.idx + 1) << w.level) - 1 AND t.first_idx <= ((w.idx + 1) << w.level) - 1
		ORDER BY t.tree_size, t.id LIMIT 1) b`
}

var readNodesSQL = nodesSQL("?", "?")

// nodeArrays are the levels and indexes of ids as Postgres array literals.
func nodeArrays(ids []compact.NodeID) (string, string) {
	var lv, ix strings.Builder
	lv.WriteByte('{')
	ix.WriteByte('{')
	for i, id := range ids {
		if i > 0 {
			lv.WriteByte(',')
			ix.WriteByte(',')
		}
		lv.WriteString(strconv.FormatUint(uint64(id.Level), 10))
		ix.WriteString(strconv.FormatUint(id.Index, 10))
	}
	lv.WriteByte('}')
	ix.WriteByte('}')
	return lv.String(), ix.String()
}

// readNodes reads stored nodes by id, in the order asked.
func readNodes(ctx context.Context, db bun.IDB, ids []compact.NodeID) ([][]byte, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	lv, ix := nodeArrays(ids)
	var stored []byte
	if err := db.QueryRowContext(ctx, readNodesSQL, lv, ix).Scan(&stored); err != nil {
		return nil, fmt.Errorf("ledger: read tree nodes: %w", err)
	}
	// Every node is exactly 32 bytes, so the length says whether each was found whole.
	if len(stored) != 32*len(ids) {
		return nil, fmt.Errorf("ledger: %d of %d tree nodes are stored", len(stored)/32, len(ids))
	}
	out := make([][]byte, len(ids))
	for i := range out {
		out[i] = stored[32*i : 32*i+32 : 32*i+32]
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

// latestCheckpointSQL reads the checkpoint of the largest tree up to the head's size (a row
// past the head, which the app role could insert, is not the log's: Verify reports it). It
// is a batch row's; 0009's checkpoints (ledger.checkpoints_0009, not indexed by size) are
// read only while no batch row has one, between migration 0021 and the service's start.
const latestCheckpointSQL = `WITH h AS (SELECT seq FROM ledger.head),
	b AS (SELECT tree_size, root_hash, note FROM ledger.tree_batches
		WHERE note IS NOT NULL AND tree_size <= (SELECT seq FROM h) ORDER BY tree_size DESC, id DESC LIMIT 1)
	SELECT tree_size, root_hash, note FROM b
	UNION ALL
	(SELECT tree_size, root_hash, note FROM ledger.checkpoints_0009
		WHERE NOT EXISTS (SELECT FROM b) AND tree_size <= (SELECT seq FROM h) ORDER BY tree_size DESC, id DESC LIMIT 1)`

// LatestCheckpoint is the checkpoint of the largest tree, up to the chain's head, signed.
func LatestCheckpoint(ctx context.Context, db bun.IDB) (StoredCheckpoint, error) {
	var size int64
	var root []byte
	var text string
	err := db.QueryRowContext(ctx, latestCheckpointSQL).Scan(&size, &root, &text)
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
	ids := make([]compact.NodeID, width)
	for k := range ids {
		ids[k] = compact.NewNodeID(uint(lvl), uint64(first)+uint64(k))
	}
	hs, err := readNodes(ctx, db, ids)
	if err != nil {
		return nil, fmt.Errorf("ledger: tile %d/%d: %w", level, index, err)
	}
	out := make([]byte, 0, 32*width)
	for _, h := range hs {
		out = append(out, h...)
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
	// A row without nodes: the tree is as the last batch left it.
	st := &logStep{cp: cp, note: signed}
	st.cte, st.args = batchStatement(headSeq, []byte{}, cp, signed, now.UTC())
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
