package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"time"

	"ipledger/ledger"
	"ipledger/openapi"
	"ipledger/openapi/metrics"
	"ipledger/registry"
)

// opsConfig is how the service behaves on a bad day (README.md, Operations).
type opsConfig struct {
	MetricsAddr      string        // IPLEDGER_METRICS_ADDR: serve /metrics here, unauthenticated; unset: on the main address to admins and auditors
	StatementTimeout time.Duration // IPLEDGER_STATEMENT_TIMEOUT: bounds every statement (default 60s); writes wait in the queue at most as long
	WriteQueue       int           // IPLEDGER_WRITE_QUEUE: writes that may wait for the committer (default 1024); past it 503 queue_full
	WALArchive       string        // IPLEDGER_WAL_ARCHIVE: a backup directory the private cluster archives its WAL into
}

func loadOpsConfig() (opsConfig, error) {
	o := opsConfig{MetricsAddr: os.Getenv("IPLEDGER_METRICS_ADDR"), StatementTimeout: 60 * time.Second, WriteQueue: 1024,
		WALArchive: os.Getenv("IPLEDGER_WAL_ARCHIVE")}
	if v := os.Getenv("IPLEDGER_STATEMENT_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 100*time.Millisecond {
			return o, fmt.Errorf("IPLEDGER_STATEMENT_TIMEOUT=%q: want a duration of at least 100ms, such as 30s", v)
		}
		o.StatementTimeout = d
	}
	if v := os.Getenv("IPLEDGER_WRITE_QUEUE"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return o, fmt.Errorf("IPLEDGER_WRITE_QUEUE=%q: want a number of writes ≥ 1", v)
		}
		o.WriteQueue = n
	}
	return o, nil
}

// ledgerOptions are the committer's bounds and its observer.
func (o opsConfig) ledgerOptions(m *metrics.Metrics) ledger.Options {
	return ledger.Options{Observer: m, QueueSize: o.WriteQueue, MaxWait: o.StatementTimeout}
}

// startOps registers the pool and ledger gauges, restarts a private cluster that dies, and
// serves /metrics on IPLEDGER_METRICS_ADDR when set. It returns whether metrics are served
// elsewhere than the main address, and a function that stops what it started.
func startOps(ctx context.Context, log *slog.Logger, st *store) (elsewhere bool, stop func(), err error) {
	m := st.metrics
	m.WatchDB(st.db.DB, "primary")
	if st.read != st.db {
		m.WatchDB(st.read.DB, "read")
	}
	m.WatchLedger(st.ledger, func() (int64, error) {
		hctx, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		return ledger.LastSeq(hctx, st.db)
	})
	sctx, cancel := context.WithCancel(ctx)
	if st.cluster != nil {
		st.cluster.Supervise(sctx)
	}
	addr := st.cfg.Ops.MetricsAddr
	if addr == "" {
		return false, cancel, nil
	}
	ln, err := listen(addr)
	if err != nil {
		cancel()
		return false, nil, fmt.Errorf("IPLEDGER_METRICS_ADDR: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics listener", "err", err)
		}
	}()
	log.Info("serving metrics", "addr", "http://"+ln.Addr().String()+"/metrics")
	return true, func() { cancel(); _ = srv.Close() }, nil
}

// readYourWritesWait bounds how long a read that names its write's seq waits for the replica
// before it is answered from the primary.
const readYourWritesWait = 2 * time.Second

// handler is the API. With reads on a replica (IPLEDGER_READ_DATABASE_URL), a read that
// carries Ipledger-Seq is answered from the primary when the replica has not replayed that
// entry in time (openapi.ReadYourWrites).
func handler(api *openapi.Server, st *store) http.Handler {
	if st.read == st.db {
		return api.Handler()
	}
	d := api.Deps
	d.ReadDB, d.Registry = st.db, registry.New(st.ledger)
	return openapi.ReadYourWrites(api.Handler(), openapi.New(d).Handler(), st.read, readYourWritesWait)
}
