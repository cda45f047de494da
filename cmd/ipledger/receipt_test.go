package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"ipledger/ledger"
	"ipledger/migrations/dbtest"
	"ipledger/openapi"
	"ipledger/registry"
	"ipledger/registry/access"
)

// logServer is the API over a fresh database, with n entries and an admin token.
func logServer(t *testing.T, n int) (*ledger.Ledger, *httptest.Server, string) {
	t.Helper()
	db := dbtest.New(t)
	l := ledger.New(db.App, ledger.Options{Origin: "audit.example/log"})
	t.Cleanup(func() { l.Close() })
	acc := access.New(l)
	srv := httptest.NewServer(openapi.New(openapi.Deps{Ledger: l, Access: acc, Registry: registry.New(l)}).Handler())
	t.Cleanup(srv.Close)
	tok, err := acc.Bootstrap(ledger.WithActor(context.Background(), "system"), "")
	if err != nil {
		t.Fatal(err)
	}
	appendN(t, l, n)
	return l, srv, tok
}

func appendN(t *testing.T, l *ledger.Ledger, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		if _, err := l.Append(ledger.WithActor(context.Background(), "principal/test"), ledger.Draft{
			Kind: "test.noted", Subject: fmt.Sprintf("thing/%d", i), EffectiveOn: time.Date(2025, 1, 2, 0, 0, 0, 0, time.UTC), Payload: map[string]any{"i": i},
		}); err != nil {
			t.Fatal(err)
		}
	}
}

func fetch(t *testing.T, url, token string) []byte {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", url, res.StatusCode, b)
	}
	return b
}

func save(t *testing.T, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestReceiptVerifyCommand(t *testing.T) {
	_, srv, tok := logServer(t, 9)
	receipt := fetch(t, srv.URL+"/v1/ledger/receipts/4", tok)
	key := strings.TrimSpace(string(fetch(t, srv.URL+"/v1/ledger/key", "")))
	good := save(t, "receipt.json", receipt)
	keyFile := save(t, "log.key", []byte(key+"\n"))

	for _, k := range []string{key, keyFile} {
		code, out, errOut := runCLI(t, "receipt", "verify", good, "--key", k)
		if code != exitOK || !strings.HasPrefix(out, "receipt OK: entry 4 ") {
			t.Fatalf("good receipt, key %s: exit %d\n%s%s", k, code, out, errOut)
		}
	}
	var r ledger.Receipt
	if err := json.Unmarshal(receipt, &r); err != nil {
		t.Fatal(err)
	}
	edit := func(f func(*ledger.Receipt)) string {
		c := r
		c.Inclusion.Hashes = append([][]byte(nil), r.Inclusion.Hashes...)
		f(&c)
		b, _ := json.Marshal(c)
		return save(t, "bad.json", b)
	}
	_, other, err := ledger.NewLogKey("audit.example/log")
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct{ file, key, want string }{
		"EditedPayload": {edit(func(c *ledger.Receipt) { c.Entry.Payload = `{"i": 7}` }), key, "entry: "},
		"ForgedSignature": {edit(func(c *ledger.Receipt) {
			at := strings.LastIndexByte(c.Checkpoint, ' ') + 1
			sig, _ := base64.StdEncoding.DecodeString(strings.TrimSpace(c.Checkpoint[at:]))
			sig[10] ^= 0x40
			c.Checkpoint = c.Checkpoint[:at] + base64.StdEncoding.EncodeToString(sig) + "\n"
		}), key, "signature: the checkpoint's signature does not verify"},
		"WrongKey":        {good, other.VerifierKey(), "signature: "},
		"AnotherSeqProof": {edit(func(c *ledger.Receipt) { c.Inclusion.LeafIndex = 4 }), key, "inclusion: "},
	} {
		t.Run(name, func(t *testing.T) {
			code, _, errOut := runCLI(t, "receipt", "verify", c.file, "--key", c.key)
			if code != exitFailure || !strings.Contains(errOut, "receipt refused: "+c.want) {
				t.Fatalf("exit %d, stderr %q; want 1 and %q", code, errOut, c.want)
			}
		})
	}
	if code, _, _ := runCLI(t, "receipt", "verify", good); code != exitUsage {
		t.Fatalf("no --key: exit %d, want 2", code)
	}
}

func TestAuditCommand(t *testing.T) {
	l, srv, tok := logServer(t, 5)
	old5 := save(t, "cp5", fetch(t, srv.URL+"/v1/ledger/checkpoint", ""))
	appendN(t, l, 7)
	old12 := save(t, "cp12", fetch(t, srv.URL+"/v1/ledger/checkpoint", ""))
	appendN(t, l, 30)

	for _, token := range []string{tok, ""} { // the proof API, then the public tiles
		code, out, errOut := runCLI(t, "audit", "--checkpoint", old5, "--checkpoint", old12, "--url", srv.URL, "--token", token)
		if code != exitOK || !strings.Contains(out, "consistent: today's log extends every checkpoint given") {
			t.Fatalf("token %q: exit %d\n%s%s", token, code, out, errOut)
		}
	}
	// (The admin made at bootstrap is entry 1.) A checkpoint the log signed for 12 entries whose root today's log does not extend:
	// what a bank holds after the first 12 entries were rewritten.
	cp, err := ledger.OpenCheckpoint(fetch(t, srv.URL+"/v1/ledger/checkpoint", ""), l.Key().Verifier())
	if err != nil {
		t.Fatal(err)
	}
	root, err := ledger.TreeRoot(context.Background(), l.DB(), 12)
	if err != nil {
		t.Fatal(err)
	}
	root[0] ^= 1
	note, err := ledger.Checkpoint{Origin: cp.Origin, Size: 12, Root: root}.Sign(l.Key())
	if err != nil {
		t.Fatal(err)
	}
	rewritten := save(t, "cp12-before-rewrite", note)
	for _, token := range []string{tok, ""} {
		code, out, errOut := runCLI(t, "audit", "--checkpoint", old5, "--checkpoint", rewritten, "--url", srv.URL, "--token", token)
		if code != exitFailure || !strings.Contains(out, "NOT a prefix") || !strings.Contains(errOut, "within entries 7..12") {
			t.Fatalf("token %q: exit %d\n%s%s", token, code, out, errOut)
		}
	}
	// A checkpoint signed by another key is refused, not audited.
	_, other, _ := ledger.NewLogKey("audit.example/log")
	foreign, _ := ledger.Checkpoint{Origin: cp.Origin, Size: 5, Root: root}.Sign(other)
	if code, _, errOut := runCLI(t, "audit", "--checkpoint", save(t, "foreign", foreign), "--url", srv.URL); code != exitFailure || !strings.Contains(errOut, "not signed by the key") {
		t.Fatalf("foreign checkpoint: exit %d, %s", code, errOut)
	}
}
