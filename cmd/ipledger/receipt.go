package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"ipledger/ledger"
)

// The Merkle log's tools (docs/LEDGER.md "The Merkle log"): the signing key's place, and the
// checks a bank or an auditor runs without the database.

// logKey is the key from IPLEDGER_SIGNING_KEY, or the one in <data dir>/signing.key, made
// at first start.
func logKey(cfg config) (*ledger.LogKey, error) {
	if cfg.SigningKey != "" {
		k, err := ledger.ParseLogKey(cfg.SigningKey)
		if err != nil {
			return nil, fmt.Errorf("IPLEDGER_SIGNING_KEY: %w", err)
		}
		return k, nil
	}
	return ledger.LoadOrCreateLogKey(filepath.Join(cfg.DataDir, "signing.key"), cfg.LogOrigin)
}

const receiptUsage = `Usage: ipledger receipt verify FILE --key KEY

Checks a receipt saved from GET /v1/ledger/receipts/{seq} (FILE, or - for stdin) offline:
the entry's hash is its content's, the checkpoint is signed by KEY, and the inclusion
proof leads from the entry's leaf to the checkpoint's root. KEY is the verifier key
(name+hash+base64, from GET /v1/ledger/key, kept apart from the server) or a file holding it.
Exit status 0 when all three hold, 1 when one fails (it is named).
`

func receiptCmd(ctx context.Context, c *cli, args []string) error {
	f := newFlags("receipt verify", receiptUsage)
	key := f.String("key", "", "the log's verifier key, or a file holding it (required)")
	if len(args) == 0 || args[0] != "verify" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help") {
			return &helpRequested{usage: f.usage()}
		}
		return f.fail("want: receipt verify FILE --key KEY")
	}
	pos, err := f.parse(args[1:])
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return f.fail("one FILE, got %d arguments", len(pos))
	}
	if *key == "" {
		return f.fail("--key is required: the verifier key to check the signature with")
	}
	v, err := readVerifier(*key)
	if err != nil {
		return err
	}
	var b []byte
	if pos[0] == "-" {
		b, err = io.ReadAll(os.Stdin)
	} else {
		b, err = os.ReadFile(pos[0])
	}
	if err != nil {
		return err
	}
	var r ledger.Receipt
	if err := json.Unmarshal(b, &r); err != nil {
		return fmt.Errorf("%s is not a receipt (JSON from GET /v1/ledger/receipts/{seq}): %w", pos[0], err)
	}
	cp, err := ledger.VerifyReceipt(r, v)
	if err != nil {
		return fmt.Errorf("receipt refused: %w", err)
	}
	fmt.Fprintf(c.stdout, "receipt OK: entry %d (%s %s, hash %s) is in the log %s of %d entries (root %s), signed by %s\n",
		r.Entry.Seq, r.Entry.Kind, r.Entry.Subject, r.Entry.Hash, cp.Origin, cp.Size, b64(cp.Root), v.Name())
	return nil
}

// readVerifier takes a verifier key, or the name of a file holding one.
func readVerifier(s string) (note.Verifier, error) {
	text := s
	if b, err := os.ReadFile(s); err == nil {
		text = string(b)
	}
	v, err := note.NewVerifier(strings.TrimSpace(text))
	if err != nil {
		return nil, fmt.Errorf("--key: not a verifier key (name+hash+base64) nor a file holding one: %w", err)
	}
	return v, nil
}

const auditUsage = `Usage: ipledger audit --checkpoint OLD [--checkpoint OLD2 …] --url URL [--key KEY] [--token TOKEN]

Shows that each checkpoint kept from before (a signed note from GET /v1/ledger/checkpoint,
or the checkpoint of a receipt) is a prefix of the log the server at URL holds today, by a
consistency proof checked against both signed roots; or names where they part. With a token
(--token, or IPLEDGER_TOKEN) the proof comes from GET /v1/ledger/proof/consistency; without
one it is computed from the public tiles (/tlog/tile/…). KEY pins the log's verifier key
(default: the server's GET /v1/ledger/key, which every checkpoint kept must then match).
Exit status 0 when every checkpoint is a prefix, 1 otherwise.
`

// multiFlag collects a repeated flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(s string) error { *m = append(*m, s); return nil }

var _ flag.Value = (*multiFlag)(nil)

