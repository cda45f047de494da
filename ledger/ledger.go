package ledger

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/transparency-dev/merkle/compact"
	"github.com/uptrace/bun"

	"ipledger/ledger/pgcopy"
)

// Errors callers act on.
var (
	ErrNotFound = errors.New("ledger: no such entry")
	// ErrIdempotentReplay: a write with this actor and idempotency key was committed before;
	// nothing was written now, and the first response should be returned.
	ErrIdempotentReplay = errors.New("ledger: idempotency key already used")
	ErrClosed           = errors.New("ledger: closed")
	ErrNoActor          = errors.New("ledger: no actor in context")
)

// Ledger appends entries. Concurrent writes are gathered into one database transaction per
// round (group commit): one lock on the chain head, one multi-row insert and one commit for
// many writers, which is what keeps a hash chain linear without paying a commit per entry.
type Ledger struct {
	db       *bun.DB
	log      *slog.Logger
	reqs     chan *request
	maxBatch int

	closeOnce sync.Once
	sendMu    sync.RWMutex // held (read) while queueing, so Close knows when no one still can
	closed    bool         // under sendMu
	closing   chan struct{}
	stopped   chan struct{}

	// The Merkle log (merkle.go). rng and rngHead belong to the committer goroutine.
	key     *LogKey
	origin  string
	noLog   bool
	obs     Observer
	maxWait time.Duration
	rng     *compact.Range
	rngHead Hash
	signed  atomic.Pointer[StoredCheckpoint] // the last checkpoint this process signed or saw

	stmtMu     sync.Mutex
	rcptStmt   *sql.Stmt // receiptSQL, prepared at the first receipt
	stmtClosed bool      // Close has closed it: no more are prepared
}

// Options for New.
type Options struct {
	// MaxBatch caps the writes gathered into one transaction (default 48: each write with
	// projection work runs in a savepoint, and Postgres caches 64 subtransactions a backend).
	MaxBatch int
	Log      *slog.Logger
	// Key signs the log's checkpoints; nil: a key made for this process alone (tests).
	Key *LogKey
	// Origin is the checkpoints' first line (default DefaultOrigin).
	Origin string
	// WithoutLog keeps no Merkle tree and signs no checkpoints: only for measuring what
	// the log costs (docs/BENCHMARKS.md). A ledger written so cannot give receipts.
	WithoutLog bool
	// Observer, if set, is told of every batch (metrics).
	Observer Observer
	// QueueSize bounds the writes waiting for the committer (default 1024); past it a
	// write is refused at once with ErrBusy rather than wait without bound.
	QueueSize int
	// MaxWait bounds how long a write may wait in the queue (0: no bound); past it the
	// write is answered ErrTimeout without being run, so a stuck database cannot pile up
	// writes for longer than this plus one statement's timeout.
	MaxWait time.Duration
}

// New starts the ledger's committer over db. Close stops it.
func New(db *bun.DB, opts Options) *Ledger {
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = 48
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Origin == "" {
		opts.Origin = DefaultOrigin
	}
	if opts.QueueSize <= 0 {
		opts.QueueSize = 1024
	}
	l := &Ledger{
		db:       db,
		log:      opts.Log,
		reqs:     make(chan *request, opts.QueueSize),
		maxBatch: opts.MaxBatch,
		closing:  make(chan struct{}),
		stopped:  make(chan struct{}),
		key:      opts.Key,
		origin:   opts.Origin,
		noLog:    opts.WithoutLog,
		obs:      opts.Observer,
		maxWait:  opts.MaxWait,
	}
	if l.key == nil {
		_, k, err := NewLogKey(keyName(opts.Origin))
		if err != nil {
			panic(err) // only if the system's random source fails
		}
		l.key = k
	}
	started := make(chan struct{})
	go l.run(started)
	<-started // the log's checkpoint is in place before the first read of it
	return l
}

// DB is the database the ledger writes to, for reads.
func (l *Ledger) DB() *bun.DB { return l.db }

// Close stops accepting writes, finishes those queued, and returns.
func (l *Ledger) Close() error {
	l.closeOnce.Do(func() {
		l.sendMu.Lock() // waits for writers that are queueing right now
		l.closed = true
		l.sendMu.Unlock()
		close(l.closing)
	})
	<-l.stopped
	l.stmtMu.Lock()
	defer l.stmtMu.Unlock()
	if l.rcptStmt != nil {
		_ = l.rcptStmt.Close()
		l.rcptStmt = nil
	}
	l.stmtClosed = true
	return nil
}

