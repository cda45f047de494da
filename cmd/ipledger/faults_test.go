package main

// Faults survived, for real: the built binary serving on a private cluster, killed (-9),
// its Postgres killed, its head row locked, and shut down, all under load from clients that
// write with idempotency keys and record every answer. Each test is bounded in time.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"ipledger/migrations/pgdb"
	"ipledger/registry/access"
)

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// binary builds ./cmd/ipledger once per test run.
func binary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		dir := filepath.Join(os.TempDir(), "ipledger-faults-bin")
		if binErr = os.MkdirAll(dir, 0o755); binErr != nil {
			return
		}
		binPath = filepath.Join(dir, "ipledger")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// server is one `ipledger serve` process on a private cluster under dir.
type server struct {
	t     *testing.T
	dir   string
	url   string
	token string
	cmd   *exec.Cmd
	exit  chan error
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startServer runs the binary on dir and waits until /readyz says ready.
func startServer(t *testing.T, dir, token string, env ...string) *server {
	t.Helper()
	addr := freeAddr(t)
	cmd := exec.Command(binary(t), "serve")
	cmd.Env = append(os.Environ(), "DATABASE_URL=", "IPLEDGER_MIGRATE_DATABASE_URL=", "IPLEDGER_READ_DATABASE_URL=",
		"IPLEDGER_WAL_ARCHIVE=", "IPLEDGER_METRICS_ADDR=",
		"IPLEDGER_DATA_DIR="+dir, "IPLEDGER_ADDR="+addr, "IPLEDGER_BOOTSTRAP_TOKEN="+token, "IPLEDGER_RATE_LIMIT=0")
	cmd.Env = append(cmd.Env, env...)
	logf, err := os.OpenFile(filepath.Join(dir, "server.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{t: t, dir: dir, url: "http://" + addr, token: token, cmd: cmd, exit: make(chan error, 1)}
	go func() { s.exit <- cmd.Wait(); logf.Close() }()
	t.Cleanup(func() { s.stop() })
	begun := time.Now()
	deadline := begun.Add(60 * time.Second)
	for {
		if res, err := http.Get(s.url + "/readyz"); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				t.Logf("server ready after %s", time.Since(begun).Round(time.Millisecond))
				return s
			}
		}
		select {
		case err := <-s.exit:
			s.exit <- err
			t.Fatalf("server exited during start-up: %v\n%s", err, s.log())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("server not ready within 60s\n%s", s.log())
		}
	}
}

func (s *server) log() string {
	b, _ := os.ReadFile(filepath.Join(s.dir, "server.log"))
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// stop ends the process with SIGTERM (a graceful shutdown) and waits, at most 30 s.
func (s *server) stop() {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-s.exit:
		s.exit <- err
	case <-time.After(30 * time.Second):
		_ = s.cmd.Process.Kill()
		err := <-s.exit
		s.exit <- err
	}
}

func (s *server) kill9() {
	_ = s.cmd.Process.Kill()
	err := <-s.exit
	s.exit <- err
}

// postmasterPID reads the running cluster's pid from its lock file.
func postmasterPID(t *testing.T, dir string) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "pg", "postmaster.pid"))
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0]))
	if err != nil {
		t.Fatal(err)
	}
	return pid
}

// stopPostgresAtEnd stops whatever cluster runs on dir when the test ends: a server killed
// with -9 leaves its cluster running, and the next server reuses it.
func stopPostgresAtEnd(t *testing.T, dir string) {
	t.Cleanup(func() {
		b, err := os.ReadFile(filepath.Join(dir, "pg", "postmaster.pid"))
		if err != nil {
			return
		}
		pid, _ := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0]))
		if pid <= 0 || syscall.Kill(pid, syscall.SIGQUIT) != nil {
			return
		}
		for i := 0; i < 200 && syscall.Kill(pid, 0) == nil; i++ {
			time.Sleep(50 * time.Millisecond)
		}
	})
}

// call is one request and what came back.
type call struct {
	key    string
	body   []byte
	status int // 0: no response (connection refused or cut)
	// refused: the connection was refused, so the request never reached a server
	refused bool
	header  http.Header
	resp    []byte
	took    time.Duration
}

func (c call) acked() bool { return c.status/100 == 2 }

func (c call) code() string {
	var p struct{ Code string }
	_ = json.Unmarshal(c.resp, &p)
	return p.Code
}

var httpClient = &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}

