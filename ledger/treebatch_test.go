package ledger_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

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

// checkConsistency has tlog check the stored consistency proof between the trees of sizes
// from and to against their roots.
func checkConsistency(t *testing.T, db *dbtest.DB, from, to int64, fromRoot, toRoot tlog.Hash) {
	t.Helper()
	pr, err := ledger.ConsistencyProof(context.Background(), db.App, from, to)
	if err != nil {
		t.Fatal(err)
	}
	p := make(tlog.TreeProof, len(pr.Hashes))
	for i, h := range pr.Hashes {
		copy(p[i][:], h)
	}
	if err := tlog.CheckTree(p, to, toRoot, from, fromRoot); err != nil {
		t.Fatalf("tlog rejects the consistency of %d and %d: %v", from, to, err)
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
		checkConsistency(t, db, c[0], c[1], tt.root(t, c[0]), tt.root(t, c[1]))
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
	downBefore0021(t, m)
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

// downBefore0021 takes the database down to just before 0021: 0009's layout.
func downBefore0021(t *testing.T, m *migrations.Migrator) {
	t.Helper()
	for {
		v, _, err := m.Version()
		if err != nil {
			t.Fatal(err)
		}
		if v < 21 {
			return
		}
		if err := m.Down(1); err != nil {
			t.Fatal(err)
		}
	}
}

// migrate0021DownUp converts the tree to 0009's layout and back.
func migrate0021DownUp(t *testing.T, db *dbtest.DB) {
	t.Helper()
	m, err := migrations.New(context.Background(), db.Super(t).DB)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	downBefore0021(t, m)
	if err := m.Up(); err != nil {
		t.Fatal(err)
	}
}

// rowsRemovedByFilter sums "Rows Removed by Filter" over an EXPLAIN (ANALYZE, FORMAT JSON) plan.
func rowsRemovedByFilter(v any) float64 {
	n := 0.0
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if f, ok := e.(float64); ok && k == "Rows Removed by Filter" {
				n += f
			} else {
				n += rowsRemovedByFilter(e)
			}
		}
	case []any:
		for _, e := range x {
			n += rowsRemovedByFilter(e)
		}
	}
	return n
}

