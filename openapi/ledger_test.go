package openapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"ipledger/ledger"
	"ipledger/migrations/pgdb"
	"ipledger/openapi"
	"ipledger/registry/access"
)

// GET /v1/ledger/export streams export lines (application/x-ndjson) for a range; a range
// past the end is cut at the last entry; a bad range is a 422 naming the query parameter.
func TestLedgerExportRanges(t *testing.T) {
	e := newEnv(t)
	tok := e.tokens[access.Auditor]
	last, err := ledger.LastSeq(context.Background(), e.db.App)
	if err != nil || last < 5 {
		t.Fatalf("last seq %d %v", last, err)
	}

	r := e.do("GET", "/v1/ledger/export", tok, nil).status(http.StatusOK)
	if ct := r.Header.Get("Content-Type"); ct != "application/x-ndjson" {
		t.Fatalf("Content-Type %q", ct)
	}
	lines := bytes.Split(bytes.TrimSuffix(r.Body, []byte("\n")), []byte("\n"))
	if int64(len(lines)) != last {
		t.Fatalf("%d lines, want %d", len(lines), last)
	}
	for i, b := range lines {
		var l ledger.ExportLine
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&l); err != nil || l.Seq != int64(i+1) {
			t.Fatalf("line %d: %v %s", i+1, err, b)
		}
		want, err := ledger.Get(context.Background(), e.db.App, l.Seq)
		if err != nil {
			t.Fatal(err)
		}
		if l != want.ExportLine() {
			t.Fatalf("line %d = %+v, want %+v", i+1, l, want.ExportLine())
		}
	}

	r = e.do("GET", "/v1/ledger/export?from_seq=2&to_seq=4", e.tokens[access.Admin], nil).status(http.StatusOK)
	if !bytes.Equal(r.Body, bytes.Join(append(lines[1:4], nil), []byte("\n"))) {
		t.Fatalf("range 2..4: %s", r.Body)
	}
	r = e.do("GET", fmt.Sprintf("/v1/ledger/export?from_seq=%d&to_seq=%d", last, last+100), tok, nil).status(http.StatusOK)
	if !bytes.Equal(r.Body, append(lines[last-1], '\n')) {
		t.Fatalf("a range past the end is cut at the last entry: %s", r.Body)
	}
	r = e.do("GET", fmt.Sprintf("/v1/ledger/export?from_seq=%d", last+1), tok, nil).status(http.StatusOK)
	if len(r.Body) != 0 || r.Header.Get("Content-Type") != "application/x-ndjson" {
		t.Fatalf("a range after the end: %q %s", r.Body, r.Header.Get("Content-Type"))
	}

	for _, c := range []struct{ query, code, location string }{
		{"from_seq=0", "validation_failed", "query.from_seq"},
		{"from_seq=-3", "validation_failed", "query.from_seq"},
		{"from_seq=abc", "validation_failed", "query.from_seq"},
		{"to_seq=0", "validation_failed", "query.to_seq"},
		{"to_seq=1.5", "validation_failed", "query.to_seq"},
		{"from_seq=5&to_seq=4", "range_invalid", "query.to_seq"},
	} {
		p := e.do("GET", "/v1/ledger/export?"+c.query, tok, nil).problem(http.StatusUnprocessableEntity, c.code)
		errs, _ := p["errors"].([]any)
		if len(errs) == 0 || errs[0].(map[string]any)["location"] != c.location {
			t.Errorf("%s: errors %v, want one at %s", c.query, p["errors"], c.location)
		}
	}
	e.do("GET", "/v1/ledger/export", e.tokens[access.Registrar], nil).problem(http.StatusForbidden, "forbidden")
}

