package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"ipledger/ledger"
	"ipledger/migrations/dbtest"
	"ipledger/registry"
)

// runCLI runs one command line in this process and returns its exit status and output.
func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

// useDB points the commands at a fresh test database: the service role for DATABASE_URL,
// the superuser for migrations.
func useDB(t *testing.T) *dbtest.DB {
	db := dbtest.New(t)
	t.Setenv("DATABASE_URL", db.AppDSN)
	t.Setenv("IPLEDGER_MIGRATE_DATABASE_URL", db.SuperDSN)
	t.Setenv("IPLEDGER_READ_DATABASE_URL", "")
	t.Setenv("IPLEDGER_DATA_DIR", t.TempDir())
	return db
}

// Every command answers -h, --help and `help COMMAND` with its usage on stdout and exit 0,
// and touches nothing (no file named --help, no database).
func TestEveryCommandAnswersHelp(t *testing.T) {
	t.Chdir(t.TempDir())
	t.Setenv("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none") // reaching it would fail
	for _, c := range commands() {
		for _, args := range [][]string{{c.name, "-h"}, {c.name, "--help"}, {c.name, "-help"}, {"help", c.name}} {
			code, out, errOut := runCLI(t, args...)
			if code != exitOK || errOut != "" {
				t.Errorf("%v: exit %d, stderr %q; want 0 and nothing on stderr", args, code, errOut)
			}
			if !strings.HasPrefix(out, "Usage: ipledger "+c.name) && !strings.HasPrefix(out, "Usage:\n  ipledger "+c.name) {
				t.Errorf("%v: stdout does not start with the command's usage: %q", args, out)
			}
		}
	}
	for _, args := range [][]string{{"token", "create", "-h"}, {"token", "new", "--help"}} {
		if code, out, _ := runCLI(t, args...); code != exitOK || !strings.Contains(out, "Usage: ipledger "+strings.Join(args[:2], " ")) {
			t.Errorf("%v: exit %d, stdout %q", args, code, out)
		}
	}
	for _, args := range [][]string{{"help"}, {"--help"}, {"-h"}, {"help", "help"}, {"help", "--help"}, {"help", "-h"}} {
		code, out, _ := runCLI(t, args...)
		if code != exitOK || !strings.Contains(out, "ipledger export") || !strings.Contains(out, "ipledger import") {
			t.Errorf("%v: exit %d, stdout %q; want the overview and 0", args, code, out)
		}
	}
	if entries, _ := os.ReadDir("."); len(entries) != 0 {
		t.Errorf("help wrote files: %v", entries)
	}
}

// A wrong command line prints what is wrong and the usage on stderr, nothing on stdout, and
// exits 2 before doing any work.
func TestUsageErrorsExitTwo(t *testing.T) {
	t.Chdir(t.TempDir())
	t.Setenv("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none")
	for _, args := range [][]string{
		{}, {"bogus"}, {"help", "bogus"}, {"help", "import", "export"},
		{"serve", "extra"},
		{"migrate"}, {"migrate", "sideways"}, {"migrate", "down", "x"}, {"migrate", "force"},
		{"token"}, {"token", "mint"}, {"token", "create", "--role", "admin"}, {"token", "create", "--name", "x"}, {"token", "new", "x"},
		{"import"}, {"import", "--kind", "asset", "a.csv"}, {"import", "a.txt"}, {"import", "--format", "pdf", "a.csv"}, {"import", "--layout", "claims", "a.csv"}, {"import", "a.csv", "b.csv"},
		{"export", "a", "b"}, {"export", "--from-seq", "0"}, {"export", "--from-seq", "5", "--to-seq", "4"}, {"export", "--from-seq", "x"},
		{"verify", "a", "b"}, {"verify", "--strict"},
		{"openapi", "xml"},
	} {
		code, out, errOut := runCLI(t, args...)
		if code != exitUsage || out != "" || !strings.Contains(errOut, "Usage") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want 2, usage on stderr only", args, code, out, errOut)
		}
	}
	if entries, _ := os.ReadDir("."); len(entries) != 0 {
		t.Errorf("a usage error wrote files: %v", entries)
	}
}

// The import usage names the flag it has.
func TestImportUsageMatchesItsFlags(t *testing.T) {
	_, out, _ := runCLI(t, "import", "-h")
	if !strings.Contains(out, "--format") || !strings.Contains(out, "--layout parties|assets|events|pledges") || strings.Contains(out, "--kind") {
		t.Fatalf("import usage: %s", out)
	}
	_, out, _ = runCLI(t, "help")
	if !strings.Contains(out, "import [--layout parties|assets|events|pledges] [--format csv|xlsx] FILE") || strings.Contains(out, "--kind") {
		t.Fatalf("overview: %s", out)
	}
}