// Tx is one write's view of the batch transaction: it reads and writes projections through
// DB() and appends entries that commit atomically with them.
type Tx struct {
	tx      pgcopy.Tx
	now     time.Time
	actor   string
	idemKey string
	next    int64
	prev    Hash
	entries []Entry

	savepoint func() error // opens the savepoint; nil when the write is alone in its batch
	saved     bool
	spErr     error
}

// DB is the transaction, for the caller's reads and projection writes. The first call opens
// this write's savepoint, so writes that only append pay no extra round trips.
func (t *Tx) DB() bun.IDB {
	if t.savepoint != nil && !t.saved {
		t.saved = true
		t.spErr = t.savepoint()
	}
	return t.tx
}

// Now is the recording time of every entry in this transaction.
func (t *Tx) Now() time.Time { return t.now }

// Append adds an entry to the chain; it commits with the transaction or not at all.
func (t *Tx) Append(d Draft) (Entry, error) {
	payload, err := canonicalPayload(d)
	if err != nil {
		return Entry{}, err
	}
	if d.Kind == "" || d.Subject == "" {
		return Entry{}, errors.New("ledger: entry needs a kind and a subject")
	}
	if err := checkText(d.Kind); err != nil {
		return Entry{}, fmt.Errorf("ledger: kind: %w", err)
	}
	if err := checkText(d.Subject); err != nil {
		return Entry{}, fmt.Errorf("ledger: subject: %w", err)
	}
	y, m, dd := d.EffectiveOn.Date()
	if y < 1 || y > 9999 {
		// Postgres would take other years, but not in the four-digit form the hash uses.
		return Entry{}, fmt.Errorf("ledger: effective_on year %d is outside 1..9999", y)
	}
	e := Entry{
		Seq:            t.next,
		Kind:           d.Kind,
		Subject:        d.Subject,
		Actor:          t.actor,
		EffectiveOn:    time.Date(y, m, dd, 0, 0, 0, 0, time.UTC),
		RecordedAt:     t.now,
		Payload:        payload,
		IdempotencyKey: t.idemKey,
		PrevHash:       t.prev,
	}
	e.Hash = ComputeHash(&e)
	t.next++
	t.prev = e.Hash
	t.entries = append(t.entries, e)
	return e, nil
}

// canonicalPayload is d's payload in canonical form: as given when it is a Canonical.
func canonicalPayload(d Draft) ([]byte, error) {
	c, ok := d.Payload.(Canonical)
	if !ok {
		var err error
		if c, err = CanonicalPayload(d.Payload); err != nil {
			return nil, fmt.Errorf("ledger: %s: %w", d.Kind, err)
		}
	}
	if c.b == nil { // a zero Canonical, not made by CanonicalPayload
		return nil, fmt.Errorf("ledger: %s: empty canonical payload", d.Kind)
	}
	return c.b, nil
}

// Entries appended so far in this write.
func (t *Tx) Entries() []Entry { return t.entries }

type ctxKey int

const (
	actorKey ctxKey = iota
	idemKey
)

// WithActor names who acts in ctx; every entry written under it carries the actor.
func WithActor(ctx context.Context, actor string) context.Context {
	return context.WithValue(ctx, actorKey, actor)
}

// ActorFrom returns the actor in ctx.
func ActorFrom(ctx context.Context) string {
	s, _ := ctx.Value(actorKey).(string)
	return s
}

// Idempotency identifies a retried request: the key its client chose and a hash of what it
// asked. The ledger marks it committed once a write has recorded the key.
type Idempotency struct {
	Key         string
	RequestHash []byte
	committed   atomic.Bool
}

// Committed reports whether a write under this key was committed by this request.
func (i *Idempotency) Committed() bool { return i != nil && i.committed.Load() }

// WithIdempotency marks writes under ctx as the one request that key names; an empty key
// removes the mark. The returned *Idempotency tells afterwards whether the key was committed.
func WithIdempotency(ctx context.Context, key string, requestHash []byte) (context.Context, *Idempotency) {
	if key == "" {
		return context.WithValue(ctx, idemKey, (*Idempotency)(nil)), nil
	}
	i := &Idempotency{Key: key, RequestHash: requestHash}
	return context.WithValue(ctx, idemKey, i), i
}