var sixDigits = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$`)

// recorded_at in GET /v1/ledger/entries is the hashed text, six fraction digits even when the
// microseconds end in zero, so the documented recipe gives the right hash for every entry.
func TestEntriesRecordedAtIsTheHashedText(t *testing.T) {
	e := newEnv(t)
	ctx := ledger.WithActor(context.Background(), "system")
	// About one entry in ten is recorded at a microsecond ending in 0; append until one is.
	var seq int64
	for i := 0; i < 500 && seq == 0; i++ {
		es, err := e.ledger.Append(ctx, ledger.Draft{Kind: "test.tick", Subject: "test/1", EffectiveOn: time.Now(), Payload: map[string]any{"i": i}})
		if err != nil {
			t.Fatal(err)
		}
		if es[0].RecordedAt.Nanosecond()/1000%10 == 0 {
			seq = es[0].Seq
		}
	}
	if seq == 0 {
		t.Fatal("500 entries and none recorded at a microsecond ending in 0")
	}
	want, err := ledger.Get(context.Background(), e.db.App, seq)
	if err != nil {
		t.Fatal(err)
	}

	one := e.do("GET", fmt.Sprintf("/v1/ledger/entries/%d", seq), e.tokens[access.Auditor], nil).status(http.StatusOK).json()
	page := e.do("GET", fmt.Sprintf("/v1/ledger/entries?after=%d&limit=1", seq-1), e.tokens[access.Auditor], nil).status(http.StatusOK).json()
	for name, v := range map[string]map[string]any{"get": one, "list": page["items"].([]any)[0].(map[string]any)} {
		at, _ := v["recorded_at"].(string)
		if !sixDigits.MatchString(at) || at != ledger.FormatTime(want.RecordedAt) {
			t.Fatalf("%s: recorded_at %q, want %q (six fraction digits)", name, at, ledger.FormatTime(want.RecordedAt))
		}
		if !strings.HasSuffix(at, "0Z") {
			t.Fatalf("%s: %q does not end in a zero microsecond", name, at)
		}
		// The hash from the API's own fields, as docs/LEDGER.md says: recorded_at as shown,
		// the payload re-canonicalised (here the stored text), no key as "".
		parsed, err := time.Parse(ledger.TimeLayout, at)
		if err != nil {
			t.Fatalf("%s: recorded_at %q does not parse as the hashed layout: %v", name, at, err)
		}
		x := want
		x.RecordedAt = parsed
		if ledger.ComputeHash(&x).String() != v["hash"] {
			t.Fatalf("%s: the hash recomputed from the API's recorded_at differs from %v", name, v["hash"])
		}
	}
}

// The export streams: a ledger of several pages goes out chunked (no Content-Length, so it
// was not gathered first), every entry once, in order, across the page boundaries.
func TestLedgerExportStreamsAcrossPages(t *testing.T) {
	e := newEnv(t)
	drafts := make([]ledger.Draft, 2500)
	for i := range drafts {
		drafts[i] = ledger.Draft{Kind: "test.bulk", Subject: fmt.Sprintf("test/%d", i), EffectiveOn: time.Now(), Payload: map[string]any{"i": i}}
	}
	if _, err := e.ledger.Append(ledger.WithActor(context.Background(), "system"), drafts...); err != nil {
		t.Fatal(err)
	}
	last, err := ledger.LastSeq(context.Background(), e.db.App)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodGet, e.http.URL+"/v1/ledger/export", nil)
	req.Header.Set("Authorization", "Bearer "+e.tokens[access.Auditor])
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK || res.ContentLength != -1 || len(res.TransferEncoding) == 0 || res.TransferEncoding[0] != "chunked" {
		t.Fatalf("status %d, Content-Length %d, Transfer-Encoding %v: want a chunked stream", res.StatusCode, res.ContentLength, res.TransferEncoding)
	}
	dec := json.NewDecoder(res.Body)
	var n int64
	for dec.More() {
		var l ledger.ExportLine
		if err := dec.Decode(&l); err != nil {
			t.Fatalf("after %d lines: %v", n, err)
		}
		n++
		if l.Seq != n {
			t.Fatalf("line %d has seq %d", n, l.Seq)
		}
	}
	if n != last {
		t.Fatalf("%d lines, want %d", n, last)
	}
}

// failSecondPage cancels the second page query of an export, as a database lost mid-stream.
type failSecondPage struct{ pages atomic.Int32 }

func (h *failSecondPage) BeforeQuery(ctx context.Context, ev *bun.QueryEvent) context.Context {
	if strings.Contains(ev.Query, "FROM ledger.entries WHERE seq >") && h.pages.Add(1) == 2 {
		c, cancel := context.WithCancel(ctx)
		cancel()
		return c
	}
	return ctx
}

func (h *failSecondPage) AfterQuery(context.Context, *bun.QueryEvent) {}

// A failure after the export has begun cuts the response: the client gets a transfer error,
// never a clean end after a short export.
func TestLedgerExportFailureMidStreamIsATransferError(t *testing.T) {
	e := newEnv(t)
	// A second server over a pool whose second export page fails.
	read, err := pgdb.Open(e.db.AppDSN, pgdb.Config{MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer read.Close()
	read.AddQueryHook(&failSecondPage{})
	drafts := make([]ledger.Draft, 1500)
	for i := range drafts {
		drafts[i] = ledger.Draft{Kind: "test.bulk", Subject: fmt.Sprintf("test/%d", i), EffectiveOn: time.Now(), Payload: map[string]any{"i": i}}
	}
	if _, err := e.ledger.Append(ledger.WithActor(context.Background(), "system"), drafts...); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(openapi.New(openapi.Deps{Ledger: e.ledger, ReadDB: read, Access: e.access, Registry: e.reg}).Handler())
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/v1/ledger/export", nil)
	req.Header.Set("Authorization", "Bearer "+e.tokens[access.Auditor])
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d", res.StatusCode)
	}
	b, err := io.ReadAll(res.Body)
	if err == nil {
		t.Fatalf("the export ended cleanly after %d bytes although its second page failed", len(b))
	}
	if n := bytes.Count(b, []byte("\n")); n < 1 || n > 1000 {
		t.Fatalf("%d lines before the cut, want the first page at most", n)
	}
}
