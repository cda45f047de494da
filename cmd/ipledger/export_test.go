package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"ipledger/ledger"
	"ipledger/migrations/dbtest"
	"ipledger/openapi"
	"ipledger/registry/access"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// ledgerWithEntries fills a test database with 20 entries whose payloads need escaping, one
// with an idempotency key, and returns the ledger and an auditor's token.
func ledgerWithEntries(t *testing.T, db *dbtest.DB) (*ledger.Ledger, *access.Service, string) {
	t.Helper()
	l := ledger.New(db.App, ledger.Options{})
	t.Cleanup(func() { l.Close() })
	ctx, _ := ledger.WithIdempotency(ledger.WithActor(context.Background(), "principal/x"), "k1", []byte("h"))
	if _, err := l.Append(ctx, ledger.Draft{Kind: "k", Subject: "s/0", EffectiveOn: time.Date(2021, 2, 3, 0, 0, 0, 0, time.UTC),
		Payload: map[string]any{"name": "科尔沁区\t\"x\" <a&b> \u2028 \x01", "amount": json.Number("1.50"), "list": []any{1, nil, true}}}); err != nil {
		t.Fatal(err)
	}
	for i := 1; i < 18; i++ {
		if _, err := l.Append(ledger.WithActor(context.Background(), "system"), ledger.Draft{Kind: "k", Subject: fmt.Sprintf("s/%d", i), EffectiveOn: time.Date(2021, 2, 3, 0, 0, 0, 0, time.UTC), Payload: map[string]any{"i": i}}); err != nil {
			t.Fatal(err)
		}
	}
	acc := access.New(l)
	_, tok, err := acc.Create(ledger.WithActor(context.Background(), "system"), "auditor", access.Auditor, "")
	if err != nil {
		t.Fatal(err)
	}
	return l, acc, tok
}

func apiExport(t *testing.T, h http.Handler, token, query string) (*http.Response, []byte) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, "/v1/ledger/export"+query, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	res := w.Result()
	b, _ := io.ReadAll(res.Body)
	return res, b
}

// GET /v1/ledger/export answers with the very bytes `ipledger export` writes, for the whole
// ledger and for a range, and both verify offline: ipledger verify and docs/verify_entry.py.
func TestAPIExportEqualsCLIExport(t *testing.T) {
	db := useDB(t)
	l, acc, tok := ledgerWithEntries(t, db)
	h := openapi.New(openapi.Deps{Ledger: l, Access: acc}).Handler()
	dir := t.TempDir()

	last, err := ledger.LastSeq(context.Background(), db.App)
	if err != nil || last < 18 {
		t.Fatalf("last seq %d %v", last, err)
	}
	for _, c := range []struct {
		query    string
		args     []string
		from, to int64
	}{
		{"", nil, 1, last},
		{"?from_seq=3&to_seq=7", []string{"--from-seq", "3", "--to-seq", "7"}, 3, 7},
		{"?from_seq=15&to_seq=999", []string{"--from-seq", "15", "--to-seq", "999"}, 15, last},
	} {
		want := c.to - c.from + 1
		res, api := apiExport(t, h, tok, c.query)
		if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "application/x-ndjson" {
			t.Fatalf("%s: %d %s: %s", c.query, res.StatusCode, res.Header.Get("Content-Type"), api)
		}
		file := filepath.Join(dir, fmt.Sprintf("export-%d.jsonl", c.from))
		if code, _, errOut := runCLI(t, append(append([]string{"export"}, c.args...), file)...); code != exitOK {
			t.Fatalf("ipledger export %v: exit %d: %s", c.args, code, errOut)
		}
		cli, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(api, cli) {
			t.Fatalf("%s: the API export differs from ipledger export:\nAPI %s\nCLI %s", c.query, api, cli)
		}
		if n := int64(bytes.Count(cli, []byte("\n"))); n != want {
			t.Fatalf("%s: %d lines, want %d", c.query, n, want)
		}
		code, out, errOut := runCLI(t, "verify", file)
		if code != exitOK {
			t.Fatalf("ipledger verify %s: exit %d: %s %s", file, code, out, errOut)
		}
		var rep ledger.Report
		if err := json.Unmarshal([]byte(out), &rep); err != nil || !rep.OK || rep.Checked != want {
			t.Fatalf("verify report %s: %+v %v", out, rep, err)
		}
		if c.from > 1 {
			prev, err := ledger.Get(context.Background(), db.App, c.from-1)
			if err != nil {
				t.Fatal(err)
			}
			if rep.FromSeq != c.from || rep.FromPrevHash == nil || *rep.FromPrevHash != prev.Hash {
				t.Fatalf("a range's report should name its link: %+v, want from %d prev %s", rep, c.from, prev.Hash)
			}
		}
		if py, err := exec.LookPath("python3"); err == nil {
			cmd := exec.Command(py, "../../docs/verify_entry.py")
			cmd.Stdin = bytes.NewReader(api)
			out, err := cmd.CombinedOutput()
			if err != nil || !strings.Contains(string(out), fmt.Sprintf("ok: %d entries", want)) {
				t.Fatalf("docs/verify_entry.py on the API export: %v: %s", err, out)
			}
		} else {
			t.Log("python3 not found: docs/verify_entry.py not run")
		}
	}

	// The entries API, re-canonicalised as docs/LEDGER.md says, gives the same hashes: its
	// recorded_at is the hashed text and its payload (escapes, "1.50") rebuilds exactly.
	if py, err := exec.LookPath("python3"); err == nil {
		req := httptest.NewRequest(http.MethodGet, "/v1/ledger/entries?limit=1000", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			t.Fatalf("entries: %d %s", w.Code, w.Body)
		}
		cmd := exec.Command(py, "../../docs/verify_entry.py", "--entries")
		cmd.Stdin = w.Body
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), fmt.Sprintf("ok: %d entries", last)) {
			t.Fatalf("docs/verify_entry.py --entries on GET /v1/ledger/entries: %v: %s", err, out)
		}
	}

	// Export to stdout is the same bytes again.
	code, stdout, _ := runCLI(t, "export")
	_, api := apiExport(t, h, tok, "")
	if code != exitOK || stdout != string(api) {
		t.Fatalf("ipledger export to stdout: exit %d, equal to the API's: %v", code, stdout == string(api))
	}
}

// An export verifies offline, and a changed line is named by its seq.
func TestExportVerifiesOffline(t *testing.T) {
	db := useDB(t)
	ledgerWithEntries(t, db)
	file := filepath.Join(t.TempDir(), "ledger.jsonl")
	if code, _, errOut := runCLI(t, "export", file); code != exitOK || !strings.Contains(errOut, "exported ") {
		t.Fatalf("export: exit %d: %s", code, errOut)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(b), "\n")
	lines[6] = strings.Replace(lines[6], `"i\": 6`, `"i\": 66`, 1)
	if err := os.WriteFile(file, []byte(strings.Join(lines, "")), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCLI(t, "verify", file)
	var rep ledger.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != exitFailure || rep.OK || rep.FirstBadSeq == nil || *rep.FirstBadSeq != 7 {
		t.Fatalf("tampered export: exit %d %s %s, want exit 1 and first bad seq 7", code, out, errOut)
	}
}