func idempotencyFrom(ctx context.Context) *Idempotency {
	v, _ := ctx.Value(idemKey).(*Idempotency)
	return v
}

type inWriteKey struct{}

type request struct {
	ctx   context.Context
	actor string
	idem  *Idempotency
	fn    func(context.Context, *Tx) error
	done  chan result
	at    time.Time // when it was queued
}

func (r *request) key() string {
	if r.idem == nil {
		return ""
	}
	return r.idem.Key
}

type result struct {
	entries []Entry
	err     error
}

// Write runs fn inside the ledger's transaction and commits what it appended together with
// its projection writes; when fn returns an error nothing of it is kept. Writes are
// serialised: fn sees every earlier write, committed or in the same batch. fn must act only
// through tx: if another write in its batch breaks the batch's insert, fn is run again in a
// transaction of its own. Each statement is bounded by the connection's statement_timeout.
func (l *Ledger) Write(ctx context.Context, fn func(context.Context, *Tx) error) ([]Entry, error) {
	actor := ActorFrom(ctx)
	if actor == "" {
		return nil, ErrNoActor
	}
	if err := checkText(actor); err != nil {
		return nil, fmt.Errorf("ledger: actor: %w", err)
	}
	if ctx.Value(inWriteKey{}) != nil {
		// The committer is busy running the caller: waiting for it would never end.
		return nil, errors.New("ledger: Write called from inside a write")
	}
	idem := idempotencyFrom(ctx)
	if idem != nil {
		// The key is hashed as given: text Postgres would change or refuse breaks the chain.
		if err := checkText(idem.Key); err != nil {
			return nil, fmt.Errorf("ledger: idempotency key: %w", err)
		}
	}
	r := &request{ctx: ctx, actor: actor, idem: idem, fn: fn, done: make(chan result, 1), at: time.Now()}
	l.sendMu.RLock()
	if l.closed {
		l.sendMu.RUnlock()
		return nil, ErrClosed
	}
	select {
	case l.reqs <- r:
	case <-ctx.Done():
		l.sendMu.RUnlock()
		return nil, ctx.Err()
	default:
		l.sendMu.RUnlock()
		return nil, ErrBusy
	}
	l.sendMu.RUnlock()
	// Once queued, wait for the outcome even if ctx ends: the write may already be committed.
	res := <-r.done
	if res.err == nil && len(res.entries) > 0 {
		noteWritten(ctx, res.entries[len(res.entries)-1].Seq)
	}
	return res.entries, res.err
}

// Append writes drafts with no projection work.
func (l *Ledger) Append(ctx context.Context, drafts ...Draft) ([]Entry, error) {
	return l.Write(ctx, func(_ context.Context, tx *Tx) error {
		for _, d := range drafts {
			if _, err := tx.Append(d); err != nil {
				return err
			}
		}
		return nil
	})
}

func (l *Ledger) run(started chan<- struct{}) {
	defer close(l.stopped)
	if !l.noLog {
		if err := l.startLog(context.Background()); err != nil {
			l.log.Error("ledger: checkpoint at start", "err", err)
		}
	}
	close(started)
	batch := make([]*request, 0, l.maxBatch)
	for {
		batch = batch[:0]
		select {
		case r := <-l.reqs:
			batch = append(batch, r)
		case <-l.closing:
			// Drain what was queued before closing.
			for {
				select {
				case r := <-l.reqs:
					l.commit([]*request{r})
				default:
					return
				}
			}
		}
		// Writers answered by the last commit queue their next write a moment later: let
		// them run (a yield, not a timer) while that brings more, so that one round of
		// writers makes one batch rather than a full one and a batch of one or two, each
		// paying a commit, a checkpoint and the tree's top levels (docs/BENCHMARKS.md).
		for round := 0; round < 8 && len(batch) < l.maxBatch; round++ {
			had := len(batch)
			runtime.Gosched()
		fill:
			for len(batch) < l.maxBatch {
				select {
				case r := <-l.reqs:
					batch = append(batch, r)
				default:
					break fill
				}
			}
			if len(batch) == had {
				break
			}
		}
		l.commit(batch)
	}
}

