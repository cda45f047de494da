package ledger_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/tlog"

	"ipledger/ledger"
	"ipledger/migrations"
	"ipledger/migrations/dbtest"
)

// batchNodeCount is Σ_l (⌊size/2^l⌋ − ⌊first/2^l⌋): the nodes that leaves [first, size)
// complete, counted level by level.
func batchNodeCount(first, size int64) int64 {
	var n int64
	for l := 0; size>>l > 0; l++ {
		n += size>>l - first>>l
	}
	return n
}

// appendWrite appends n entries in one write: one batch when nothing else is writing.
func appendWrite(t *testing.T, l *ledger.Ledger, n int) {
	t.Helper()
	drafts := make([]ledger.Draft, n)
	for k := range drafts {
		drafts[k] = ledger.Draft{Kind: "test.bulk", Subject: fmt.Sprintf("bulk/%d", k), EffectiveOn: day, Payload: map[string]any{"k": k}}
	}
	if _, err := l.Append(actorCtx(), drafts...); err != nil {
		t.Fatal(err)
	}
}

// checkRowsAgainstTlog reads every batch row with nodes and checks that it lists, level by
// level from 0 and in index order at each level, exactly the nodes its leaves complete,
// each equal to tlog's; and that the rows follow one another from leaf 0 to size.
func checkRowsAgainstTlog(t *testing.T, db *dbtest.DB, tt *tlogTree, size int64) {
	t.Helper()
	rows, err := db.App.QueryContext(context.Background(),
		`SELECT first_idx, tree_size, hashes FROM ledger.tree_batches WHERE first_idx < tree_size ORDER BY tree_size, id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	next := int64(0)
	for rows.Next() {
		var f, s int64
		var hs []byte
		if err := rows.Scan(&f, &s, &hs); err != nil {
			t.Fatal(err)
		}
		if f != next {
			t.Fatalf("a row of leaves %d..%d follows leaf %d", f, s-1, next-1)
		}
		if int64(len(hs)) != 32*batchNodeCount(f, s) {
			t.Fatalf("row of leaves %d..%d: %d bytes, want %d nodes", f, s-1, len(hs), batchNodeCount(f, s))
		}
		at := 0
		for l := 0; s>>l > f>>l; l++ {
			for i := f >> l; i < s>>l; i++ {
				want := tt.stored[tlog.StoredHashIndex(l, i)]
				if string(hs[at:at+32]) != string(want[:]) {
					t.Fatalf("row of leaves %d..%d: node (%d, %d) at byte %d is not tlog's", f, s-1, l, i, at)
				}
				at += 32
			}
		}
		next = s
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if next != size {
		t.Fatalf("the rows cover %d leaves, want %d", next, size)
	}
}

// checkViewAgainstTlog checks that ledger.tree_nodes lists every node of the tree of size
// once, each equal to tlog's.
func checkViewAgainstTlog(t *testing.T, db *dbtest.DB, tt *tlogTree, size int64) {
	t.Helper()
	rows, err := db.App.QueryContext(context.Background(), `SELECT level, idx, hash FROM ledger.tree_nodes ORDER BY level, idx`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := int64(0)
	lvl, idx := 0, int64(0)
	for rows.Next() {
		var l int
		var i int64
		var h []byte
		if err := rows.Scan(&l, &i, &h); err != nil {
			t.Fatal(err)
		}
		if l != lvl {
			if idx != size>>lvl {
				t.Fatalf("the view has %d nodes at level %d, want %d", idx, lvl, size>>lvl)
			}
			lvl, idx = l, 0
		}
		if i != idx {
			t.Fatalf("the view lists node (%d, %d) where (%d, %d) was due", l, i, lvl, idx)
		}
		if want := tt.stored[tlog.StoredHashIndex(l, i)]; string(h) != string(want[:]) {
			t.Fatalf("the view's node (%d, %d) is not tlog's", l, i)
		}
		idx++
		n++
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if want := batchNodeCount(0, size); n != want {
		t.Fatalf("the view lists %d nodes, the tree of %d leaves has %d", n, size, want)
	}
}

// The layout's edges: batches of one, batches that cross or end at powers of two, one
// larger than any 0009 run (1,024 nodes a run, 4,096 at most), a checkpoint signed at start
// (a row without nodes): every row holds exactly its nodes, tlog's, in level-then-index
// order, and proofs, tiles and verification read them back.
func TestBatchRowsLayout(t *testing.T) {
	db := dbtest.New(t)
	ctx := context.Background()
	key := mustKey(t, "batches.example/log")
	l := ledger.New(db.App, ledger.Options{Key: key, Origin: "batches.example/log"})
	size := int64(0)
	for _, n := range []int{1, 1, 1, 1, 3, 1, 9, 15, 1, 5000, 1, 2, 63} {
		appendWrite(t, l, n)
		var f, s, length int64
		var note string
		var root []byte
		if err := db.App.QueryRowContext(ctx, `SELECT first_idx, tree_size, length(hashes), note, root_hash FROM ledger.tree_batches
			ORDER BY tree_size DESC, id DESC LIMIT 1`).Scan(&f, &s, &length, &note, &root); err != nil {
			t.Fatal(err)
		}
		if f != size || s != size+int64(n) || length != 32*batchNodeCount(size, size+int64(n)) {
			t.Fatalf("batch of %d after %d: row of leaves [%d, %d), %d bytes", n, size, f, s, length)
		}
		size += int64(n)
		cp, err := ledger.OpenCheckpoint([]byte(note), key.Verifier())
		if err != nil || cp.Size != size || string(cp.Root[:]) != string(root) {
			t.Fatalf("the row's checkpoint: %+v %v", cp, err)
		}
	}
	l.Close()
	// A start with another key signs a checkpoint of the same tree: a row without nodes.
	key2 := mustKey(t, "batches.example/log")
	l2 := ledger.New(db.App, ledger.Options{Key: key2, Origin: "batches.example/log"})
	defer l2.Close()
	var rows, empty int
	if err := db.App.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM ledger.checkpoints),
		(SELECT count(*) FROM ledger.tree_batches WHERE first_idx = tree_size AND tree_size = ? AND note IS NOT NULL)`, size).Scan(&rows, &empty); err != nil {
		t.Fatal(err)
	}
	if rows != 15 || empty != 1 { // the empty log's at the first start, 13 batches, this start
		t.Fatalf("%d checkpoints, %d of them of the tree of %d without nodes", rows, empty, size)
	}

	entries := allEntries(t, l2)
	tt := newTlogTree(t, entries)
	checkRowsAgainstTlog(t, db, tt, size)
	checkViewAgainstTlog(t, db, tt, size)
	root := tt.root(t, size)
	for _, seq := range []int64{1, 2, 3, 4, 5, 8, 9, 16, 17, 32, 33, 34, 1024, 1025, 4096, 5033, 5034, 5036, 5037, size} {
		r, _, err := l2.Receipt(ctx, seq)
		if err != nil {
			t.Fatal(err)
		}
		p := make(tlog.RecordProof, len(r.Inclusion.Hashes))
		for i, h := range r.Inclusion.Hashes {
			copy(p[i][:], h)
		}
		if err := tlog.CheckRecord(p, size, root, seq-1, tlog.RecordHash(entries[seq-1].Hash[:])); err != nil {
			t.Fatalf("tlog rejects receipt %d: %v", seq, err)
		}
	}
	for _, c := range [][2]int64{{1, 2}, {4, 5}, {8, 33}, {33, 5033}, {5033, 5034}, {1, size}, {5036, size}} {
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
	for _, tile := range tlog.NewTiles(ledger.TileHeight, 0, size) {
		want, err := tlog.ReadTileData(tile, tt)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := ledger.Tile(ctx, db.App, tile.L, tile.N, tile.W); err != nil || string(got) != string(want) {
			t.Fatalf("tile %s: %v", tile.Path(), err)
		}
	}
	rep, err := ledger.Verify(ctx, db.App, ledger.WithVerifier(key2.Verifier()))
	if err != nil || !rep.OK || rep.Log.TreeSize != size {
		t.Fatalf("verify: %+v %v", rep, err)
	}
}

// ledger.tree_nodes_below's closed form is the sum it stands for.
func TestTreeNodesBelowSQL(t *testing.T) {
	db := dbtest.New(t)
	xs := []int64{0, 1, 2, 3, 5, 255, 256, 257, 5033, 10_001_000, 1<<40 + 12345, 1<<61 + 1<<33 + 7, 1<<62 - 1}
	for _, x := range xs {
		for lvl := 0; lvl <= 62; lvl++ {
			var got int64
			if err := db.App.QueryRowContext(context.Background(), `SELECT ledger.tree_nodes_below(?, ?)`, x, lvl).Scan(&got); err != nil {
				t.Fatal(err)
			}
			want := int64(0)
			for k := 0; k < lvl; k++ {
				want += x >> k
			}
			if got != want {
				t.Fatalf("tree_nodes_below(%d, %d) = %d, want %d", x, lvl, got, want)
			}
		}
	}
}

// Migration 0021 converts a tree stored in 0009's layout (runs a level) into batch rows and
// back: the same nodes and checkpoints either way, and the converted log verifies, gives
// receipts tlog accepts, and takes new entries.
func TestMigration0021ConvertsTheTree(t *testing.T) {
	db := dbtest.New(t)
	ctx := context.Background()
	key := mustKey(t, "convert.example/log")
	l := ledger.New(db.App, ledger.Options{Key: key, Origin: "convert.example/log"})
	appendConcurrently(t, l, 300)
	appendWrite(t, l, 1500)
	appendWrite(t, l, 7)
	l.Close()

	super := db.Super(t)
	snapshot := func() (nodes, cps string) {
		t.Helper()
		if err := super.QueryRowContext(ctx, `SELECT string_agg(level || ' ' || idx || ' ' || encode(hash, 'hex'), E'\n' ORDER BY level, idx) FROM ledger.tree_nodes`).Scan(&nodes); err != nil {
			t.Fatal(err)
		}
		if err := super.QueryRowContext(ctx, `SELECT string_agg(tree_size || ' ' || encode(root_hash, 'hex') || ' ' || note || signed_at, E'\n' ORDER BY id) FROM ledger.checkpoints`).Scan(&cps); err != nil {
			t.Fatal(err)
		}
		return nodes, cps
	}
	nodes, cps := snapshot()
	m, err := migrations.New(ctx, super.DB)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	for { // down to just before 0021
		v, _, err := m.Version()
		if err != nil {
			t.Fatal(err)
		}
		if v < 21 {
			break
		}
		if err := m.Down(1); err != nil {
			t.Fatal(err)
		}
	}
	var runs int
	if err := super.QueryRowContext(ctx, `SELECT count(*) FROM ledger.tree_runs`).Scan(&runs); err != nil || runs == 0 {
		t.Fatalf("0009's runs after 0021's down: %d %v", runs, err)
	}
	if n, c := snapshot(); n != nodes || c != cps {
		t.Fatalf("0021's down changed the nodes (%v) or the checkpoints (%v)", n != nodes, c != cps)
	}
	if err := m.Up(); err != nil {
		t.Fatal(err)
	}
	if n, c := snapshot(); n != nodes || c != cps {
		t.Fatalf("0021's conversion changed the nodes (%v) or the checkpoints (%v)", n != nodes, c != cps)
	}
	var notAligned int
	if err := super.QueryRowContext(ctx, `SELECT count(*) FROM ledger.tree_batches WHERE first_idx < tree_size AND (first_idx % 256 <> 0 OR tree_size - first_idx > 256)`).Scan(&notAligned); err != nil || notAligned != 0 {
		t.Fatalf("%d converted rows are not of 256 aligned leaves (%v)", notAligned, err)
	}

	entries := allEntries(t, l)
	size := int64(len(entries))
	tt := newTlogTree(t, entries)
	checkRowsAgainstTlog(t, db, tt, size)
	for _, seq := range []int64{1, 256, 257, 1000, size} {
		r, err := ledger.GetReceipt(ctx, db.App, seq)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ledger.VerifyReceipt(r, key.Verifier()); err != nil {
			t.Fatalf("receipt %d after the conversion: %v", seq, err)
		}
	}
	l2 := ledger.New(db.App, ledger.Options{Key: key, Origin: "convert.example/log"})
	defer l2.Close()
	mustAppend(t, l2, 3)
	entries = allEntries(t, l2)
	tt = newTlogTree(t, entries)
	checkRowsAgainstTlog(t, db, tt, int64(len(entries)))
	if cp := latest(t, l2); cp.Size != int64(len(entries)) || tlog.Hash(cp.Root) != tt.root(t, cp.Size) {
		t.Fatalf("checkpoint after the conversion: %+v", cp)
	}
	rep, err := ledger.Verify(ctx, db.App, ledger.WithVerifier(key.Verifier()))
	if err != nil || !rep.OK {
		t.Fatalf("verify after the conversion: %+v %v", rep, err)
	}
}

// A stored tree can only grow: the app role may not change or remove a batch row.
func TestTreeBatchesAppendOnly(t *testing.T) {
	db := dbtest.New(t)
	l := ledger.New(db.App, ledger.Options{})
	defer l.Close()
	mustAppend(t, l, 3)
	for _, q := range []string{
		`UPDATE ledger.tree_batches SET hashes = hashes`,
		`DELETE FROM ledger.tree_batches`,
		`TRUNCATE ledger.tree_batches`,
	} {
		_, err := db.App.ExecContext(context.Background(), q)
		if err == nil || !strings.Contains(err.Error(), "denied") && !strings.Contains(err.Error(), "append-only") {
			t.Fatalf("%s: err = %v, want it refused", q, err)
		}
	}
	if cp, err := ledger.LatestCheckpoint(context.Background(), db.App); err != nil || cp.Size != 3 {
		t.Fatalf("latest checkpoint after the refusals: %+v %v", cp, err)
	}
}
