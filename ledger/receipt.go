package ledger

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/transparency-dev/merkle/proof"
	"github.com/uptrace/bun"
	"golang.org/x/mod/sumdb/note"
)

// Receipt is what a party keeps to prove, alone and later, that the log holds an entry: the
// entry (every hashed field, as in an export), a signed checkpoint that covers it, and the
// inclusion proof of its leaf in that checkpoint's tree.
type Receipt struct {
	Entry      ExportLine `json:"entry"`
	Checkpoint string     `json:"checkpoint" doc:"The signed checkpoint (C2SP signed note), verbatim"`
	Inclusion  Inclusion  `json:"inclusion"`
}

// Inclusion is an RFC 6962 inclusion proof.
type Inclusion struct {
	LeafIndex int64    `json:"leaf_index" doc:"seq − 1"`
	TreeSize  int64    `json:"tree_size" doc:"The checkpoint's tree size"`
	Hashes    [][]byte `json:"hashes" nullable:"false" doc:"base64 SHA-256 node hashes, leaf to root"`
}

// GetReceipt builds the receipt of entry seq against the latest checkpoint. Entries and
// their checkpoint commit together, so the latest checkpoint read before the entry covers it.
// Two statements: the checkpoint, then the entry with its proof's nodes.
func GetReceipt(ctx context.Context, db bun.IDB, seq int64) (Receipt, error) {
	cp, err := LatestCheckpoint(ctx, db)
	if err != nil {
		return Receipt{}, err
	}
	if seq < 1 || seq > cp.Size {
		// Not covered yet (or no such entry): as before, the entry decides which.
		e, err := Get(ctx, db, seq)
		if err != nil {
			return Receipt{}, err
		}
		return ReceiptFor(ctx, db, e)
	}
	ids, args := receiptArgs(seq, cp.Size)
	r, _, err := scanReceipt(db.QueryRowContext(ctx, receiptSQLBun, args[1], args[2], args[0]), seq, cp, ids)
	return r, err
}

// ReceiptFor is GetReceipt for an entry already read.
func ReceiptFor(ctx context.Context, db bun.IDB, e Entry) (Receipt, error) {
	cp, err := LatestCheckpoint(ctx, db)
	if err != nil {
		return Receipt{}, err
	}
	return receiptAt(ctx, db, e, cp)
}

// ReceiptFor is the receipt of e against the last checkpoint this process signed, when that
// covers e (one read less: only the proof's nodes), else against the latest stored.
func (l *Ledger) ReceiptFor(ctx context.Context, e Entry) (Receipt, error) {
	if cp := l.signed.Load(); cp != nil && cp.Size >= e.Seq {
		return receiptAt(ctx, l.db, e, *cp)
	}
	return ReceiptFor(ctx, l.db, e)
}

// Receipt reads entry seq and builds its receipt in one round trip to the database: the
// checkpoint is the last this process signed (held in memory; it covers every entry this
// process wrote, and every entry written before it started), and the entry and its proof's
// nodes come from one prepared statement (no planning per receipt). An entry past that
// checkpoint (written by another process since) is built against the latest stored one. The
// entry is returned too, for the caller's access check. ErrNotFound if there is no such entry.
func (l *Ledger) Receipt(ctx context.Context, seq int64) (Receipt, Entry, error) {
	cp := l.signed.Load()
	if cp == nil || seq < 1 || seq > cp.Size {
		e, err := Get(ctx, l.db, seq)
		if err != nil {
			return Receipt{}, Entry{}, err
		}
		r, err := ReceiptFor(ctx, l.db, e)
		return r, e, err
	}
	stmt, err := l.receiptStmt(ctx)
	if err != nil {
		return Receipt{}, Entry{}, err
	}
	ids, args := receiptArgs(seq, cp.Size)
	if stmt == nil { // the ledger is closed: no statement kept past Close
		return scanReceipt(l.db.QueryRowContext(ctx, receiptSQLBun, args[1], args[2], args[0]), seq, *cp, ids)
	}
	return scanReceipt(stmt.QueryRowContext(ctx, args...), seq, *cp, ids)
}

// receiptSQL reads an entry ($1) and the stored nodes ($2 levels, $3 indexes) of its
// inclusion proof, concatenated in the order asked (nodesSQL: one index step a node, into
// the batch row that holds it).
var receiptSQL = `SELECT ` + entryColumns + `,
	(` + nodesSQL("$2", "$3") + `)
	FROM ledger.entries WHERE seq = $1`

// receiptSQLBun is receiptSQL for bun's client-side ? placeholders, in the order they appear
// (levels, indexes, seq).
var receiptSQLBun = strings.NewReplacer("$1", "?", "$2", "?", "$3", "?").Replace(receiptSQL)

// receiptStmt prepares receiptSQL once (database/sql prepares it again on each connection
// that runs it); nil after Close.
func (l *Ledger) receiptStmt(ctx context.Context) (*sql.Stmt, error) {
	l.stmtMu.Lock()
	defer l.stmtMu.Unlock()
	if l.stmtClosed {
		return nil, nil
	}
	if l.rcptStmt == nil {
		s, err := l.db.DB.PrepareContext(ctx, receiptSQL)
		if err != nil {
			return nil, fmt.Errorf("ledger: prepare receipt: %w", err)
		}
		l.rcptStmt = s
	}
	return l.rcptStmt, nil
}