// import exits 1 when any row fails, after the report (stdout), the row errors and the
// summary (stderr); 0 when every row is in.
func TestImportExitsOneWhenARowFails(t *testing.T) {
	db := useDB(t)
	l := ledger.New(db.App, ledger.Options{})
	reg := registry.New(l)
	if err := reg.Seed(ledger.WithActor(context.Background(), "system")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := reg.RegisterParty(ledger.WithActor(context.Background(), "system"),
		registry.PartyInput{Name: "通辽某公司", Kind: registry.Enterprise, USCC: "91150502MA0Q1XY3RT", RegionCode: "150502"}); err != nil {
		t.Fatal(err)
	}
	l.Close()
	dir := t.TempDir()
	const header = "kind,number,title,owners,region_code,filed_on,granted_on,ipc,category\n"
	const good = "invention_patent,ZL201310699744.2,一种玉米种子活力检测方法,91150502MA0Q1XY3RT,,2013-12-18,2016-05-04,G01N33/00,\n"
	mixed := filepath.Join(dir, "mixed.csv")
	if err := os.WriteFile(mixed, []byte(header+good+"invention_patent,ZL201810123456.5,无主之物,91150502MA0Q1XY3XX,,2018-03-02,,,\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCLI(t, "import", mixed)
	if code != exitFailure {
		t.Fatalf("import with a bad row: exit %d, want 1; stderr %s", code, errOut)
	}
	var rep struct {
		Rows, Added, Failed int
		Errors              []struct{ Row int }
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("stdout is not the JSON report: %v: %s", err, out)
	}
	if rep.Rows != 2 || rep.Added != 1 || rep.Failed != 1 || len(rep.Errors) != 1 || rep.Errors[0].Row != 3 {
		t.Fatalf("report %+v, want 2 rows: 1 added, 1 failed (row 3, the header being row 1)", rep)
	}
	if !strings.Contains(errOut, "row 3") || !strings.Contains(errOut, "2 rows: 1 added, 0 unchanged, 1 failed") ||
		!strings.Contains(errOut, "1 of 2 rows failed") {
		t.Fatalf("stderr lacks the row error, the summary or the failure: %s", errOut)
	}
	if strings.Index(errOut, "row 3") > strings.Index(errOut, "1 of 2 rows failed") {
		t.Fatalf("the failure was reported before the row errors: %s", errOut)
	}

	clean := filepath.Join(dir, "clean.csv")
	if err := os.WriteFile(clean, []byte(header+good), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := runCLI(t, "import", "--format", "csv", clean); code != exitOK || !strings.Contains(errOut, "1 unchanged, 0 failed") {
		t.Fatalf("import of rows already in: exit %d, stderr %s; want 0", code, errOut)
	}
}

// --layout picks what a row is; the default stays assets, so earlier command lines keep working.
func TestImportLayouts(t *testing.T) {
	useDB(t)
	dir := t.TempDir()
	parties := filepath.Join(dir, "parties.csv")
	if err := os.WriteFile(parties, []byte("name,kind,uscc,region_code\n通辽某公司,enterprise,91150502MA0Q1XY3RT,150502\n张伟,individual,,150523\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	assets := filepath.Join(dir, "assets.csv")
	if err := os.WriteFile(assets, []byte("kind,number,title,owners,filed_on,granted_on\ntrademark,12345678,科尔沁,张伟@150523,,2014-03-07\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	events := filepath.Join(dir, "events.csv")
	if err := os.WriteFile(events, []byte("type,number,effective_on,owners\ntransfer,12345678,2020-05-06,91150502MA0Q1XY3RT\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args    []string
		summary string
	}{
		{[]string{"import", "--layout", "parties", parties}, "2 rows: 2 added, 0 unchanged, 0 failed"},
		{[]string{"import", assets}, "1 rows: 1 added, 0 unchanged, 0 failed"},
		{[]string{"import", "--layout", "events", events}, "1 rows: 1 added, 0 unchanged, 0 failed"},
		{[]string{"import", "--layout", "events", events}, "1 rows: 0 added, 1 unchanged, 0 failed"},
		{[]string{"import", "--layout", "parties", parties}, "2 rows: 0 added, 2 unchanged, 0 failed"},
	} {
		if code, _, errOut := runCLI(t, c.args...); code != exitOK || !strings.Contains(errOut, c.summary) {
			t.Fatalf("%v: exit %d, stderr %s; want 0 and %q", c.args, code, errOut, c.summary)
		}
	}
	// An event on a right no earlier file registered is a row error naming the number.
	if err := os.WriteFile(events, []byte("type,number,effective_on\nlapse,ZL201310699744.2,2020-05-06\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, _ := runCLI(t, "import", "--layout", "events", events)
	if code != exitFailure || !strings.Contains(out, `"asset_unknown"`) || !strings.Contains(out, "ZL201310699744.2") {
		t.Fatalf("event on an unknown right: exit %d, report %s", code, out)
	}
}

// serve takes its address before anything else: a taken port is one line and exit 1, and
// "serving" is never logged.
func TestServeReportsATakenPort(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	t.Setenv("IPLEDGER_ADDR", ln.Addr().String())
	t.Setenv("IPLEDGER_DATA_DIR", t.TempDir())
	t.Setenv("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none") // never reached
	start := time.Now()
	code, out, errOut := runCLI(t, "serve")
	if code != exitFailure || out != "" {
		t.Fatalf("serve on a taken port: exit %d, stdout %q; want 1", code, out)
	}
	want := "ipledger: cannot listen on " + ln.Addr().String() + ": the address is already in use (set IPLEDGER_ADDR to another host:port)\n"
	if errOut != want {
		t.Fatalf("stderr %q, want the one line %q", errOut, want)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("took %v: the port should be tried before the database", d)
	}
}

// On a free port, serve logs "serving" with the address it listens on, which answers.
func TestServeListensThenLogsServing(t *testing.T) {
	useDB(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	t.Setenv("IPLEDGER_ADDR", addr)
	ctx, cancel := context.WithCancel(context.Background())
	var errb syncBuf
	done := make(chan int, 1)
	go func() { done <- run(ctx, []string{"serve"}, &bytes.Buffer{}, &errb) }()
	deadline := time.Now().Add(60 * time.Second)
	for !strings.Contains(errb.String(), `"msg":"serving"`) {
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("no serving log within a minute: %s", errb.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("logged serving, but %s does not answer: %v", addr, err)
	}
	c.Close()
	cancel()
	if code := <-done; code != exitOK {
		t.Fatalf("serve after SIGTERM-like cancel: exit %d: %s", code, errb.String())
	}
}