type outcome struct {
	r       *request
	entries []Entry
	err     error
}

// commit runs one batch in one transaction. A failing write is rolled back to its savepoint
// alone. If the batch fails before COMMIT is sent (one write's entries broke the insert, say),
// each write is run again in a transaction of its own, so only the culprit fails; a failure at
// COMMIT fails the whole batch, and nothing of it was acknowledged.
func (l *Ledger) commit(batch []*request) {
	if batch = l.filterDone(batch); len(batch) == 0 {
		return
	}
	ctx := context.Background()
	start := time.Now()
	outs := make([]outcome, len(batch))
	for i, r := range batch {
		outs[i].r = r
	}
	err := l.commitBatch(ctx, outs)
	var (
		pre        *beforeCommitError
		notStarted *notStartedError
	)
	// A batch that could not even lock the head found the database down or stuck before any
	// write ran: no write is at fault, and running each alone would wait once per write.
	if err != nil && len(batch) > 1 && errors.As(err, &pre) && !(errors.As(err, &notStarted) && transient(err)) {
		// Run each write alone so that only the culprit fails. A connection one write broke
		// (a statement timeout can) looks like a database that is down, so that is no reason
		// to skip this; but once a write run alone finds the database down or stuck, the rest
		// are answered with that instead of waiting for it once per write.
		var down error
		for i := range outs {
			if outs[i].err != nil {
				continue // its own failure, already rolled back alone
			}
			if down != nil {
				outs[i].err, outs[i].entries = down, nil
				continue
			}
			one := []outcome{{r: outs[i].r}}
			if err := l.commitBatch(ctx, one); err != nil && one[0].err == nil {
				one[0].err = err
				if transient(err) {
					down = err
				}
			}
			outs[i] = one[0]
		}
		err = nil
	}
	if l.obs != nil {
		n := 0
		for _, o := range outs {
			n += len(o.entries)
		}
		l.obs.Batch(len(batch), n, time.Since(start), err)
	}
	for _, o := range outs {
		if err != nil && o.err == nil {
			o.err = err
			o.entries = nil
		}
		if o.err == nil && o.r.key() != "" && len(o.entries) > 0 {
			o.r.idem.committed.Store(true)
		}
		o.r.done <- result{entries: o.entries, err: o.err}
	}
}

// notStartedError marks a batch failure before any write's work ran (begin, head lock).
type notStartedError struct{ err error }

func (e *notStartedError) Error() string { return e.err.Error() }
func (e *notStartedError) Unwrap() error { return e.err }

// beforeCommitError marks a batch failure that happened before COMMIT was sent: nothing of
// the batch can have been committed, so its writes may be retried.
type beforeCommitError struct{ err error }

func (e *beforeCommitError) Error() string { return e.err.Error() }
func (e *beforeCommitError) Unwrap() error { return e.err }

