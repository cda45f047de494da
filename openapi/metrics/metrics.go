// Package metrics holds the service's Prometheus metrics: HTTP requests by operation and
// status, the ledger's committer (batch size, commit latency, queue depth, head), idempotent
// replays, refusals by problem code, the database pools and ledger verification. The ledger
// keeps no metrics of its own; it reports to a ledger.Observer, which Metrics is.
package metrics

import (
	"database/sql"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Namespace prefixes every metric name.
const Namespace = "ipledger"

// Metrics is one process's registry and collectors. A nil *Metrics records nothing.
type Metrics struct {
	reg *prometheus.Registry

	requests    *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	replays     *prometheus.CounterVec
	refusals    *prometheus.CounterVec
	batchWrites prometheus.Histogram
	batchSize   prometheus.Histogram
	commitTime  *prometheus.HistogramVec
	verifies    *prometheus.CounterVec
}

// New makes a registry with the Go runtime and process collectors and the service's own.
func New() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: Namespace, Name: "http_requests_total",
		Help: "HTTP requests answered, by operation id and status code.",
	}, []string{"operation", "status"})
	m.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: Namespace, Name: "http_request_duration_seconds",
		Help:    "Time to answer an HTTP request, by operation id.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
	}, []string{"operation"})
	m.replays = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: Namespace, Name: "idempotent_replays_total",
		Help: "Retries answered from the stored first response (Idempotent-Replayed: true), by operation id.",
	}, []string{"operation"})
	m.refusals = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: Namespace, Name: "problems_total",
		Help: "Requests refused with an RFC 9457 problem, by status and problem code.",
	}, []string{"status", "code"})
	m.batchWrites = prometheus.NewHistogram(prometheus.HistogramOpts{
		Namespace: Namespace, Subsystem: "ledger", Name: "batch_writes",
		Help:    "Writes gathered into one ledger transaction (group commit).",
		Buckets: []float64{1, 2, 4, 8, 16, 32, 48, 64},
	})
	m.batchSize = prometheus.NewHistogram(prometheus.HistogramOpts{
		Namespace: Namespace, Subsystem: "ledger", Name: "batch_entries",
		Help:    "Entries committed by one ledger transaction.",
		Buckets: prometheus.ExponentialBuckets(1, 4, 8),
	})
	m.commitTime = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: Namespace, Subsystem: "ledger", Name: "commit_seconds",
		Help:    "Time from BEGIN to COMMIT of one ledger transaction, by result (ok, error).",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 5},
	}, []string{"result"})
	m.verifies = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: Namespace, Subsystem: "ledger", Name: "verify_runs_total",
		Help: "Verifications of the chain and log, by result: ok, broken (a bad entry or node), error (could not run).",
	}, []string{"result"})
	m.reg.MustRegister(m.requests, m.duration, m.replays, m.refusals, m.batchWrites, m.batchSize, m.commitTime, m.verifies)
	for _, r := range []string{"ok", "broken", "error"} {
		m.verifies.WithLabelValues(r) // present at 0 before the first run, so rates work
	}
	return m
}

// Registry is where everything is registered, for tests and extra collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Ledger is what the ledger gauges read at scrape time.
type Ledger interface {
	QueueDepth() int
	QueueCap() int
}

// WatchLedger adds gauges for the committer's queue, and for the head seq as read by head
// (called at scrape time; an error leaves the last value).
func (m *Metrics) WatchLedger(l Ledger, head func() (int64, error)) {
	m.reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Namespace: Namespace, Subsystem: "ledger", Name: "queue_depth",
			Help: "Writes waiting for the committer.",
		}, func() float64 { return float64(l.QueueDepth()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Namespace: Namespace, Subsystem: "ledger", Name: "queue_capacity",
			Help: "The most writes that may wait; past it writes are refused (503 queue_full).",
		}, func() float64 { return float64(l.QueueCap()) }),
	)
	var last float64
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Namespace: Namespace, Subsystem: "ledger", Name: "head_seq",
		Help: "Seq of the last committed ledger entry.",
	}, func() float64 {
		if s, err := head(); err == nil {
			last = float64(s)
		}
		return last
	}))
}

// WatchDB adds the standard database/sql pool statistics for db, labelled db_name=name.
func (m *Metrics) WatchDB(db *sql.DB, name string) {
	m.reg.MustRegister(collectors.NewDBStatsCollector(db, name))
}

// Batch records one ledger transaction (ledger.Observer).
func (m *Metrics) Batch(writes, entries int, took time.Duration, err error) {
	if m == nil {
		return
	}
	result := "ok"
	if err != nil {
		result = "error"
	} else {
		m.batchWrites.Observe(float64(writes))
		m.batchSize.Observe(float64(entries))
	}
	m.commitTime.WithLabelValues(result).Observe(took.Seconds())
}

// Verified records one verification: err when it could not run, else whether it passed.
func (m *Metrics) Verified(ok bool, err error) {
	if m == nil {
		return
	}
	switch {
	case err != nil:
		m.verifies.WithLabelValues("error").Inc()
	case ok:
		m.verifies.WithLabelValues("ok").Inc()
	default:
		m.verifies.WithLabelValues("broken").Inc()
	}
}

// Request records one answered request. code is the problem code when the answer was a
// problem, else "".
func (m *Metrics) Request(operation string, status int, took time.Duration, replayed bool, code string) {
	if m == nil {
		return
	}
	st := strconv.Itoa(status)
	m.requests.WithLabelValues(operation, st).Inc()
	m.duration.WithLabelValues(operation).Observe(took.Seconds())
	if replayed {
		m.replays.WithLabelValues(operation).Inc()
	}
	if code != "" {
		m.refusals.WithLabelValues(st, code).Inc()
	}
}
