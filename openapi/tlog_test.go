package openapi_test

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"ipledger/ledger"
	"ipledger/registry/access"
)

// tileReader fetches C2SP tiles over HTTP for tlog, the Go checksum database's own client
// code: a second implementation reading our log as any tiles client would.
type tileReader struct{ e *env }

func (r tileReader) Height() int { return ledger.TileHeight }
func (r tileReader) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		res := r.e.do("GET", "/tlog/tile/"+strings.TrimPrefix(t.Path(), "tile/8/"), "", nil).status(http.StatusOK)
		if ct := res.Header.Get("Content-Type"); ct != "application/octet-stream" {
			r.e.t.Fatalf("tile Content-Type %q", ct)
		}
		out[i] = res.Body
	}
	return out, nil
}
func (r tileReader) SaveTiles([]tlog.Tile, [][]byte) {}

func seqOf(t *testing.T, r response) int64 {
	t.Helper()
	n, err := strconv.ParseInt(r.Header.Get("Ipledger-Seq"), 10, 64)
	if err != nil || n < 1 {
		t.Fatalf("Ipledger-Seq = %q on a write response", r.Header.Get("Ipledger-Seq"))
	}
	return n
}

func TestReceiptsOverHTTP(t *testing.T) {
	e := newPledgeEnv(t)
	bank, reg := e.tokens[access.Bank], e.tokens[access.Registrar]

	keyRes := e.do("GET", "/v1/ledger/key", "", nil).status(http.StatusOK)
	if ct := keyRes.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Fatalf("key Content-Type %q", ct)
	}
	verifier, err := note.NewVerifier(strings.TrimSpace(string(keyRes.Body)))
	if err != nil {
		t.Fatalf("GET /v1/ledger/key: %v: %q", err, keyRes.Body)
	}
	checkpoint := func() ledger.Checkpoint {
		t.Helper()
		r := e.do("GET", "/v1/ledger/checkpoint", "", nil).status(http.StatusOK)
		if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
			t.Fatalf("checkpoint Content-Type %q", ct)
		}
		if tl := e.do("GET", "/tlog/checkpoint", "", nil).status(http.StatusOK); string(tl.Body) != string(r.Body) {
			t.Fatalf("/tlog/checkpoint differs:\n%s\n%s", tl.Body, r.Body)
		}
		cp, err := ledger.OpenCheckpoint(r.Body, verifier)
		if err != nil {
			t.Fatalf("checkpoint does not verify with the served key: %v\n%s", err, r.Body)
		}
		return cp
	}
	old := checkpoint()

	assetRes := e.do("POST", "/v1/assets", reg, map[string]any{"kind": "invention_patent", "number": "ZL2013106997442",
		"title": "一种测试装置", "owner_ids": []string{e.owner}, "filed_on": "2013-12-18", "granted_on": "2017-01-01"}).status(http.StatusCreated)
	assetSeq := seqOf(t, assetRes)
	asset := assetRes.json()["id"].(string)
	pledgeRes := e.do("POST", "/v1/pledges", bank, e.pledgeBody(asset), "Idempotency-Key", "pledge-1").status(http.StatusCreated)
	pledgeSeq := seqOf(t, pledgeRes)
	if pledgeSeq <= assetSeq {
		t.Fatalf("pledge seq %d after asset seq %d", pledgeSeq, assetSeq)
	}
	t.Run("ReplayCarriesTheSeq", func(t *testing.T) {
		r := e.do("POST", "/v1/pledges", bank, e.pledgeBody(asset), "Idempotency-Key", "pledge-1").status(http.StatusCreated)
		if r.Header.Get("Idempotent-Replayed") != "true" || seqOf(t, r) != pledgeSeq {
			t.Fatalf("replay: Ipledger-Seq %q, replayed %q; want %d", r.Header.Get("Ipledger-Seq"), r.Header.Get("Idempotent-Replayed"), pledgeSeq)
		}
	})
	t.Run("NoSeqWithoutAWrite", func(t *testing.T) {
		r := e.do("POST", "/v1/pledges", bank, e.pledgeBody(asset)).status(http.StatusConflict)
		if h := r.Header.Get("Ipledger-Seq"); h != "" {
			t.Fatalf("a refused write says Ipledger-Seq %q", h)
		}
	})
	entry, err := ledger.Get(t.Context(), e.ledger.DB(), pledgeSeq)
	if err != nil {
		t.Fatal(err)
	}
	if entry.Kind != "pledge.registered" {
		t.Fatalf("Ipledger-Seq names %s, want the pledge's registration", entry.Kind)
	}
	now := checkpoint()

	t.Run("BankGetsItsOwnReceipt", func(t *testing.T) {
		r := e.do("GET", "/v1/ledger/receipts/"+strconv.FormatInt(pledgeSeq, 10), bank, nil).status(http.StatusOK)
		var rc ledger.Receipt
		if err := json.Unmarshal(r.Body, &rc); err != nil {
			t.Fatal(err)
		}
		cp, err := ledger.VerifyReceipt(rc, verifier)
		if err != nil {
			t.Fatalf("receipt does not verify: %v\n%s", err, r.Body)
		}
		if rc.Entry.Seq != pledgeSeq || rc.Entry.Hash != entry.Hash.String() || cp.Size < pledgeSeq {
			t.Fatalf("receipt of %d covers %+v at size %d", pledgeSeq, rc.Entry, cp.Size)
		}
		// tlog checks the same proof.
		p := make(tlog.RecordProof, len(rc.Inclusion.Hashes))
		for i, h := range rc.Inclusion.Hashes {
			copy(p[i][:], h)
		}
		if err := tlog.CheckRecord(p, cp.Size, tlog.Hash(cp.Root), pledgeSeq-1, tlog.RecordHash(entry.Hash[:])); err != nil {
			t.Fatalf("tlog rejects the receipt: %v", err)
		}
		m := r.json()
		if _, ok := m["inclusion"].(map[string]any)["leaf_index"]; !ok || m["checkpoint"] == nil || m["entry"].(map[string]any)["payload"] == nil {
			t.Fatalf("receipt fields: %v", m)
		}
	})
	t.Run("Scoping", func(t *testing.T) {
		pledgePath := "/v1/ledger/receipts/" + strconv.FormatInt(pledgeSeq, 10)
		assetPath := "/v1/ledger/receipts/" + strconv.FormatInt(assetSeq, 10)
		e.do("GET", pledgePath, e.bank2Token, nil).problem(http.StatusNotFound, "not_found")
		e.do("GET", assetPath, bank, nil).problem(http.StatusNotFound, "not_found")
		e.do("GET", pledgePath, e.tokens[access.Auditor], nil).status(http.StatusOK)
		e.do("GET", assetPath, e.tokens[access.Registrar], nil).status(http.StatusOK)
		e.do("GET", pledgePath, e.tokens[access.Planner], nil).problem(http.StatusForbidden, "forbidden")
		e.do("GET", pledgePath, "", nil).problem(http.StatusUnauthorized, "unauthorized")
		e.do("GET", "/v1/ledger/receipts/999999", e.tokens[access.Admin], nil).problem(http.StatusNotFound, "not_found")
		e.do("GET", "/v1/ledger/receipts/0", e.tokens[access.Admin], nil).problem(http.StatusUnprocessableEntity, "validation_failed")
	})
	t.Run("Consistency", func(t *testing.T) {
		q := "/v1/ledger/proof/consistency?from=" + strconv.FormatInt(old.Size, 10) + "&to=" + strconv.FormatInt(now.Size, 10)
		r := e.do("GET", q, e.tokens[access.Planner], nil).status(http.StatusOK)
		var p ledger.Consistency
		if err := json.Unmarshal(r.Body, &p); err != nil {
			t.Fatal(err)
		}
		if p.From != old.Size || p.To != now.Size || len(p.Hashes) == 0 {
			t.Fatalf("proof %+v", p)
		}
		if err := ledger.VerifyConsistency(p, old.Root, now.Root); err != nil {
			t.Fatalf("the log does not extend its own older checkpoint: %v", err)
		}
		forged := old.Root
		forged[3] ^= 1
		if err := ledger.VerifyConsistency(p, forged, now.Root); err == nil {
			t.Fatal("a proof verified against a root the log never had")
		}
		bad := e.do("GET", "/v1/ledger/proof/consistency?from=1&to="+strconv.FormatInt(now.Size+1, 10), e.tokens[access.Bank], nil).problem(http.StatusUnprocessableEntity, "proof_range_invalid")
		if loc := bad["errors"].([]any)[0].(map[string]any)["location"]; loc != "query.to" {
			t.Fatalf("location %v", loc)
		}
		bad = e.do("GET", "/v1/ledger/proof/consistency?from=3&to=2", e.tokens[access.Bank], nil).problem(http.StatusUnprocessableEntity, "proof_range_invalid")
		if loc := bad["errors"].([]any)[0].(map[string]any)["location"]; loc != "query.from" {
			t.Fatalf("location %v", loc)
		}
		e.do("GET", "/v1/ledger/proof/consistency?from=0&to=2", e.tokens[access.Bank], nil).problem(http.StatusUnprocessableEntity, "validation_failed")
		e.do("GET", "/v1/ledger/proof/consistency?from=1", e.tokens[access.Bank], nil).problem(http.StatusUnprocessableEntity, "validation_failed")
	})
	t.Run("TilesFollowedByTlog", func(t *testing.T) {
		tr := tileReader{e.env}
		tree := tlog.Tree{N: now.Size, Hash: tlog.Hash(now.Root)}
		hr := tlog.TileHashReader(tree, tr)
		root, err := tlog.TreeHash(now.Size, hr)
		if err != nil {
			t.Fatalf("tlog reading our tiles: %v", err)
		}
		if root != tlog.Hash(now.Root) {
			t.Fatal("the tiles' tree hash is not the checkpoint's root")
		}
		p, err := tlog.ProveRecord(now.Size, pledgeSeq-1, hr)
		if err != nil {
			t.Fatal(err)
		}
		if err := tlog.CheckRecord(p, now.Size, root, pledgeSeq-1, tlog.RecordHash(entry.Hash[:])); err != nil {
			t.Fatalf("proof from tiles: %v", err)
		}
		tp, err := tlog.ProveTree(now.Size, old.Size, hr)
		if err != nil {
			t.Fatal(err)
		}
		if err := tlog.CheckTree(tp, now.Size, root, old.Size, tlog.Hash(old.Root)); err != nil {
			t.Fatalf("consistency from tiles: %v", err)
		}
		for _, path := range []string{"/tlog/tile/0/x001/000", "/tlog/tile/0/1", "/tlog/tile/0/000.p/0", "/tlog/tile/data/000", "/tlog/tile/0/000.p/" + strconv.FormatInt(now.Size+1, 10)} {
			e.do("GET", path, "", nil).problem(http.StatusNotFound, "tile_not_found")
		}
	})
	t.Run("VerifyChecksTheLog", func(t *testing.T) {
		v := e.do("GET", "/v1/ledger/verify", e.tokens[access.Auditor], nil).status(http.StatusOK).json()
		lg, _ := v["log"].(map[string]any)
		if v["ok"] != true || lg == nil || lg["signature_ok"] != true || lg["tree_size"].(float64) < float64(pledgeSeq) {
			t.Fatalf("verify: %v", v)
		}
	})
}
