package ledger_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"ipledger/ledger"
	"ipledger/migrations/dbtest"
)

// flipNode is SQL that changes the first byte of stored node (lvl, idx): in the batch row
// that holds its completing leaf, at the node's place there (ledger.tree_node_at).
func flipNode(lvl, idx int) string {
	leaf := (idx+1)<<lvl - 1
	at := fmt.Sprintf("ledger.tree_node_at(first_idx, tree_size, %d, %d)::int * 32", lvl, idx)
	return fmt.Sprintf(`UPDATE ledger.tree_batches SET hashes = overlay(hashes PLACING decode(CASE WHEN get_byte(hashes, %[2]s) = 255 THEN '00' ELSE 'ff' END, 'hex') FROM %[2]s + 1 FOR 1)
		WHERE first_idx <= %[1]d AND tree_size > %[1]d`, leaf, at)
}

// rowOfLeaf is SQL for the first entry of the batch row holding leaf (seq − 1).
func rowOfLeaf(leaf int) string {
	return fmt.Sprintf(`SELECT first_idx + 1 FROM ledger.tree_batches WHERE first_idx <= %[1]d AND tree_size > %[1]d`, leaf)
}

// TestVerifyNamesTheFirstBadTreeNode tampers with the stored tree of a 40-entry chain in
// several ways and checks the seq and reason Verify names for each.
func TestVerifyNamesTheFirstBadTreeNode(t *testing.T) {
	cases := []struct {
		name   string
		tamper []string
		seq    int64
		reason string
		seqSQL string // when set, the seq to expect is what it selects before tampering
	}{
		{"leaf", []string{flipNode(0, 6)}, 7, "the tree's leaf for entry 7 is not SHA-256(0x00 ‖ its hash)", ""},
		{"parent", []string{flipNode(1, 10)}, 21, "tree node (level 1, index 10) is not the hash of its children", ""},
		{"top", []string{flipNode(5, 0)}, 1, "tree node (level 5, index 0) is not the hash of its children", ""},
		// The bad leaf is the news, not the parent above it that no longer matches.
		{"leaf under a bad parent", []string{flipNode(1, 4), flipNode(0, 9)}, 10, "the tree's leaf for entry 10 is not SHA-256(0x00 ‖ its hash)", ""},
		{"two leaves", []string{flipNode(0, 30), flipNode(0, 12)}, 13, "the tree's leaf for entry 13", ""},
		{"a node past the head", []string{`INSERT INTO ledger.tree_batches (tree_size, first_idx, hashes) VALUES (41, 40, decode(repeat('ab', 32), 'hex'))`}, 41, "is of a tree of 41 entries, the chain's head is at 40", ""},
		{"a gap", []string{`DELETE FROM ledger.tree_batches WHERE first_idx <= 20 AND tree_size > 20`}, 0, "have gaps or overlaps", rowOfLeaf(20)},
		{"an overlap", []string{`INSERT INTO ledger.tree_batches (tree_size, first_idx, hashes) SELECT tree_size, first_idx, hashes FROM ledger.tree_batches WHERE first_idx <= 20 AND tree_size > 20`}, 0, "have gaps or overlaps", rowOfLeaf(20)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			db := dbtest.New(t)
			l := ledger.New(db.App, ledger.Options{})
			defer l.Close()
			appendConcurrently(t, l, 40)
			ctx := context.Background()
			if rep, err := ledger.Verify(ctx, db.App); err != nil || !rep.OK {
				t.Fatalf("before tampering: %+v %v", rep, err)
			}
			conn, err := db.Super(t).Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if c.seqSQL != "" {
				if err := conn.QueryRowContext(ctx, c.seqSQL).Scan(&c.seq); err != nil {
					t.Fatal(err)
				}
			}
			for _, q := range append([]string{`SET session_replication_role = replica`}, c.tamper...) {
				if _, err := conn.ExecContext(ctx, q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			rep, err := ledger.Verify(ctx, db.App)
			if err != nil {
				t.Fatal(err)
			}
			if rep.OK || rep.FirstBadSeq == nil || *rep.FirstBadSeq != c.seq || !strings.Contains(rep.Reason, c.reason) {
				t.Fatalf("want seq %d %q, got %+v", c.seq, c.reason, rep)
			}
		})
	}
}

// TestVerifyWhileAppending: entries appended while Verify walks the tree are past the head it
// read, not a tree longer than the chain.
func TestVerifyWhileAppending(t *testing.T) {
	db := dbtest.New(t)
	l := ledger.New(db.App, ledger.Options{})
	defer l.Close()
	appendConcurrently(t, l, 40)
	appended := make(chan error, 1)
	go func() {
		for i := range 300 {
			if _, err := l.Append(actorCtx(), ledger.Draft{Kind: "test.noted", Subject: fmt.Sprintf("later/%d", i), EffectiveOn: day, Payload: map[string]any{"i": i}}); err != nil {
				appended <- err
				return
			}
		}
		appended <- nil
	}()
	ctx := context.Background()
	for runs := 0; ; runs++ {
		rep, err := ledger.Verify(ctx, db.App)
		if err != nil || !rep.OK {
			t.Errorf("verify %d while appending: %+v %v", runs, rep, err)
			break
		}
		select {
		case err := <-appended:
			if err != nil {
				t.Fatal(err)
			}
			return
		default:
		}
	}
	if err := <-appended; err != nil {
		t.Fatal(err)
	}
}