// A tree of single-entry commits (a checkpoint each) converted by 0021: 0009's checkpoints
// stay out of ledger.tree_batches, so a node's lookup steps past no row without nodes; the
// old checkpoints are still listed, and receipts and consistency proofs to them verify
// with tlog.
func TestMigration0021KeepsOldCheckpointsApart(t *testing.T) {
	db := dbtest.New(t)
	ctx := context.Background()
	key := mustKey(t, "apart.example/log")
	l := ledger.New(db.App, ledger.Options{Key: key, Origin: "apart.example/log"})
	const size = 512
	for range size {
		appendWrite(t, l, 1)
	}
	l.Close()
	type oldCP struct {
		size int64
		note string
	}
	var old []oldCP
	rows, err := db.App.QueryContext(ctx, `SELECT tree_size, note FROM ledger.checkpoints ORDER BY tree_size, id`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var c oldCP
		if err := rows.Scan(&c.size, &c.note); err != nil {
			t.Fatal(err)
		}
		old = append(old, c)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows.Close()
	if len(old) != size+1 {
		t.Fatalf("%d checkpoints before the conversion, want %d", len(old), size+1)
	}

	migrate0021DownUp(t, db)

	var nodeless, listed int
	if err := db.App.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM ledger.tree_batches WHERE first_idx = tree_size),
		(SELECT count(*) FROM ledger.checkpoints)`).Scan(&nodeless, &listed); err != nil {
		t.Fatal(err)
	}
	if nodeless != 0 || listed != len(old) {
		t.Fatalf("after the conversion: %d rows without nodes in tree_batches (want 0), %d checkpoints listed (want %d)", nodeless, listed, len(old))
	}
	// The lookup of leaf 3 and of a node of every level reads its row straight away.
	var plan string
	if err := db.App.QueryRowContext(ctx, `EXPLAIN (ANALYZE, FORMAT JSON) `+ledger.ReadNodesSQL,
		"{0,0,1,2,8,9}", "{3,300,5,100,0,1}").Scan(&plan); err != nil {
		t.Fatal(err)
	}
	var tree any
	if err := json.Unmarshal([]byte(plan), &tree); err != nil {
		t.Fatal(err)
	}
	if n := rowsRemovedByFilter(tree); n != 0 {
		t.Fatalf("the node lookup stepped past %v rows:\n%s", n, plan)
	}

	entries := allEntries(t, l)
	tt := newTlogTree(t, entries)
	checkRowsAgainstTlog(t, db, tt, size)
	cps := map[int64]ledger.Checkpoint{}
	for _, c := range old {
		cp, err := ledger.OpenCheckpoint([]byte(c.note), key.Verifier())
		if err != nil || cp.Size != c.size || tlog.Hash(cp.Root) != tt.root(t, c.size) {
			t.Fatalf("old checkpoint of %d: %+v %v", c.size, cp, err)
		}
		cps[c.size] = cp
	}
	if cp, err := ledger.LatestCheckpoint(ctx, db.App); err != nil || cp.Size != size || cp.Note == nil || string(cp.Note) != old[len(old)-1].note {
		t.Fatalf("latest checkpoint after the conversion, before a start: %+v %v", cp, err)
	}
	for _, c := range [][2]int64{{0, 1}, {3, 4}, {3, 200}, {255, 256}, {256, 257}, {100, 511}, {511, 512}} {
		seq, n := c[0]+1, c[1]
		hs, err := ledger.InclusionProof(ctx, db.App, c[0], n)
		if err != nil {
			t.Fatal(err)
		}
		p := make(tlog.RecordProof, len(hs))
		for i, h := range hs {
			copy(p[i][:], h)
		}
		if err := tlog.CheckRecord(p, n, tlog.Hash(cps[n].Root), c[0], tlog.RecordHash(entries[seq-1].Hash[:])); err != nil {
			t.Fatalf("tlog rejects entry %d's inclusion in old checkpoint %d: %v", seq, n, err)
		}
	}
	for _, c := range [][2]int64{{1, 2}, {3, 4}, {4, 255}, {255, 256}, {256, 257}, {7, 512}, {511, 512}} {
		checkConsistency(t, db, c[0], c[1], tlog.Hash(cps[c[0]].Root), tlog.Hash(cps[c[1]].Root))
	}
	// A start with the same key finds the old checkpoint of the whole tree: no new row.
	l2 := ledger.New(db.App, ledger.Options{Key: key, Origin: "apart.example/log"})
	defer l2.Close()
	if err := db.App.QueryRowContext(ctx, `SELECT count(*) FROM ledger.tree_batches WHERE first_idx = tree_size`).Scan(&nodeless); err != nil || nodeless != 0 {
		t.Fatalf("rows without nodes after a start: %d %v", nodeless, err)
	}
	appendWrite(t, l2, 1)
	if cp := latest(t, l2); cp.Size != size+1 {
		t.Fatalf("checkpoint after an append: %+v", cp)
	}
	rep, err := ledger.Verify(ctx, db.App, ledger.WithVerifier(key.Verifier()))
	if err != nil || !rep.OK {
		t.Fatalf("verify after the conversion: %+v %v", rep, err)
	}
}

// A row the app role inserts past the chain's head (it keeps INSERT) is not the latest
// checkpoint: proofs and tiles go on with the real one, and Verify names the row.
func TestCheckpointPastHeadIgnoredAndReported(t *testing.T) {
	db := dbtest.New(t)
	ctx := context.Background()
	key := mustKey(t, "past.example/log")
	l := ledger.New(db.App, ledger.Options{Key: key, Origin: "past.example/log"})
	defer l.Close()
	mustAppend(t, l, 5)
	real := latest(t, l)
	bogus := ledger.Checkpoint{Origin: "past.example/log", Size: 1 << 40, Root: real.Root}
	note, err := bogus.Sign(key)
	if err != nil {
		t.Fatal(err)
	}
	var id int64
	if err := db.App.QueryRowContext(ctx, `INSERT INTO ledger.tree_batches (tree_size, first_idx, hashes, root_hash, note, signed_at)
		VALUES (?, ?, ''::bytea, ?, ?, ?) RETURNING id`, bogus.Size, bogus.Size, bogus.Root[:], string(note), time.Now()).Scan(&id); err != nil {
		t.Fatal(err)
	}
	if cp := latest(t, l); cp != real {
		t.Fatalf("latest checkpoint with a row past the head: %+v, want %+v", cp, real)
	}
	if _, err := ledger.ConsistencyProof(ctx, db.App, 2, 5); err != nil {
		t.Fatal(err)
	}
	if _, err := ledger.Tile(ctx, db.App, 0, 0, 5); err != nil {
		t.Fatal(err)
	}
	rep, err := ledger.Verify(ctx, db.App, ledger.WithVerifier(key.Verifier()))
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("ledger.tree_batches row id %d ", id)
	if rep.OK || rep.FirstBadSeq == nil || *rep.FirstBadSeq != 6 || !strings.Contains(rep.Reason, want) {
		t.Fatalf("verify with a row past the head: %+v, want entry 6 and %q", rep, want)
	}
}

// Even a superuser (no privilege stands in the way) meets the append-only triggers of the
// batch rows and of 0009's checkpoints; the app role may not write 0009's checkpoints.
func TestTreeTablesAppendOnlyForSuperuser(t *testing.T) {
	db := dbtest.New(t)
	ctx := context.Background()
	l := ledger.New(db.App, ledger.Options{})
	mustAppend(t, l, 3)
	l.Close()
	super := db.Super(t)
	// A row for the row triggers to meet (nothing else writes 0009's table any more).
	if _, err := super.ExecContext(ctx, `INSERT INTO ledger.checkpoints_0009 (tree_size, root_hash, note, signed_at)
		VALUES (0, sha256(''::bytea), 'old', now())`); err != nil {
		t.Fatal(err)
	}
	for _, table := range []string{"ledger.tree_batches", "ledger.checkpoints_0009"} {
		for _, q := range []string{
			`UPDATE ` + table + ` SET tree_size = tree_size`,
			`DELETE FROM ` + table,
			`TRUNCATE ` + table,
		} {
			_, err := super.ExecContext(ctx, q)
			if err == nil || !strings.Contains(err.Error(), "append-only") {
				t.Fatalf("%s as superuser: err = %v, want the append-only refusal", q, err)
			}
		}
	}
	_, err := db.App.ExecContext(ctx, `INSERT INTO ledger.checkpoints_0009 (tree_size, root_hash, note, signed_at)
		VALUES (0, sha256(''::bytea), 'old', now())`)
	if err == nil || !strings.Contains(err.Error(), "permission denied") {
		t.Fatalf("insert into 0009's checkpoints as the app: err = %v, want permission denied", err)
	}
	var n int
	if err := super.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM ledger.tree_batches) + (SELECT count(*) FROM ledger.checkpoints_0009)`).Scan(&n); err != nil || n != 5 {
		t.Fatalf("rows after the refusals: %d %v, want 5", n, err)
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