func (s *server) post(path, key string, body []byte) call {
	req, _ := http.NewRequest(http.MethodPost, s.url+path, bytes.NewReader(body))
	// net/http silently resends a request with an Idempotency-Key whose reused connection
	// broke; then a write that reached the killed server would look "refused". Without
	// GetBody it is sent once, so each call's outcome is its own.
	req.GetBody = nil
	req.Header.Set("Authorization", "Bearer "+s.token)
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	start := time.Now()
	c := call{key: key, body: body}
	res, err := httpClient.Do(req)
	c.took = time.Since(start)
	if err != nil {
		c.refused = errors.Is(err, syscall.ECONNREFUSED)
		return c
	}
	defer res.Body.Close()
	c.resp, err = io.ReadAll(res.Body)
	if err != nil {
		return c // cut mid-body: as good as no answer
	}
	c.status, c.header = res.StatusCode, res.Header
	return c
}

func (s *server) get(path string) (int, []byte) {
	req, _ := http.NewRequest(http.MethodGet, s.url+path, nil)
	req.Header.Set("Authorization", "Bearer "+s.token)
	res, err := httpClient.Do(req)
	if err != nil {
		return 0, nil
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

func partyBody(key string) []byte {
	b, _ := json.Marshal(map[string]any{"name": "fault " + key, "kind": "enterprise", "region_code": "150502"})
	return b
}

// load runs clients that each create parties, one key per request, until stop is closed,
// and returns every call.
func load(s *server, tag string, clients int, stop <-chan struct{}) func() []call {
	var mu sync.Mutex
	var calls []call
	var wg sync.WaitGroup
	for c := range clients {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				key := fmt.Sprintf("%s-%d-%d", tag, c, i)
				r := s.post("/v1/parties", key, partyBody(key))
				mu.Lock()
				calls = append(calls, r)
				mu.Unlock()
				if r.status == 0 {
					time.Sleep(20 * time.Millisecond) // the server is gone: do not spin
				}
			}
		})
	}
	return func() []call { wg.Wait(); return calls }
}

