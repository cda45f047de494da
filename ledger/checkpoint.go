package ledger

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

// DefaultOrigin names the log when IPLEDGER_LOG_ORIGIN does not: the first line of every
// checkpoint and the name of a generated key.
const DefaultOrigin = "ipledger.local/ledger"

// LogKey is the log's Ed25519 signing key in the C2SP signed-note form, with the verifier
// key that checks its signatures.
type LogKey struct {
	signer   note.Signer
	verifier note.Verifier
	vkey     string
}

// ParseLogKey reads a note signer key, PRIVATE+KEY+<name>+<hash>+<base64(0x01 ‖ seed)>.
func ParseLogKey(skey string) (*LogKey, error) {
	skey = strings.TrimSpace(skey)
	s, err := note.NewSigner(skey)
	if err != nil {
		return nil, fmt.Errorf("ledger: signing key: %w", err)
	}
	// The note package derives no verifier key from a signer key: derive it from the seed
	// (the signer above has already checked the key hash against it).
	parts := strings.SplitN(skey, "+", 5) // PRIVATE, KEY, name, hash, key (base64 may hold '+')
	raw, err := base64.StdEncoding.DecodeString(parts[len(parts)-1])
	if len(parts) != 5 || err != nil || len(raw) != 1+ed25519.SeedSize || raw[0] != 1 {
		return nil, errors.New("ledger: signing key: not an Ed25519 note key")
	}
	pub := ed25519.NewKeyFromSeed(raw[1:]).Public().(ed25519.PublicKey)
	vkey, err := note.NewEd25519VerifierKey(s.Name(), pub)
	if err != nil {
		return nil, fmt.Errorf("ledger: signing key: %w", err)
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, fmt.Errorf("ledger: signing key: %w", err)
	}
	return &LogKey{signer: s, verifier: v, vkey: vkey}, nil
}

// NewLogKey generates a key named name and returns it with its signer-key text.
func NewLogKey(name string) (string, *LogKey, error) {
	skey, _, err := note.GenerateKey(rand.Reader, name)
	if err != nil {
		return "", nil, fmt.Errorf("ledger: generate signing key %q: %w", name, err)
	}
	k, err := ParseLogKey(skey)
	return skey, k, err
}

// LoadOrCreateLogKey reads the signer key at path, or generates one named name and writes
// it there (mode 0600) when the file does not exist. A key readable by others is refused.
func LoadOrCreateLogKey(path, name string) (*LogKey, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
			return nil, fmt.Errorf("ledger: signing key %s is readable by others (mode %v): chmod 600 it", path, fi.Mode().Perm())
		}
		return ParseLogKey(string(b))
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("ledger: read signing key: %w", err)
	}
	skey, k, err := NewLogKey(name)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("ledger: write signing key: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("ledger: write signing key: %w", err)
	}
	if _, err := f.WriteString(skey + "\n"); err != nil {
		f.Close()
		return nil, fmt.Errorf("ledger: write signing key: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("ledger: write signing key: %w", err)
	}
	return k, nil
}

// VerifierKey is the note verifier key, <name>+<hash>+<base64(0x01 ‖ public key)>.
func (k *LogKey) VerifierKey() string { return k.vkey }

// Verifier checks signatures made with the key.
func (k *LogKey) Verifier() note.Verifier { return k.verifier }

// Checkpoint is a C2SP tlog-checkpoint body: the log's origin, its size and its root hash.
type Checkpoint struct {
	Origin string
	Size   int64
	Root   Hash
}

// Text is the checkpoint body: "<origin>\n<size>\n<base64 root>\n".
func (c Checkpoint) Text() string {
	return c.Origin + "\n" + strconv.FormatInt(c.Size, 10) + "\n" + base64.StdEncoding.EncodeToString(c.Root[:]) + "\n"
}

// Sign returns the checkpoint as a signed note.
func (c Checkpoint) Sign(k *LogKey) ([]byte, error) {
	b, err := note.Sign(&note.Note{Text: c.Text()}, k.signer)
	if err != nil {
		return nil, fmt.Errorf("ledger: sign checkpoint: %w", err)
	}
	return b, nil
}

// ParseCheckpoint reads a checkpoint body strictly: three lines, a decimal size without
// leading zeros, a base64 32-byte root; extension lines after them are ignored.
func ParseCheckpoint(text string) (Checkpoint, error) {
	lines := strings.SplitN(text, "\n", 4)
	if len(lines) < 4 {
		return Checkpoint{}, errors.New("checkpoint: want origin, size and root hash lines")
	}
	c := Checkpoint{Origin: lines[0]}
	if c.Origin == "" {
		return Checkpoint{}, errors.New("checkpoint: empty origin")
	}
	n, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || n < 0 || strconv.FormatInt(n, 10) != lines[1] {
		return Checkpoint{}, fmt.Errorf("checkpoint: size %q is not a decimal number", lines[1])
	}
	c.Size = n
	root, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(root) != 32 {
		return Checkpoint{}, errors.New("checkpoint: root hash is not base64 of 32 bytes")
	}
	copy(c.Root[:], root)
	return c, nil
}

// Errors of OpenCheckpoint and VerifyReceipt that a verifier reports.
var (
	ErrBadSignature = errors.New("the checkpoint's signature does not verify with the key")
	ErrUnknownKey   = errors.New("the checkpoint is not signed by the key")
)

// OpenCheckpoint checks a signed checkpoint note against the verifier and returns its body.
func OpenCheckpoint(msg []byte, v note.Verifier) (Checkpoint, error) {
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil {
		var unknown *note.UnverifiedNoteError
		var bad *note.InvalidSignatureError
		switch {
		case errors.As(err, &bad):
			return Checkpoint{}, ErrBadSignature
		case errors.As(err, &unknown):
			return Checkpoint{}, ErrUnknownKey
		}
		return Checkpoint{}, fmt.Errorf("checkpoint: %w", err)
	}
	return ParseCheckpoint(n.Text)
}

// checkpointBody returns the body of a signed note without checking any signature (the
// note's text ends at the blank line before the signatures).
func checkpointBody(msg []byte) (Checkpoint, error) {
	i := bytes.LastIndex(msg, []byte("\n\n"))
	if i < 0 {
		return Checkpoint{}, errors.New("checkpoint: not a signed note")
	}
	return ParseCheckpoint(string(msg[:i+1]))
}