func (l *Ledger) commitBatch(ctx context.Context, outs []outcome) (err error) {
	// On a connection of its own, so that bulk rows can be copied (pgcopy).
	tx, err := pgcopy.Begin(ctx, l.db, &sql.TxOptions{})
	if err != nil {
		return &notStartedError{fmt.Errorf("ledger: begin: %w", err)}
	}
	committing := false
	defer func() {
		if err != nil {
			_ = tx.Rollback()
			if !committing {
				err = &beforeCommitError{err}
			}
		}
	}()
	if len(outs) == 1 && outs[0].r.ctx.Err() != nil {
		outs[0].err = outs[0].r.ctx.Err()
		return tx.Rollback()
	}
	var (
		headSeq  int64
		headHash []byte
		headAt   time.Time
		clock    time.Time
	)
	if err := tx.QueryRowContext(ctx,
		`SELECT seq, hash, recorded_at, clock_timestamp() FROM ledger.head FOR UPDATE`,
	).Scan(&headSeq, &headHash, &headAt, &clock); err != nil {
		return &notStartedError{fmt.Errorf("ledger: lock head: %w", err)}
	}
	// One clock (the database's), never running backwards along the chain, so that
	// "known at T" is always a prefix of it.
	now := clock.UTC().Truncate(time.Microsecond)
	if now.Before(headAt) {
		now = headAt.UTC()
	}
	next := headSeq + 1
	var prev Hash
	copy(prev[:], headHash)
	single := len(outs) == 1

	var all []Entry
	for i := range outs {
		o := &outs[i]
		r := o.r
		if err := r.ctx.Err(); err != nil {
			o.err = err
			continue
		}
		if r.key() != "" {
			var n int
			if err := tx.QueryRowContext(ctx,
				`SELECT count(*) FROM ledger.idempotency WHERE actor = ? AND key = ?`, r.actor, r.key(),
			).Scan(&n); err != nil {
				return fmt.Errorf("ledger: idempotency lookup: %w", err)
			}
			if n > 0 {
				o.err = ErrIdempotentReplay
				continue
			}
		}
		t := &Tx{tx: tx, now: now, actor: r.actor, idemKey: r.key(), next: next, prev: prev}
		if !single {
			t.savepoint = func() error {
				_, err := tx.ExecContext(ctx, `SAVEPOINT w`)
				return err
			}
		}
		// Not the request's own context: cancelling a statement would break the connection
		// the whole batch shares. The connection's statement_timeout bounds each statement.
		ferr := safeRun(context.WithValue(context.WithoutCancel(r.ctx), inWriteKey{}, true), r.fn, t)
		if t.spErr != nil {
			return fmt.Errorf("ledger: savepoint: %w", t.spErr)
		}
		if ferr == nil && r.key() != "" && len(t.entries) > 0 {
			if _, err := t.DB().ExecContext(ctx,
				`INSERT INTO ledger.idempotency (actor, key, request_hash, first_seq, last_seq, recorded_at) VALUES (?, ?, ?, ?, ?, ?)`,
				r.actor, r.key(), r.idem.RequestHash, t.entries[0].Seq, t.entries[len(t.entries)-1].Seq, now,
			); err != nil {
				ferr = fmt.Errorf("ledger: record idempotency key: %w", err)
			}
			if t.spErr != nil {
				return fmt.Errorf("ledger: savepoint: %w", t.spErr)
			}
		}
		if ferr != nil {
			o.err = ferr
			if single {
				break // nothing else in this transaction: it is rolled back below
			}
			if t.saved {
				if _, err := tx.ExecContext(ctx, `ROLLBACK TO SAVEPOINT w`); err != nil {
					return fmt.Errorf("ledger: rollback to savepoint: %w", err)
				}
			}
			continue
		}
		if t.saved {
			if _, err := tx.ExecContext(ctx, `RELEASE SAVEPOINT w`); err != nil {
				return fmt.Errorf("ledger: release savepoint: %w", err)
			}
		}
		o.entries = t.entries
		all = append(all, t.entries...)
		next = t.next
		prev = t.prev
	}
	if len(all) == 0 {
		return tx.Rollback() // nothing to write; a failed write's error is its own
	}
	// The log's work in Go (hashing the tree, signing the checkpoint) runs while the
	// entries' INSERT is on its way; its nodes and checkpoint are then stored by the
	// statement that moves the head, in the same transaction. The compact range is checked
	// against the locked head (and reloaded if another process appended) before that.
	var logged chan logResult
	if !l.noLog {
		base, err := l.syncRange(ctx, tx, headSeq, hashOf(headHash))
		if err != nil {
			return err
		}
		logged = make(chan logResult, 1)
		go func() {
			st, err := l.extendLog(base, all, now)
			logged <- logResult{st, err}
		}()
	}
	if err := insertEntries(ctx, tx, all); err != nil {
		return err
	}
	const moveHead = `UPDATE ledger.head SET seq = ?, hash = ?, recorded_at = ?`
	var step *logStep
	if logged != nil {
		res := <-logged
		if res.err != nil {
			return res.err
		}
		step = res.st
		if err := storeLog(ctx, tx, step, moveHead, next-1, prev[:], now); err != nil {
			return err
		}
	} else if _, err := tx.ExecContext(ctx, moveHead, next-1, prev[:], now); err != nil {
		return fmt.Errorf("ledger: move head: %w", err)
	}
	committing = true
	if err := tx.Commit(); err != nil {
		l.rng = nil // committed or not: reload from what the database holds
		return fmt.Errorf("ledger: commit: %w", err)
	}
	if step != nil {
		l.rng, l.rngHead = step.rng, prev
		l.signed.Store(&StoredCheckpoint{Checkpoint: step.cp, Note: step.note})
	}
	return nil
}

