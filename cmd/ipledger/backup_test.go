package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"ipledger/ledger"
	"ipledger/migrations/pgdb"
)

// privateDir is a data directory the postgres OS user can reach when the tests run as root.
func privateDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func appendNotes(t *testing.T, l *ledger.Ledger, n int, tag string) int64 {
	t.Helper()
	ctx := ledger.WithActor(context.Background(), "test")
	var last int64
	for i := range n {
		es, err := l.Append(ctx, ledger.Draft{Kind: "test.note", Subject: fmt.Sprintf("note/%s-%d", tag, i), EffectiveOn: time.Now(), Payload: map[string]any{"i": i}})
		if err != nil {
			t.Fatal(err)
		}
		last = es[len(es)-1].Seq
	}
	return last
}

// The round trip: a base backup of the private cluster with WAL archiving on, writes after
// it, then a restore to a moment between two batches and one to the end of the archive.
// Each restored ledger verifies and its head is the one at that moment.
func TestBackupRestoreRoundTripWithPointInTime(t *testing.T) {
	ctx := context.Background()
	data, bk := privateDir(t), filepath.Join(privateDir(t), "bk")
	t.Setenv("DATABASE_URL", "")
	t.Setenv("IPLEDGER_MIGRATE_DATABASE_URL", "")
	t.Setenv("IPLEDGER_READ_DATABASE_URL", "")
	t.Setenv("IPLEDGER_DATA_DIR", data)
	t.Setenv("IPLEDGER_WAL_ARCHIVE", bk)
	log := slog.New(slog.DiscardHandler)
	st, err := openStore(ctx, log, true)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	headAtBackup := appendNotes(t, st.ledger, 5, "before")

	code, out, errOut := runCLI(t, "backup", bk)
	if code != exitOK {
		t.Fatalf("backup: exit %d: %s", code, errOut)
	}
	var info backupInfo
	if err := json.Unmarshal([]byte(out), &info); err != nil || info.HeadSeq != headAtBackup {
		t.Fatalf("backup.json head = %d (%v), want %d: %s", info.HeadSeq, err, headAtBackup, out)
	}

	headAtT := appendNotes(t, st.ledger, 3, "a")
	time.Sleep(50 * time.Millisecond)
	until := time.Now().UTC()
	time.Sleep(50 * time.Millisecond)
	headAtEnd := appendNotes(t, st.ledger, 4, "b")
	// Close the WAL segment so the archive holds every write, and wait for it to be copied.
	super, err := pgdb.Open(st.cluster.DSN(pgdb.Superuser, appDatabase), pgdb.Config{MaxConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	var seg string
	if err := super.QueryRowContext(ctx, `SELECT pg_walfile_name(pg_switch_wal())`).Scan(&seg); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		if _, err := os.Stat(filepath.Join(bk, pgdb.BackupWAL, seg)); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("WAL segment %s was not archived within 20s", seg)
		}
		time.Sleep(100 * time.Millisecond)
	}
	super.Close()
	st.Close()

	restore := func(args ...string) restoreReport {
		t.Helper()
		dir := privateDir(t)
		t.Setenv("IPLEDGER_DATA_DIR", dir)
		t.Setenv("IPLEDGER_WAL_ARCHIVE", "")
		code, out, errOut := runCLI(t, append([]string{"restore"}, args...)...)
		if code != exitOK {
			pglog, _ := os.ReadFile(filepath.Join(dir, "pg.log"))
			t.Fatalf("restore %v: exit %d: %s\npostgres log:\n%s", args, code, errOut, pglog)
		}
		var rep restoreReport
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatalf("restore output: %v: %s", err, out)
		}
		if !rep.Verify.OK || rep.Verify.HeadSeq != rep.HeadSeq || rep.Verify.Log == nil {
			t.Fatalf("restored ledger does not verify with its log: %+v", rep.Verify)
		}
		return rep
	}
	if rep := restore("--until", until.Format(time.RFC3339Nano), bk); rep.HeadSeq != headAtT {
		t.Errorf("restore --until: head %d, want %d (the head at that moment)", rep.HeadSeq, headAtT)
	}
	if rep := restore(bk); rep.HeadSeq != headAtEnd {
		t.Errorf("restore to the end of the archive: head %d, want %d", rep.HeadSeq, headAtEnd)
	}

	// Without the archive, the base backup alone restores the head it was taken at.
	if err := os.Rename(filepath.Join(bk, pgdb.BackupWAL), filepath.Join(bk, "wal.off")); err != nil {
		t.Fatal(err)
	}
	if rep := restore(bk); rep.HeadSeq != headAtBackup || rep.Backup.HeadSeq != headAtBackup {
		t.Errorf("restore of the base backup alone: head %d, want %d (backup.json: %d)", rep.HeadSeq, headAtBackup, rep.Backup.HeadSeq)
	}

	// A restore refuses a data directory that is in use.
	t.Setenv("IPLEDGER_DATA_DIR", data)
	if code, _, errOut := runCLI(t, "restore", bk); code != exitFailure {
		t.Errorf("restore over a non-empty data dir: exit %d, want 1: %s", code, errOut)
	}
}

// backup and restore refuse a wrong command line (exit 2) and an external database (exit 1)
// before touching anything.
func TestBackupRestoreRefuse(t *testing.T) {
	t.Chdir(t.TempDir())
	t.Setenv("IPLEDGER_DATA_DIR", t.TempDir())
	t.Setenv("DATABASE_URL", "")
	for _, args := range [][]string{{"backup"}, {"backup", "a", "b"}, {"restore"}, {"restore", "--until", "yesterday", "d"}} {
		if code, out, errOut := runCLI(t, args...); code != exitUsage || out != "" || !strings.Contains(errOut, "Usage: ipledger "+args[0]) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want 2 and the usage", args, code, out, errOut)
		}
	}
	t.Setenv("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none?sslmode=disable")
	for _, args := range [][]string{{"backup", "bk"}, {"restore", "bk"}} {
		if code, _, errOut := runCLI(t, args...); code != exitFailure || !strings.Contains(errOut, "README.md, Operations") {
			t.Errorf("%v with DATABASE_URL: exit %d, stderr %q; want 1 and where to read how", args, code, errOut)
		}
	}
	if entries, _ := os.ReadDir("."); len(entries) != 0 {
		t.Errorf("refused commands wrote files: %v", entries)
	}
}
