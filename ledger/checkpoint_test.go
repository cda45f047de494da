package ledger_test

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"ipledger/ledger"
)

// exampleKey is the worked example's key: a fixed seed, so that its (deterministic)
// Ed25519 signatures are the same on every run.
func exampleKey(t *testing.T) (skey string, k *ledger.LogKey) {
	t.Helper()
	const name = "example.gov.cn/ipledger"
	seed := sha256.Sum256([]byte("ipledger worked example key"))
	pub := ed25519.NewKeyFromSeed(seed[:]).Public().(ed25519.PublicKey)
	vkey, err := note.NewEd25519VerifierKey(name, pub)
	if err != nil {
		t.Fatal(err)
	}
	hash := strings.Split(vkey, "+")[1]
	skey = "PRIVATE+KEY+" + name + "+" + hash + "+" + base64.StdEncoding.EncodeToString(append([]byte{1}, seed[:]...))
	k, err = ledger.ParseLogKey(skey)
	if err != nil {
		t.Fatal(err)
	}
	if k.VerifierKey() != vkey {
		t.Fatalf("verifier key %s, want %s", k.VerifierKey(), vkey)
	}
	return skey, k
}

func mustHex(s string) ledger.Hash {
	var h ledger.Hash
	b, _ := hex.DecodeString(s)
	copy(h[:], b)
	return h
}

func node(l, r ledger.Hash) ledger.Hash {
	return sha256.Sum256(append(append([]byte{1}, l[:]...), r[:]...))
}

// TestLogWorkedExample computes the worked example of docs/LEDGER.md "The Merkle log" by
// hand from its definitions, checks the library code agrees, and checks the document
// shows these very bytes.
func TestLogWorkedExample(t *testing.T) {
	skey, key := exampleKey(t)
	entries := []ledger.Hash{
		mustHex("b387c5363140cf596fe731bf946ef021a0d0fe5a17d9b670db9608c4b3e0cf01"), // the entry hash worked example
		sha256.Sum256([]byte("entry 2")),
		sha256.Sum256([]byte("entry 3")),
	}
	var leaves []ledger.Hash
	for _, e := range entries {
		l := sha256.Sum256(append([]byte{0}, e[:]...))
		if l != ledger.LeafHash(e) {
			t.Fatal("LeafHash is not SHA-256(0x00 ‖ hash)")
		}
		leaves = append(leaves, l)
	}
	n10 := node(leaves[0], leaves[1])
	root := node(n10, leaves[2])
	cp := ledger.Checkpoint{Origin: "example.gov.cn/ipledger", Size: 3, Root: root}
	signed, err := cp.Sign(key)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := ledger.OpenCheckpoint(signed, key.Verifier()); err != nil || got != cp {
		t.Fatalf("open: %+v %v", got, err)
	}
	// The signature line by hand: 4-byte key hash ‖ Ed25519 signature over the text.
	seed, _ := base64.StdEncoding.DecodeString(strings.Split(skey, "+")[4])
	priv := ed25519.NewKeyFromSeed(seed[1:])
	pub := priv.Public().(ed25519.PublicKey)
	kh := sha256.Sum256(append([]byte("example.gov.cn/ipledger\n\x01"), pub...))
	sig := append(kh[:4:4], ed25519.Sign(priv, []byte(cp.Text()))...)
	line := "— example.gov.cn/ipledger " + base64.StdEncoding.EncodeToString(sig) + "\n"
	if string(signed) != cp.Text()+"\n"+line {
		t.Fatalf("signed note:\n%s\nwant:\n%s\n%s", signed, cp.Text(), line)
	}
	vkey := fmt.Sprintf("example.gov.cn/ipledger+%08x+%s", binary.BigEndian.Uint32(kh[:4]), base64.StdEncoding.EncodeToString(append([]byte{1}, pub...)))
	if vkey != key.VerifierKey() {
		t.Fatalf("verifier key by hand %s, note's %s", vkey, key.VerifierKey())
	}

	// Receipt of entry 2 in the tree of 3: leaf index 1, proof [leaf 0, leaf 2].
	r := ledger.Receipt{Checkpoint: string(signed), Inclusion: ledger.Inclusion{LeafIndex: 1, TreeSize: 3, Hashes: [][]byte{leaves[0][:], leaves[2][:]}}}
	if node(node(leaves[0], leaves[1]), leaves[2]) != root {
		t.Fatal("proof folding")
	}
	_ = r

	values := map[string]string{
		"entry 2 hash":   hex.EncodeToString(entries[1][:]),
		"entry 3 hash":   hex.EncodeToString(entries[2][:]),
		"leaf 0":         hex.EncodeToString(leaves[0][:]),
		"leaf 1":         hex.EncodeToString(leaves[1][:]),
		"leaf 2":         hex.EncodeToString(leaves[2][:]),
		"node (1, 0)":    hex.EncodeToString(n10[:]),
		"root":           hex.EncodeToString(root[:]),
		"root base64":    base64.StdEncoding.EncodeToString(root[:]),
		"signer key":     skey,
		"verifier key":   vkey,
		"public key":     hex.EncodeToString(pub),
		"key hash":       hex.EncodeToString(kh[:4]),
		"signature":      hex.EncodeToString(sig[4:]),
		"signature line": strings.TrimSuffix(line, "\n"),
	}
	doc, err := os.ReadFile(filepath.Join("..", "docs", "LEDGER.md"))
	if err != nil {
		t.Fatal(err)
	}
	for name, v := range values {
		if !strings.Contains(string(doc), v) {
			t.Errorf("docs/LEDGER.md does not show the %s: %s", name, v)
		}
	}
	if !strings.Contains(string(doc), "```\n"+string(signed)+"```") {
		t.Errorf("docs/LEDGER.md does not show the signed checkpoint:\n%s", signed)
	}
}

func TestSigningKeyFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "data", "signing.key")
	k1, err := ledger.LoadOrCreateLogKey(path, "keys.example/log")
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, %v; want 0600", fi.Mode().Perm(), err)
	}
	b, _ := os.ReadFile(path)
	if !strings.HasPrefix(string(b), "PRIVATE+KEY+keys.example/log+") {
		t.Fatalf("key file holds %q", b)
	}
	k2, err := ledger.LoadOrCreateLogKey(path, "ignored")
	if err != nil || k2.VerifierKey() != k1.VerifierKey() {
		t.Fatalf("second start: %v, key %s then %s", err, k1.VerifierKey(), k2.VerifierKey())
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ledger.LoadOrCreateLogKey(path, "x"); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("a world-readable key: err = %v", err)
	}
	for _, bad := range []string{"", "PRIVATE+KEY+x+00000000+AAAA", "x+00000000+" + base64.StdEncoding.EncodeToString(make([]byte, 33))} {
		if _, err := ledger.ParseLogKey(bad); err == nil {
			t.Errorf("ParseLogKey(%q) accepted", bad)
		}
	}
}