func auditCmd(ctx context.Context, c *cli, args []string) error {
	f := newFlags("audit", auditUsage)
	var olds multiFlag
	f.Var(&olds, "checkpoint", "a signed checkpoint kept from before (repeatable)")
	base := f.String("url", "", "the service, e.g. https://ipledger.example")
	key := f.String("key", "", "the log's verifier key, or a file holding it (default: the server's)")
	token := f.String("token", os.Getenv("IPLEDGER_TOKEN"), "a bearer token for the proof API (default $IPLEDGER_TOKEN; none: use the tiles)")
	pos, err := f.parse(args)
	if err != nil {
		return err
	}
	switch {
	case len(pos) > 0:
		return f.fail("unexpected argument %q", pos[0])
	case len(olds) == 0:
		return f.fail("--checkpoint is required")
	case *base == "":
		return f.fail("--url is required")
	}
	a := &auditor{base: strings.TrimRight(*base, "/"), token: *token, http: &http.Client{Timeout: 30 * time.Second}}
	var v note.Verifier
	if *key != "" {
		if v, err = readVerifier(*key); err != nil {
			return err
		}
	} else {
		b, err := a.get(ctx, "/v1/ledger/key", false)
		if err != nil {
			return err
		}
		if v, err = note.NewVerifier(strings.TrimSpace(string(b))); err != nil {
			return fmt.Errorf("the server's key is not a verifier key: %w", err)
		}
	}
	b, err := a.get(ctx, "/v1/ledger/checkpoint", false)
	if err != nil {
		return err
	}
	cur, err := ledger.OpenCheckpoint(b, v)
	if err != nil {
		return fmt.Errorf("today's checkpoint from %s: %w", a.base, err)
	}
	type kept struct {
		file string
		cp   ledger.Checkpoint
	}
	var ks []kept
	for _, file := range olds {
		b, err := os.ReadFile(file)
		if err != nil {
			return err
		}
		cp, err := ledger.OpenCheckpoint(b, v)
		if err != nil {
			return fmt.Errorf("%s: %w (is it this log's checkpoint, and the right key?)", file, err)
		}
		if cp.Origin != cur.Origin {
			return fmt.Errorf("%s is a checkpoint of %q, the server's log is %q", file, cp.Origin, cur.Origin)
		}
		ks = append(ks, kept{file, cp})
	}
	sort.Slice(ks, func(i, j int) bool { return ks[i].cp.Size < ks[j].cp.Size })
	fmt.Fprintf(c.stdout, "today: %s, %d entries, root %s\n", cur.Origin, cur.Size, b64(cur.Root))
	goodUpTo, firstBad := int64(0), int64(-1)
	for _, k := range ks {
		err := a.consistent(ctx, k.cp, cur)
		if err == nil {
			fmt.Fprintf(c.stdout, "  %s: %d entries, root %s: a prefix of today's log\n", k.file, k.cp.Size, b64(k.cp.Root))
			if firstBad < 0 {
				goodUpTo = k.cp.Size
			}
			continue
		}
		var diverged *divergedError
		if !errors.As(err, &diverged) {
			return err
		}
		fmt.Fprintf(c.stdout, "  %s: %d entries, root %s: NOT a prefix of today's log: %s\n", k.file, k.cp.Size, b64(k.cp.Root), diverged.why)
		if firstBad < 0 {
			firstBad = k.cp.Size
		}
	}
	if firstBad < 0 {
		fmt.Fprintf(c.stdout, "consistent: today's log extends every checkpoint given\n")
		return nil
	}
	return fmt.Errorf("the log was rewritten: it parts from the checkpoints kept within entries %d..%d "+
		"(the checkpoint of %d entries is a prefix of today's log, the one of %d is not)", goodUpTo+1, firstBad, goodUpTo, firstBad)
}

// divergedError: the server's log is not an extension of a kept checkpoint.
type divergedError struct{ why string }

func (d *divergedError) Error() string { return d.why }

type auditor struct {
	base, token string
	http        *http.Client
}

func (a *auditor) get(ctx context.Context, path string, auth bool) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.base+path, nil)
	if err != nil {
		return nil, err
	}
	if auth {
		req.Header.Set("Authorization", "Bearer "+a.token)
	}
	res, err := a.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, 16<<20))
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", path, err)
	}
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s: %s", path, res.Status, strings.TrimSpace(string(b)))
	}
	return b, nil
}

// consistent checks that old is a prefix of cur, by the server's proof or from the tiles.
func (a *auditor) consistent(ctx context.Context, old, cur ledger.Checkpoint) error {
	switch {
	case old.Size > cur.Size:
		return &divergedError{fmt.Sprintf("the log has shrunk to %d entries", cur.Size)}
	case old.Size == cur.Size && old.Root != cur.Root:
		return &divergedError{"same size, another root"}
	case old.Size == cur.Size || old.Size == 0:
		return nil
	}
	var p ledger.Consistency
	if a.token != "" {
		q := url.Values{"from": {strconv.FormatInt(old.Size, 10)}, "to": {strconv.FormatInt(cur.Size, 10)}}
		b, err := a.get(ctx, "/v1/ledger/proof/consistency?"+q.Encode(), true)
		if err != nil {
			return err
		}
		if err := json.Unmarshal(b, &p); err != nil {
			return fmt.Errorf("consistency proof: %w", err)
		}
	} else {
		hr := tlog.TileHashReader(tlog.Tree{N: cur.Size, Hash: tlog.Hash(cur.Root)}, &tileFetcher{a: a, ctx: ctx})
		tp, err := tlog.ProveTree(cur.Size, old.Size, hr)
		if err != nil {
			return fmt.Errorf("consistency proof from the tiles: %w", err)
		}
		p = ledger.Consistency{From: old.Size, To: cur.Size}
		for _, h := range tp {
			p.Hashes = append(p.Hashes, h[:])
		}
	}
	if p.From != old.Size || p.To != cur.Size {
		return fmt.Errorf("the server answered a proof from %d to %d, asked %d to %d", p.From, p.To, old.Size, cur.Size)
	}
	if err := ledger.VerifyConsistency(p, old.Root, cur.Root); err != nil {
		return &divergedError{"the consistency proof does not lead from its root to today's"}
	}
	return nil
}

// tileFetcher reads C2SP tiles for tlog's tile hash reader, which checks them against the
// signed tree hash.
type tileFetcher struct {
	a   *auditor
	ctx context.Context
}

func (t *tileFetcher) Height() int { return ledger.TileHeight }

func (t *tileFetcher) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, tile := range tiles {
		b, err := t.a.get(t.ctx, "/tlog/tile/"+strings.TrimPrefix(tile.Path(), "tile/8/"), false)
		if err != nil {
			return nil, err
		}
		out[i] = b
	}
	return out, nil
}

func (t *tileFetcher) SaveTiles([]tlog.Tile, [][]byte) {}

func b64(h ledger.Hash) string { return base64.StdEncoding.EncodeToString(h[:]) }
