package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"ipledger/migrations/pgdb"
	"ipledger/registry/access"
)

// Reads on a real streaming standby of the private cluster: lists, indicators and the public
// search are served from it, while a client that has just written reads its own write
// (Ipledger-Seq): from the standby once it has replayed the write, else from the primary.
func TestReadsOnAStreamingStandby(t *testing.T) {
	ctx := context.Background()
	dir := privateDir(t)
	primary, err := pgdb.Start(ctx, filepath.Join(dir, "pg"), pgdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { primary.Stop() })
	standbyDir := filepath.Join(privateDir(t), "standby")
	if err := primary.Standby(ctx, standbyDir); err != nil {
		t.Fatal(err)
	}
	standby, err := pgdb.Start(ctx, standbyDir, pgdb.Options{})
	if err != nil {
		log, _ := os.ReadFile(standbyDir + ".log")
		t.Fatalf("%v\n%s", err, log)
	}
	t.Cleanup(func() { standby.Stop() })
	if in, err := standby.InRecovery(ctx); err != nil || !in {
		t.Fatalf("the standby is not in recovery (%v): not a replica", err)
	}
	// The server reuses the running primary, migrates it, and reads from the standby.
	s := startServer(t, dir, access.NewToken(), "IPLEDGER_READ_DATABASE_URL="+standby.DSN("ipledger_app", appDatabase))

	type answer struct {
		status int
		from   string
		body   string
	}
	get := func(path string, seq int64) answer {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, s.url+path, nil)
		req.Header.Set("Authorization", "Bearer "+s.token)
		if seq > 0 {
			req.Header.Set("Ipledger-Seq", strconv.FormatInt(seq, 10))
		}
		res, err := httpClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return answer{res.StatusCode, res.Header.Get("Ipledger-Read-From"), string(b)}
	}
	write := func(key string) (id string, seq int64) {
		t.Helper()
		r := s.post("/v1/parties", key, partyBody(key))
		if !r.acked() {
			t.Fatalf("write %s: %d %s", key, r.status, r.resp)
		}
		var p struct{ ID string }
		_ = json.Unmarshal(r.resp, &p)
		seq, _ = strconv.ParseInt(r.header.Get("Ipledger-Seq"), 10, 64)
		if p.ID == "" || seq == 0 {
			t.Fatalf("write %s: no id or Ipledger-Seq: %v %s", key, r.header, r.resp)
		}
		return p.ID, seq
	}

	// Caught up: a client's own write is on the standby, and read from it.
	id1, seq1 := write("replica-1")
	if a := get("/v1/parties/"+id1, seq1); a.status != http.StatusOK || a.from != "replica" {
		t.Fatalf("own write, standby caught up: %d from %q: %s", a.status, a.from, a.body)
	}

	// Replay paused: the standby lags on purpose.
	super, err := pgdb.Open(standby.DSN(pgdb.Superuser, appDatabase), pgdb.Config{MaxConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer super.Close()
	if _, err := super.ExecContext(ctx, `SELECT pg_wal_replay_pause()`); err != nil {
		t.Fatal(err)
	}
	id2, seq2 := write("replica-2")
	list := get("/v1/parties?limit=100", 0)
	if list.status != http.StatusOK || list.from != "replica" || !strings.Contains(list.body, id1) || strings.Contains(list.body, id2) {
		t.Fatalf("list without Ipledger-Seq: %d from %q; want the standby's view (%s, not yet %s): %s", list.status, list.from, id1, id2, list.body)
	}
	for _, path := range []string{"/v1/indicators", "/v1/public/pledges", "/v1/assets?limit=5"} {
		if a := get(path, 0); a.status != http.StatusOK || a.from != "replica" {
			t.Errorf("%s on the standby: %d from %q: %s", path, a.status, a.from, a.body)
		}
	}
	// The writer names its write: the standby cannot show it in time, the primary answers.
	if a := get("/v1/parties/"+id2, seq2); a.status != http.StatusOK || a.from != "primary" || !strings.Contains(a.body, id2) {
		t.Fatalf("own write, standby paused: %d from %q: %s", a.status, a.from, a.body)
	}
	if a := get("/v1/parties?limit=100", seq2); a.from != "primary" || !strings.Contains(a.body, id2) {
		t.Fatalf("list with Ipledger-Seq, standby paused: from %q: %s", a.from, a.body)
	}

	// Replay resumed: the same read is served by the standby again.
	if _, err := super.ExecContext(ctx, `SELECT pg_wal_replay_resume()`); err != nil {
		t.Fatal(err)
	}
	if a := get("/v1/parties?limit=100", seq2); a.status != http.StatusOK || a.from != "replica" || !strings.Contains(a.body, id2) {
		t.Fatalf("list with Ipledger-Seq after resume: %d from %q: %s", a.status, a.from, a.body)
	}
	verifyOK(t, s)
}