// partyCounts counts the parties each load key created, straight from the database.
func partyCounts(t *testing.T, dir string) map[string]int {
	t.Helper()
	sock, _ := filepath.Abs(filepath.Join(dir, "pg", ".s.PGSQL.5432"))
	db, err := pgdb.Open("unix://"+pgdb.Superuser+"@"+appDatabase+sock+"?sslmode=disable", pgdb.Config{MaxConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.QueryContext(context.Background(), `SELECT substr(name, 7), count(*) FROM registry.parties WHERE name LIKE 'fault %' GROUP BY name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var k string
		var n int
		if err := rows.Scan(&k, &n); err != nil {
			t.Fatal(err)
		}
		out[k] = n
	}
	return out
}

func verifyOK(t *testing.T, s *server) {
	t.Helper()
	st, b := s.get("/v1/ledger/verify")
	var rep struct {
		OK      bool  `json:"ok"`
		HeadSeq int64 `json:"head_seq"`
	}
	if st != http.StatusOK || json.Unmarshal(b, &rep) != nil || !rep.OK {
		t.Fatalf("ledger does not verify: %d %s", st, b)
	}
}

// checkAfterRestart holds the invariants once the service is back: every acknowledged
// write is there exactly once and its retry replays the first response byte for byte; no
// write is there twice; an unanswered write's retry either writes it now or says it was.
// With the database killed, an acknowledged write's stored response may be the one thing
// lost (the database died between the commit and storing it): then (mayLoseResponse) its
// retry may instead say that it was committed — but never write again.
func checkAfterRestart(t *testing.T, s *server, calls []call, mayLoseResponse bool) {
	t.Helper()
	begun := time.Now()
	defer func() { t.Logf("checked after restart in %s", time.Since(begun).Round(time.Millisecond)) }()
	counts := partyCounts(t, s.dir)
	var acked, unanswered int
	var wg sync.WaitGroup
	var mu sync.Mutex
	for _, c := range calls {
		if n := counts[c.key]; n > 1 {
			t.Errorf("key %s written %d times", c.key, n)
		}
		switch {
		case c.acked():
			acked++
			if counts[c.key] != 1 {
				t.Errorf("acknowledged write %s is missing after restart", c.key)
			}
			wg.Go(func() {
				r := s.post("/v1/parties", c.key, c.body)
				if mayLoseResponse && r.status == http.StatusConflict && (r.code() == "idempotency_in_progress" || r.code() == "idempotency_response_lost") {
					return
				}
				if r.status != c.status || r.header.Get("Idempotent-Replayed") != "true" || !bytes.Equal(r.resp, c.resp) {
					t.Errorf("retry of acknowledged %s: %d replayed=%q, want the first response (%d) again: %s",
						c.key, r.status, r.header.Get("Idempotent-Replayed"), c.status, r.resp)
				}
			})
		case c.refused:
			if counts[c.key] != 0 {
				t.Errorf("refused connection %s wrote", c.key)
			}
		case c.status == 0:
			mu.Lock()
			unanswered++
			mu.Unlock()
			wg.Go(func() {
				r := s.post("/v1/parties", c.key, c.body)
				switch {
				case r.acked():
				case r.status == http.StatusConflict && (r.code() == "idempotency_in_progress" || r.code() == "idempotency_response_lost"):
				default:
					t.Errorf("retry of unanswered %s: %d %s", c.key, r.status, r.resp)
				}
			})
		}
	}
	wg.Wait()
	if acked == 0 {
		t.Fatal("no write was acknowledged: the load never ran")
	}
	for k, n := range partyCounts(t, s.dir) {
		if n != 1 {
			t.Errorf("after retries, key %s written %d times", k, n)
		}
	}
	verifyOK(t, s)
	t.Logf("%d calls: %d acknowledged, %d unanswered (sent, no answer)", len(calls), acked, unanswered)
}

// kill -9 of the server mid-load loses nothing acknowledged and writes nothing twice.
func TestFaultKillServerMidLoad(t *testing.T) {
	dir := privateDir(t)
	stopPostgresAtEnd(t, dir)
	token := access.NewToken()
	s := startServer(t, dir, token)
	stop := make(chan struct{})
	wait := load(s, "k9", 8, stop)
	time.Sleep(1500 * time.Millisecond)
	s.kill9()
	time.Sleep(200 * time.Millisecond)
	close(stop)
	calls := wait()
	// Reuses the cluster the killed process left running; metrics on their own address.
	maddr := freeAddr(t)
	s2 := startServer(t, dir, token, "IPLEDGER_METRICS_ADDR="+maddr)
	checkAfterRestart(t, s2, calls, false)
	res, err := http.Get("http://" + maddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !bytes.Contains(b, []byte(`ipledger_idempotent_replays_total{operation="create-party"}`)) {
		t.Errorf("IPLEDGER_METRICS_ADDR: %d, replays not counted:\n%s", res.StatusCode, b)
	}
	if st, _ := s2.get("/metrics"); st != http.StatusNotFound {
		t.Errorf("/metrics on the main address with IPLEDGER_METRICS_ADDR set: %d, want 404", st)
	}
}

// A graceful shutdown under load finishes every write it took and refuses the rest; none
// is half-done.
func TestFaultShutdownUnderLoad(t *testing.T) {
	dir := privateDir(t)
	stopPostgresAtEnd(t, dir)
	token := access.NewToken()
	s := startServer(t, dir, token)
	stop := make(chan struct{})
	wait := load(s, "term", 8, stop)
	time.Sleep(1500 * time.Millisecond)
	start := time.Now()
	s.stop()
	if took := time.Since(start); took > 25*time.Second {
		t.Errorf("shutdown took %s", took)
	}
	close(stop)
	calls := wait()
	for _, c := range calls {
		if c.status != 0 && !c.acked() && !(c.status == http.StatusServiceUnavailable && c.code() == "shutting_down") {
			t.Errorf("during shutdown %s got %d %s", c.key, c.status, c.resp)
		}
	}
	s2 := startServer(t, dir, token)
	counts := partyCounts(t, dir)
	for _, c := range calls {
		if c.status == http.StatusServiceUnavailable && counts[c.key] != 0 {
			t.Errorf("refused write %s was written", c.key)
		}
	}
	checkAfterRestart(t, s2, calls, false)
}

// kill -9 of the postmaster: requests fail fast with 503 database_unavailable, the server
// restarts its private cluster, and nothing acknowledged is lost.
func TestFaultKillPostgresMidLoad(t *testing.T) {
	dir := privateDir(t)
	stopPostgresAtEnd(t, dir)
	const timeout = 5 * time.Second
	s := startServer(t, dir, access.NewToken(), "IPLEDGER_STATEMENT_TIMEOUT="+timeout.String())
	stop := make(chan struct{})
	wait := load(s, "pg9", 6, stop)
	time.Sleep(time.Second)
	old := postmasterPID(t, dir)
	if err := syscall.Kill(old, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	// Back by itself: a new postmaster, and ready.
	killed := time.Now()
	deadline := killed.Add(40 * time.Second)
	for {
		res, err := http.Get(s.url + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				if b, _ := os.ReadFile(filepath.Join(dir, "pg", "postmaster.pid")); len(b) > 0 && !strings.HasPrefix(string(b), strconv.Itoa(old)+"\n") {
					break
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("not ready again within 40s of the kill\n%s", s.log())
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("ready again %s after the kill", time.Since(killed).Round(time.Millisecond))
	time.Sleep(time.Second) // writes succeed again
	close(stop)
	calls := wait()
	var unavailable, after int
	for _, c := range calls {
		switch {
		case c.acked():
			after++
		case c.status == http.StatusServiceUnavailable && (c.code() == "database_unavailable" || c.code() == "timeout"):
			unavailable++
			if c.header.Get("Retry-After") == "" || !strings.HasPrefix(c.header.Get("Content-Type"), "application/problem+json") {
				t.Errorf("503 without Retry-After or problem+json: %v", c.header)
			}
		default:
			t.Errorf("%s: %d %s, want 2xx or 503 database_unavailable", c.key, c.status, c.resp)
		}
		if c.took > timeout+2*time.Second {
			t.Errorf("%s took %s, past the statement timeout %s", c.key, c.took, timeout)
		}
	}
	if unavailable == 0 {
		t.Error("no request saw the database gone: want 503 database_unavailable while it was down")
	}
	if r := s.post("/v1/parties", "pg9-after", partyBody("pg9-after")); !r.acked() {
		t.Fatalf("write after recovery: %d %s", r.status, r.resp)
	}
	checkAfterRestart(t, s, calls, true)
	t.Logf("%d refused with 503 while Postgres was down", unavailable)
}

// A lock held on the head row: writes time out with a clear problem, the queue is bounded
// and says so, and nothing waits past twice the statement timeout.
func TestFaultSlowDatabaseBoundsTheQueue(t *testing.T) {
	dir := privateDir(t)
	stopPostgresAtEnd(t, dir)
	const timeout = 2 * time.Second
	s := startServer(t, dir, access.NewToken(), "IPLEDGER_STATEMENT_TIMEOUT="+timeout.String(), "IPLEDGER_WRITE_QUEUE=8")
	sock, _ := filepath.Abs(filepath.Join(dir, "pg", ".s.PGSQL.5432"))
	db, err := pgdb.Open("unix://"+pgdb.Superuser+"@"+appDatabase+sock+"?sslmode=disable", pgdb.Config{MaxConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, `SELECT 1 FROM ledger.head FOR UPDATE`); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	codes := map[string]int{}
	for i := range 40 {
		wg.Go(func() {
			key := fmt.Sprintf("slow-%d", i)
			r := s.post("/v1/parties", key, partyBody(key))
			mu.Lock()
			defer mu.Unlock()
			codes[r.code()]++
			if r.status != http.StatusServiceUnavailable || r.header.Get("Retry-After") == "" {
				t.Errorf("%s: %d %s, want 503 with Retry-After", key, r.status, r.resp)
			}
			if r.took > 2*timeout+3*time.Second {
				t.Errorf("%s waited %s, past twice the statement timeout", key, r.took)
			}
		})
	}
	wg.Wait()
	if codes["queue_full"] == 0 || codes["timeout"] == 0 || codes["queue_full"]+codes["timeout"] != 40 {
		t.Errorf("answers by code %v: want timeout for the queued, queue_full past the bound", codes)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	if r := s.post("/v1/parties", "slow-after", partyBody("slow-after")); !r.acked() {
		t.Fatalf("write after the lock is gone: %d %s", r.status, r.resp)
	}
	st, b := s.get("/metrics")
	if st != http.StatusOK || !bytes.Contains(b, []byte("ipledger_ledger_queue_capacity 8")) ||
		!bytes.Contains(b, []byte(`ipledger_problems_total{code="queue_full",status="503"}`)) {
		t.Errorf("metrics do not show the bounded queue and its refusals: %d\n%s", st, b)
	}
	if n := partyCounts(t, dir); len(n) != 1 {
		t.Errorf("refused writes were written: %v", n)
	}
	verifyOK(t, s)
	t.Logf("answers by code while the head was locked: %v", codes)
}
