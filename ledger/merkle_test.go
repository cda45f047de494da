package ledger_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"

	"golang.org/x/mod/sumdb/tlog"

	"ipledger/ledger"
	"ipledger/migrations"
	"ipledger/migrations/dbtest"
)

// tlogTree is the Go checksum database's tlog over the same leaves: a second, independent
// implementation of RFC 6962 hashing to check ours against.
type tlogTree struct{ stored []tlog.Hash }

func (tt *tlogTree) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	for i, x := range idx {
		out[i] = tt.stored[x]
	}
	return out, nil
}

func newTlogTree(t *testing.T, entries []ledger.Entry) *tlogTree {
	t.Helper()
	tt := &tlogTree{}
	for i, e := range entries {
		hs, err := tlog.StoredHashes(int64(i), e.Hash[:], tt)
		if err != nil {
			t.Fatal(err)
		}
		tt.stored = append(tt.stored, hs...)
	}
	return tt
}

func (tt *tlogTree) root(t *testing.T, n int64) tlog.Hash {
	t.Helper()
	h, err := tlog.TreeHash(n, tt)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func allEntries(t *testing.T, l *ledger.Ledger) []ledger.Entry {
	t.Helper()
	var out []ledger.Entry
	for {
		es, err := ledger.List(context.Background(), l.DB(), ledger.Filter{After: int64(len(out)), Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		if len(es) == 0 {
			return out
		}
		out = append(out, es...)
	}
}

// appendConcurrently writes n entries from 8 writers at once, so batches of many sizes form.
func appendConcurrently(t *testing.T, l *ledger.Ledger, n int) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < n; i += 8 {
				if _, err := l.Append(actorCtx(), ledger.Draft{Kind: "test.noted", Subject: fmt.Sprintf("thing/%d", i), EffectiveOn: day, Payload: map[string]any{"i": i}}); err != nil {
					errs <- err
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func latest(t *testing.T, l *ledger.Ledger) ledger.Checkpoint {
	t.Helper()
	cp, err := ledger.LatestCheckpoint(context.Background(), l.DB())
	if err != nil {
		t.Fatal(err)
	}
	body, err := ledger.OpenCheckpoint(cp.Note, l.Key().Verifier())
	if err != nil {
		t.Fatalf("latest checkpoint does not verify: %v\n%s", err, cp.Note)
	}
	return body
}

// The stored tree, its checkpoints, receipts and consistency proofs agree with tlog.
func TestLogMatchesTlog(t *testing.T) {
	db := dbtest.New(t)
	l := ledger.New(db.App, ledger.Options{Origin: "test.example/log"})
	defer l.Close()
	ctx := context.Background()
	if cp := latest(t, l); cp.Size != 0 || cp.Origin != "test.example/log" || cp.Root != ledger.Hash(sha256.Sum256(nil)) {
		t.Fatalf("checkpoint of the empty log: %+v", cp)
	}
	appendConcurrently(t, l, 300)
	// Writes of many entries, so one batch completes high subtrees.
	for i := 0; i < 3; i++ {
		drafts := make([]ledger.Draft, 97)
		for k := range drafts {
			drafts[k] = ledger.Draft{Kind: "test.bulk", Subject: fmt.Sprintf("bulk/%d/%d", i, k), EffectiveOn: day, Payload: map[string]any{"k": k}}
		}
		if _, err := l.Append(actorCtx(), drafts...); err != nil {
			t.Fatal(err)
		}
	}
	entries := allEntries(t, l)
	n := int64(len(entries))
	if n != 591 {
		t.Fatalf("%d entries", n)
	}
	tt := newTlogTree(t, entries)
	cp := latest(t, l)
	if cp.Size != n || tlog.Hash(cp.Root) != tt.root(t, n) {
		t.Fatalf("checkpoint %d %x, tlog's root of %d: %x", cp.Size, cp.Root, n, tt.root(t, n))
	}
	for _, seq := range []int64{1, 2, 3, 64, 255, 256, 257, 300, 511, 512, 590, 591} {
		r, err := ledger.GetReceipt(ctx, db.App, seq)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ledger.VerifyReceipt(r, l.Key().Verifier()); err != nil {
			t.Fatalf("receipt %d: %v", seq, err)
		}
		p := make(tlog.RecordProof, len(r.Inclusion.Hashes))
		for i, h := range r.Inclusion.Hashes {
			copy(p[i][:], h)
		}
		if err := tlog.CheckRecord(p, n, tt.root(t, n), seq-1, tlog.RecordHash(entries[seq-1].Hash[:])); err != nil {
			t.Fatalf("tlog rejects receipt %d: %v", seq, err)
		}
		// The API's way (one prepared statement, the checkpoint this process signed) gives
		// the same receipt, and the entry it read.
		lr, e, err := l.Receipt(ctx, seq)
		if err != nil {
			t.Fatal(err)
		}
		if e.Seq != seq || e.Hash != entries[seq-1].Hash || !reflect.DeepEqual(lr, r) {
			t.Fatalf("Ledger.Receipt(%d) = %+v (entry %d %x), GetReceipt gave %+v", seq, lr, e.Seq, e.Hash, r)
		}
	}
	for _, seq := range []int64{0, n + 1} {
		if _, _, err := l.Receipt(ctx, seq); !errors.Is(err, ledger.ErrNotFound) {
			t.Fatalf("Ledger.Receipt(%d): err = %v, want ErrNotFound", seq, err)
		}
	}
	for _, c := range [][2]int64{{1, 591}, {2, 3}, {7, 8}, {256, 591}, {300, 512}, {591, 591}, {100, 101}} {
		pr, err := ledger.ConsistencyProof(ctx, db.App, c[0], c[1])
		if err != nil {
			t.Fatal(err)
		}
		p := make(tlog.TreeProof, len(pr.Hashes))
		for i, h := range pr.Hashes {
			copy(p[i][:], h)
		}
		if err := tlog.CheckTree(p, c[1], tt.root(t, c[1]), c[0], tt.root(t, c[0])); err != nil {
			t.Fatalf("tlog rejects consistency %v: %v", c, err)
		}
	}
	for _, c := range [][2]int64{{0, 5}, {6, 5}, {1, 592}} {
		if _, err := ledger.ConsistencyProof(ctx, db.App, c[0], c[1]); !errors.Is(err, ledger.ErrProofRange) {
			t.Fatalf("consistency %v: err = %v, want ErrProofRange", c, err)
		}
	}
	// Tiles are tlog's tiles of the same tree.
	for _, tile := range tlog.NewTiles(ledger.TileHeight, 0, n) {
		if tile.L < 0 {
			continue
		}
		want, err := tlog.ReadTileData(tile, tt)
		if err != nil {
			t.Fatal(err)
		}
		got, err := ledger.Tile(ctx, db.App, tile.L, tile.N, tile.W)
		if err != nil {
			t.Fatalf("tile %s: %v", tile.Path(), err)
		}
		if string(got) != string(want) {
			t.Fatalf("tile %s differs from tlog's", tile.Path())
		}
	}
	if _, err := ledger.Tile(ctx, db.App, 0, 2, 80); !errors.Is(err, ledger.ErrNoTile) {
		t.Fatalf("a tile past the tree: err = %v", err)
	}
	rep, err := ledger.Verify(ctx, db.App, ledger.WithVerifier(l.Key().Verifier()))
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK || rep.Log == nil || rep.Log.TreeSize != n || rep.Log.CheckpointSize != n || rep.Log.SignatureOK == nil || !*rep.Log.SignatureOK {
		t.Fatalf("verify: %+v %+v", rep, rep.Log)
	}
	if want := base64.StdEncoding.EncodeToString(cp.Root[:]); rep.Log.Root != want {
		t.Fatalf("verify root %s, checkpoint %s", rep.Log.Root, want)
	}
}

// Two processes writing to one database: each committer's in-memory tree must follow the
// other's appends.
func TestTwoLedgersShareOneTree(t *testing.T) {
	db := dbtest.New(t)
	key := mustKey(t, "two.example/log")
	a := ledger.New(db.App, ledger.Options{Key: key, Origin: "two.example/log"})
	defer a.Close()
	b := ledger.New(db.App, ledger.Options{Key: key, Origin: "two.example/log"})
	defer b.Close()
	for i := 0; i < 20; i++ {
		mustAppend(t, a, 1+i%3)
		mustAppend(t, b, 1+i%2)
	}
	appendConcurrently(t, a, 40)
	appendConcurrently(t, b, 40)
	// One write of more leaves than a stored run holds, and than one statement's nodes.
	drafts := make([]ledger.Draft, 2500)
	for k := range drafts {
		drafts[k] = ledger.Draft{Kind: "test.bulk", Subject: fmt.Sprintf("bulk/%d", k), EffectiveOn: day, Payload: map[string]any{"k": k}}
	}
	if _, err := b.Append(actorCtx(), drafts...); err != nil {
		t.Fatal(err)
	}
	// a's own checkpoint is now older than b's entries: a receipt for one of them comes
	// from the latest stored checkpoint, one for an older entry from a's.
	bSize := latest(t, b).Size
	for _, seq := range []int64{1, bSize - 2000, bSize} {
		r, e, err := a.Receipt(context.Background(), seq)
		if err != nil {
			t.Fatalf("a's receipt %d: %v", seq, err)
		}
		cp, err := ledger.VerifyReceipt(r, key.Verifier())
		if err != nil || e.Seq != seq {
			t.Fatalf("a's receipt %d (entry %d): %v", seq, e.Seq, err)
		}
		if seq == bSize && cp.Size != bSize {
			t.Fatalf("a's receipt for b's last entry is against size %d, want the latest %d", cp.Size, bSize)
		}
	}
	mustAppend(t, a, 2)
	entries := allEntries(t, a)
	n := int64(len(entries))
	tt := newTlogTree(t, entries)
	if cp := latest(t, a); cp.Size != n || tlog.Hash(cp.Root) != tt.root(t, n) {
		t.Fatalf("checkpoint %+v after two writers; tlog root %x", cp, tt.root(t, n))
	}
	rep, err := ledger.Verify(context.Background(), db.App, ledger.WithVerifier(key.Verifier()))
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK {
		t.Fatalf("verify: %+v", rep)
	}
	for _, seq := range []int64{1, 100, 1000, n - 2000, n - 1, n} {
		r, err := ledger.GetReceipt(context.Background(), db.App, seq)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ledger.VerifyReceipt(r, key.Verifier()); err != nil {
			t.Fatalf("receipt %d: %v", seq, err)
		}
	}
	for _, tile := range tlog.NewTiles(ledger.TileHeight, 0, n) {
		want, err := tlog.ReadTileData(tile, tt)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := ledger.Tile(context.Background(), db.App, tile.L, tile.N, tile.W); err != nil || string(got) != string(want) {
			t.Fatalf("tile %s: %v", tile.Path(), err)
		}
	}
}

func mustKey(t *testing.T, name string) *ledger.LogKey {
	t.Helper()
	_, k, err := ledger.NewLogKey(name)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// A receipt is refused when anything in it is not what the log signed.
func TestReceiptRefusals(t *testing.T) {
	db := dbtest.New(t)
	l := ledger.New(db.App, ledger.Options{})
	defer l.Close()
	mustAppend(t, l, 12)
	ctx := context.Background()
	r5, err := ledger.GetReceipt(ctx, db.App, 5)
	if err != nil {
		t.Fatal(err)
	}
	r6, err := ledger.GetReceipt(ctx, db.App, 6)
	if err != nil {
		t.Fatal(err)
	}
	v := l.Key().Verifier()
	if _, err := ledger.VerifyReceipt(r5, v); err != nil {
		t.Fatalf("good receipt: %v", err)
	}
	check := func(name string, r ledger.Receipt, v noteVerifier, want string, wantErr error) {
		t.Run(name, func(t *testing.T) {
			_, err := ledger.VerifyReceipt(r, v)
			var re *ledger.ReceiptError
			if !errors.As(err, &re) || re.Check != want {
				t.Fatalf("err = %v, want a %q failure", err, want)
			}
			if wantErr != nil && !errors.Is(err, wantErr) {
				t.Fatalf("err = %v, want %v", err, wantErr)
			}
		})
	}
	forged := r5
	sigAt := strings.LastIndex(forged.Checkpoint, " ") + 1
	sig, _ := base64.StdEncoding.DecodeString(strings.TrimSpace(forged.Checkpoint[sigAt:]))
	sig[len(sig)-1] ^= 1
	forged.Checkpoint = forged.Checkpoint[:sigAt] + base64.StdEncoding.EncodeToString(sig) + "\n"
	check("ForgedSignature", forged, v, "signature", ledger.ErrBadSignature)

	other := mustKey(t, ledger.DefaultOrigin)
	check("WrongKey", r5, other.Verifier(), "signature", ledger.ErrUnknownKey)

	// A checkpoint body altered to another root, re-signed by someone else's key.
	resigned := r5
	body := r5.Checkpoint[:strings.Index(r5.Checkpoint, "\n\n")+1]
	cp, _ := ledger.ParseCheckpoint(body)
	cp.Root[0] ^= 1
	note, err := cp.Sign(other)
	if err != nil {
		t.Fatal(err)
	}
	resigned.Checkpoint = string(note)
	check("SignedByAnotherKey", resigned, v, "signature", ledger.ErrUnknownKey)

	swapped := r5
	swapped.Entry = r6.Entry
	check("ProofForAnotherSeq", swapped, v, "inclusion", nil)

	moved := r6
	moved.Inclusion = r5.Inclusion
	check("ProofOfAnotherLeaf", moved, v, "inclusion", nil)

	edited := r5
	edited.Entry.Payload = `{"i": 99}`
	check("EditedEntry", edited, v, "entry", nil)

	rehashed := r5
	rehashed.Entry.Payload = `{"i": 99}`
	e, err := rehashed.Entry.Entry()
	if err != nil {
		t.Fatal(err)
	}
	rehashed.Entry.Hash = ledger.ComputeHash(&e).String()
	check("EditedEntryWithItsHash", rehashed, v, "inclusion", nil)

	short := r5
	short.Inclusion.Hashes = short.Inclusion.Hashes[1:]
	check("TruncatedProof", short, v, "inclusion", nil)
}

type noteVerifier = interface {
	Name() string
	KeyHash() uint32
	Verify(msg, sig []byte) bool
}

// Whoever controls the database rewrites a past entry and recomputes the chain after it:
// the chain verifies; the tree, left alone, does not; and rebuilt and re-signed, it is no
// longer an extension of a checkpoint a bank kept.
func TestRewriteCaughtByOldCheckpoint(t *testing.T) {
	db := dbtest.New(t)
	l := ledger.New(db.App, ledger.Options{})
	mustAppend(t, l, 40)
	ctx := context.Background()
	old, err := ledger.LatestCheckpoint(ctx, db.App) // what a bank kept
	if err != nil {
		t.Fatal(err)
	}
	mustAppend(t, l, 25)
	l.Close()

	super := db.Super(t)
	conn, err := super.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := conn.ExecContext(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec(`SET session_replication_role = replica`) // no triggers fire: append-only is off
	exec(`UPDATE ledger.entries SET payload = '{"i": 999}' WHERE seq = 17`)
	entries := allEntries(t, l)
	prev := entries[15].Hash
	for i := 16; i < len(entries); i++ {
		e := entries[i]
		e.PrevHash = prev
		e.Hash = ledger.ComputeHash(&e)
		exec(`UPDATE ledger.entries SET prev_hash = ?, hash = ? WHERE seq = ?`, e.PrevHash[:], e.Hash[:], e.Seq)
		prev = e.Hash
	}
	exec(`UPDATE ledger.head SET hash = ?`, prev[:])

	rep, err := ledger.Verify(ctx, db.App)
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK || rep.FirstBadSeq == nil || *rep.FirstBadSeq != 17 || !strings.Contains(rep.Reason, "leaf") {
		t.Fatalf("rewritten chain with the old tree: %+v, want the tree's leaf 17 to be bad", rep)
	}

	// The attacker rebuilds the tree from the rewritten chain and signs it anew (with the
	// log's own key, the worst case). Everything stored now agrees with itself...
	exec(`DELETE FROM ledger.tree_batches WHERE first_idx < tree_size`)
	exec(backfill)
	l2 := ledger.New(db.App, ledger.Options{Key: l.Key()})
	defer l2.Close()
	mustAppend(t, l2, 1)
	rep, err = ledger.Verify(ctx, db.App, ledger.WithVerifier(l.Key().Verifier()))
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK {
		t.Fatalf("the rebuilt log should be self-consistent: %+v", rep)
	}
	// ...but the consistency proof from the bank's old checkpoint to today's does not hold.
	now := latest(t, l2)
	p, err := ledger.ConsistencyProof(ctx, db.App, old.Size, now.Size)
	if err != nil {
		t.Fatal(err)
	}
	if err := ledger.VerifyConsistency(p, old.Root, now.Root); err == nil {
		t.Fatal("the rewritten log proved consistent with a checkpoint signed before the rewrite")
	}
	// An honest check of the same kind passes: today's log extends a checkpoint signed after it.
	p, err = ledger.ConsistencyProof(ctx, db.App, now.Size-1, now.Size)
	if err != nil {
		t.Fatal(err)
	}
	mid, err := ledger.TreeRoot(ctx, db.App, now.Size-1)
	if err != nil {
		t.Fatal(err)
	}
	if err := ledger.VerifyConsistency(p, mid, now.Root); err != nil {
		t.Fatalf("honest consistency: %v", err)
	}
}

// backfill builds the stored tree of the entries in SQL, level by level (leaves
// SHA-256(0x00 ‖ hash), parents SHA-256(0x01 ‖ left ‖ right) where both children exist), and
// stores it as batch rows of 256 aligned leaves, each with the nodes its leaves complete:
// what an attacker who rewrote the chain runs, and how the receipt benchmarks build a tree
// over generated entries.
const backfill = `DO $$
DECLARE
  lvl int := 0;
  n   bigint;
BEGIN
  CREATE TEMP TABLE rebuilt (level int, idx bigint, hash bytea) ON COMMIT DROP;
  CREATE INDEX ON rebuilt (level);
  INSERT INTO rebuilt SELECT 0, seq - 1, sha256('\x00'::bytea || hash) FROM ledger.entries;
  LOOP
    INSERT INTO rebuilt
    SELECT lvl + 1, idx / 2, sha256('\x01'::bytea || string_agg(hash, ''::bytea ORDER BY idx))
    FROM rebuilt WHERE level = lvl GROUP BY idx / 2 HAVING count(*) = 2;
    GET DIAGNOSTICS n = ROW_COUNT;
    EXIT WHEN n = 0;
    lvl := lvl + 1;
  END LOOP;
  INSERT INTO ledger.tree_batches (tree_size, first_idx, hashes)
  SELECT least(g * 256 + 256, (SELECT coalesce(max(seq), 0) FROM ledger.entries)), g * 256,
         string_agg(hash, ''::bytea ORDER BY level, idx)
  FROM (SELECT level, idx, hash, (((idx + 1) << level) - 1) / 256 AS g FROM rebuilt) x
  GROUP BY g ORDER BY g;
END
$$`

// The migration builds the tree of a ledger written before the log existed, and the first
// start signs its checkpoint.
func TestMigrationBackfillsTheTree(t *testing.T) {
	db := dbtest.New(t)
	l := ledger.New(db.App, ledger.Options{})
	mustAppend(t, l, 37)
	l.Close()
	ctx := context.Background()
	super := db.Super(t)
	m, err := migrations.New(ctx, super.DB)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	v, _, err := m.Version()
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Down(int(v) - 8); err != nil { // back to before 0009
		t.Fatal(err)
	}
	if err := m.Up(); err != nil {
		t.Fatal(err)
	}
	key := mustKey(t, "backfill.example")
	l2 := ledger.New(db.App, ledger.Options{Key: key})
	defer l2.Close()
	mustAppend(t, l2, 3)
	entries := allEntries(t, l2)
	tt := newTlogTree(t, entries)
	if cp := latest(t, l2); cp.Size != 40 || tlog.Hash(cp.Root) != tt.root(t, 40) {
		t.Fatalf("checkpoint after backfill: %+v", cp)
	}
	rep, err := ledger.Verify(ctx, db.App, ledger.WithVerifier(key.Verifier()))
	if err != nil || !rep.OK {
		t.Fatalf("verify after backfill: %+v %v", rep, err)
	}
}

// A stored node changed by hand (the entries untouched) is named by verification.
func TestVerifyFindsATamperedNode(t *testing.T) {
	db := dbtest.New(t)
	l := ledger.New(db.App, ledger.Options{})
	defer l.Close()
	appendConcurrently(t, l, 40)
	ctx := context.Background()
	super := db.Super(t)
	conn, err := super.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, q := range []string{
		`SET session_replication_role = replica`,
		// Change node (2, 5), which covers entries 21..24.
		flipNode(2, 5),
	} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	rep, err := ledger.Verify(ctx, db.App)
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK || rep.FirstBadSeq == nil || *rep.FirstBadSeq != 21 || !strings.Contains(rep.Reason, "level 2, index 5") {
		t.Fatalf("tampered node: %+v", rep)
	}
	// A receipt whose proof uses the node does not verify; one built without it does.
	for _, c := range []struct {
		seq  int64
		good bool
	}{{17, false}, {19, false}, {21, true}, {40, true}} {
		r, _, err := l.Receipt(ctx, c.seq)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ledger.VerifyReceipt(r, l.Key().Verifier()); (err == nil) != c.good {
			t.Fatalf("receipt %d over the tampered tree: err = %v", c.seq, err)
		}
	}
	// A missing batch row is an error, not a short proof: the row that holds leaf 3 (entry
	// 4), whose node (0, 3) is in entry 3's proof.
	if _, err := conn.ExecContext(ctx, `DELETE FROM ledger.tree_batches WHERE first_idx <= 3 AND tree_size > 3`); err != nil {
		t.Fatal(err)
	}
	if _, _, err := l.Receipt(ctx, 3); err == nil || !strings.Contains(err.Error(), "tree nodes are stored") {
		t.Fatalf("receipt with leaf 3's row gone: err = %v", err)
	}
	if _, err := ledger.GetReceipt(ctx, db.App, 3); err == nil || !strings.Contains(err.Error(), "tree nodes are stored") {
		t.Fatalf("GetReceipt with leaf 3's row gone: err = %v", err)
	}
}

// Ledger.Receipt keeps answering after Close (without its prepared statement), the same.
func TestReceiptAfterClose(t *testing.T) {
	db := dbtest.New(t)
	l := ledger.New(db.App, ledger.Options{})
	mustAppend(t, l, 5)
	ctx := context.Background()
	before, _, err := l.Receipt(ctx, 3)
	if err != nil {
		t.Fatal(err)
	}
	l.Close()
	after, e, err := l.Receipt(ctx, 3)
	if err != nil || e.Seq != 3 || !reflect.DeepEqual(before, after) {
		t.Fatalf("after Close: %+v %v, before: %+v", after, err, before)
	}
	if _, err := ledger.VerifyReceipt(after, l.Key().Verifier()); err != nil {
		t.Fatal(err)
	}
}
