package main

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"ipledger/ledger"
	"ipledger/migrations/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// An export verifies offline, and a changed line is named by its seq.
func TestExportVerifiesOffline(t *testing.T) {
	db := dbtest.New(t)
	l := ledger.New(db.App, ledger.Options{})
	defer l.Close()
	ctx, _ := ledger.WithIdempotency(ledger.WithActor(context.Background(), "principal/x"), "k1", []byte("h"))
	if _, err := l.Append(ctx, ledger.Draft{Kind: "k", Subject: "s/0", EffectiveOn: time.Date(2021, 2, 3, 0, 0, 0, 0, time.UTC), Payload: map[string]any{"name": "科尔沁区\t\"x\""}}); err != nil {
		t.Fatal(err)
	}
	for i := 1; i < 20; i++ {
		if _, err := l.Append(ledger.WithActor(context.Background(), "system"), ledger.Draft{Kind: "k", Subject: fmt.Sprintf("s/%d", i), EffectiveOn: time.Date(2021, 2, 3, 0, 0, 0, 0, time.UTC), Payload: map[string]any{"i": i}}); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	n, err := writeExport(context.Background(), db.App, &buf)
	if err != nil || n != 20 {
		t.Fatalf("export: %d %v", n, err)
	}
	rep, err := verifyExport(bytes.NewReader(buf.Bytes()))
	if err != nil || !rep.OK || rep.Checked != 20 {
		t.Fatalf("clean export: %+v %v", rep, err)
	}
	lines := strings.SplitAfter(buf.String(), "\n")
	lines[6] = strings.Replace(lines[6], `"i\": 6`, `"i\": 66`, 1)
	rep, err = verifyExport(strings.NewReader(strings.Join(lines, "")))
	if err != nil || rep.OK || *rep.FirstBadSeq != 7 {
		t.Fatalf("tampered export: %+v %v, want first bad seq 7", rep, err)
	}
}