// safeRun turns a panic in a write into that write's error, so one bad write cannot take
// the committer (and every other writer) down.
func safeRun(ctx context.Context, fn func(context.Context, *Tx) error, t *Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("ledger: write panicked: %v", p)
		}
	}()
	return fn(ctx, t)
}

type logResult struct {
	st  *logStep
	err error
}

// hashOf reads a 32-byte hash column.
func hashOf(b []byte) Hash {
	var h Hash
	copy(h[:], b)
	return h
}

// insertEntries writes entries in chain order. A bulk write (an import's 2,500 entries) is
// copied (pgcopy): as arrays unnested, Postgres read the rows twice, first as array literals
// (docs/BENCHMARKS.md, ninth session). A batch of a few dozen writes, the live path's, keeps
// its short VALUES list, one round trip with nothing to set up.
func insertEntries(ctx context.Context, tx pgcopy.Tx, entries []Entry) error {
	if len(entries) < pgcopy.MinRows {
		return insertEntryValues(ctx, tx.Tx, entries)
	}
	return copyEntries(ctx, tx, entries)
}

// insertEntryValues inserts entries as VALUES rows, up to 500 a statement.
func insertEntryValues(ctx context.Context, tx bun.Tx, entries []Entry) error {
	const chunk = 500
	var sb strings.Builder
	for start := 0; start < len(entries); start += chunk {
		end := min(start+chunk, len(entries))
		sb.Reset()
		args := make([]any, 0, (end-start)*10)
		sb.WriteString(`INSERT INTO ledger.entries (seq, kind, subject, actor, effective_on, recorded_at, payload, idempotency_key, prev_hash, hash) VALUES `)
		for i, e := range entries[start:end] {
			if i > 0 {
				sb.WriteByte(',')
			}
			sb.WriteString(`(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
			var key any
			if e.IdempotencyKey != "" {
				key = e.IdempotencyKey
			}
			args = append(args, e.Seq, e.Kind, e.Subject, e.Actor, e.EffectiveDate(), e.RecordedAt,
				string(e.Payload), key, e.PrevHash[:], e.Hash[:])
		}
		if _, err := tx.ExecContext(ctx, sb.String(), args...); err != nil {
			return fmt.Errorf("ledger: insert entries %d..%d: %w", entries[start].Seq, entries[end-1].Seq, err)
		}
	}
	return nil
}

var copiedColumns = []string{"seq", "kind", "subject", "actor", "effective_on", "recorded_at", "payload", "idempotency_key", "prev_hash", "hash"}

// copyEntries copies entries: a row goes through the same checks and the chain's row trigger
// as an INSERT's.
func copyEntries(ctx context.Context, tx pgcopy.Tx, es []Entry) error {
	var rows pgcopy.Rows
	var eff, rec time.Time // the last formatted: a write's entries share their recording time, mostly their day
	var effs, recs string
	for i := range es {
		e := &es[i]
		rows.Int(e.Seq)
		rows.Text(e.Kind)
		rows.Text(e.Subject)
		rows.Text(e.Actor)
		if i == 0 || !e.EffectiveOn.Equal(eff) {
			eff, effs = e.EffectiveOn, e.EffectiveDate()
		}
		rows.Text(effs)
		if i == 0 || !e.RecordedAt.Equal(rec) {
			rec, recs = e.RecordedAt, FormatTime(e.RecordedAt)
		}
		rows.Text(recs)
		rows.Text(string(e.Payload))
		if e.IdempotencyKey == "" {
			rows.Null()
		} else {
			rows.Text(e.IdempotencyKey)
		}
		rows.Bytea(e.PrevHash[:])
		rows.Bytea(e.Hash[:])
		rows.End()
	}
	if err := pgcopy.Copy(ctx, tx, "ledger.entries", copiedColumns, &rows); err != nil {
		return fmt.Errorf("ledger: insert entries %d..%d: %w", es[0].Seq, es[len(es)-1].Seq, err)
	}
	return nil
}

// checkText refuses what a Postgres text column cannot hold, so that one bad write cannot
// break the insert of a whole batch.
func checkText(s string) error {
	if !utf8.ValidString(s) {
		return errors.New("not valid UTF-8")
	}
	if strings.IndexByte(s, 0) >= 0 {
		return errors.New("contains a NUL byte")
	}
	return nil
}