// receiptArgs are the proof's node ids for leaf seq − 1 in the tree of size size, and
// receiptSQL's arguments ($1, $2, $3).
func receiptArgs(seq, size int64) (proof.Nodes, []any) {
	n, err := proof.Inclusion(uint64(seq-1), uint64(size))
	if err != nil {
		// Only for an index outside the tree, which the callers have ruled out.
		panic(fmt.Sprintf("ledger: inclusion proof %d in %d: %v", seq-1, size, err))
	}
	lv, ix := nodeArrays(n.IDs)
	return n, []any{seq, lv, ix}
}

// scanReceipt reads receiptSQL's row into the receipt of entry seq against cp.
func scanReceipt(row *sql.Row, seq int64, cp StoredCheckpoint, n proof.Nodes) (Receipt, Entry, error) {
	var (
		e      Entry
		stored []byte
	)
	err := scanEntry(scannerFunc(func(dest ...any) error { return row.Scan(append(dest, &stored)...) }), &e)
	if errors.Is(err, sql.ErrNoRows) {
		return Receipt{}, Entry{}, ErrNotFound
	}
	if err != nil {
		return Receipt{}, Entry{}, fmt.Errorf("ledger: receipt %d: %w", seq, err)
	}
	// Every node is exactly 32 bytes, so the length says whether each was found whole.
	if len(stored) != 32*len(n.IDs) {
		return Receipt{}, Entry{}, fmt.Errorf("ledger: receipt %d: %d of the proof's %d tree nodes are stored", seq, len(stored)/32, len(n.IDs))
	}
	hs := make([][]byte, len(n.IDs))
	for i := range hs {
		hs[i] = stored[32*i : 32*i+32 : 32*i+32]
	}
	out, err := n.Rehash(hs, hasher.HashChildren)
	if err != nil {
		return Receipt{}, Entry{}, fmt.Errorf("ledger: receipt %d: proof: %w", seq, err)
	}
	if out == nil {
		out = [][]byte{}
	}
	return Receipt{
		Entry:      e.ExportLine(),
		Checkpoint: string(cp.Note),
		Inclusion:  Inclusion{LeafIndex: seq - 1, TreeSize: cp.Size, Hashes: out},
	}, e, nil
}

type scannerFunc func(dest ...any) error

func (f scannerFunc) Scan(dest ...any) error { return f(dest...) }

func receiptAt(ctx context.Context, db bun.IDB, e Entry, cp StoredCheckpoint) (Receipt, error) {
	if cp.Size < e.Seq {
		return Receipt{}, fmt.Errorf("ledger: receipt %d: the latest checkpoint (size %d) does not cover it", e.Seq, cp.Size)
	}
	hs, err := InclusionProof(ctx, db, e.Seq-1, cp.Size)
	if err != nil {
		return Receipt{}, err
	}
	return Receipt{
		Entry:      e.ExportLine(),
		Checkpoint: string(cp.Note),
		Inclusion:  Inclusion{LeafIndex: e.Seq - 1, TreeSize: cp.Size, Hashes: hs},
	}, nil
}

// ReceiptError says which check of a receipt failed.
type ReceiptError struct {
	Check string // "entry", "signature", "inclusion"
	Err   error
}

func (e *ReceiptError) Error() string { return e.Check + ": " + e.Err.Error() }
func (e *ReceiptError) Unwrap() error { return e.Err }

// VerifyReceipt checks a receipt offline: the entry's hash is its content's, the checkpoint
// is signed by the key, and the proof leads from the entry's leaf (at seq − 1) to the
// checkpoint's root. It returns the checkpoint.
func VerifyReceipt(r Receipt, v note.Verifier) (Checkpoint, error) {
	e, err := r.Entry.Entry()
	if err != nil {
		return Checkpoint{}, &ReceiptError{"entry", err}
	}
	if e.Seq < 1 {
		return Checkpoint{}, &ReceiptError{"entry", errors.New("seq must be at least 1")}
	}
	if ComputeHash(&e) != e.Hash {
		return Checkpoint{}, &ReceiptError{"entry", errors.New("the entry's hash does not match its content")}
	}
	cp, err := OpenCheckpoint([]byte(r.Checkpoint), v)
	if err != nil {
		return Checkpoint{}, &ReceiptError{"signature", err}
	}
	if r.Inclusion.LeafIndex != e.Seq-1 {
		return cp, &ReceiptError{"inclusion", fmt.Errorf("the proof is for leaf %d, not entry %d's leaf %d", r.Inclusion.LeafIndex, e.Seq, e.Seq-1)}
	}
	if r.Inclusion.TreeSize != cp.Size {
		return cp, &ReceiptError{"inclusion", fmt.Errorf("the proof is to a tree of size %d, the checkpoint's is %d", r.Inclusion.TreeSize, cp.Size)}
	}
	leaf := LeafHash(e.Hash)
	if err := proof.VerifyInclusion(hasher, uint64(e.Seq-1), uint64(cp.Size), leaf[:], r.Inclusion.Hashes, cp.Root[:]); err != nil {
		return cp, &ReceiptError{"inclusion", fmt.Errorf("the proof does not lead to the checkpoint's root: %w", err)}
	}
	return cp, nil
}
