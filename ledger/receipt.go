package ledger

import (
	"context"
	"errors"
	"fmt"

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
// their checkpoint commit together, so the latest checkpoint read after the entry covers it.
func GetReceipt(ctx context.Context, db bun.IDB, seq int64) (Receipt, error) {
	e, err := Get(ctx, db, seq)
	if err != nil {
		return Receipt{}, err
	}
	return ReceiptFor(ctx, db, e)
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
