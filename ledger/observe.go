package ledger

import (
	"context"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"syscall"
	"time"

	"github.com/uptrace/bun/driver/pgdriver"
)

// Errors that say the database, not the request, is at fault: the caller may retry later.
var (
	// ErrUnavailable: the database cannot be reached (refused, reset, shutting down).
	ErrUnavailable = errors.New("ledger: database unavailable")
	// ErrTimeout: a statement ran past statement_timeout or waited past lock_timeout.
	ErrTimeout = errors.New("ledger: database timed out")
	// ErrBusy: the committer's queue is full; nothing was queued.
	ErrBusy = errors.New("ledger: write queue full")
)

// Observer is told what the committer does, so that the process can keep metrics; the
// ledger itself keeps none and knows nothing of how they are exported.
type Observer interface {
	// Batch is called once per transaction: how many writes it carried, how many entries
	// it committed, how long it took from BEGIN to COMMIT, and its error (nil: committed).
	Batch(writes, entries int, took time.Duration, err error)
}

// QueueDepth is the number of writes waiting for the committer.
func (l *Ledger) QueueDepth() int { return len(l.reqs) }

// QueueCap is the most writes that may wait; one more is refused with ErrBusy.
func (l *Ledger) QueueCap() int { return cap(l.reqs) }

// Running reports whether the committer goroutine is alive and accepting writes.
func (l *Ledger) Running() bool {
	select {
	case <-l.stopped:
		return false
	case <-l.closing:
		return false
	default:
		return true
	}
}

type unavailableError struct {
	kind error // ErrUnavailable or ErrTimeout
	err  error
}

func (e *unavailableError) Error() string        { return e.kind.Error() + ": " + e.err.Error() }
func (e *unavailableError) Unwrap() []error      { return []error{e.kind, e.err} }
func (e *unavailableError) Is(target error) bool { return target == e.kind }

// Classify marks an error from the database driver as ErrUnavailable (the server cannot be
// reached or is going away) or ErrTimeout (statement or lock timeout), keeping the original
// in the chain; other errors are returned as they are. Callers map the marks with errors.Is.
func Classify(err error) error {
	if err == nil || errors.Is(err, ErrUnavailable) || errors.Is(err, ErrTimeout) ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return err // the caller's own deadline (which is also a net.Error) is not the database's fault
	}
	var pg pgdriver.Error
	if errors.As(err, &pg) {
		code := pg.Field('C')
		switch {
		case code == "57014" || code == "55P03": // query_canceled (statement_timeout), lock_not_available
			return &unavailableError{ErrTimeout, err}
		case len(code) == 5 && code[:2] == "08", // connection exceptions
			code == "57P01", code == "57P02", code == "57P03", // admin/crash shutdown, cannot connect now
			code == "53300": // too many connections
			return &unavailableError{ErrUnavailable, err}
		}
		return err
	}
	var netErr *net.OpError // dial, read and write on the connection (not any Errno, which is a net.Error too)
	switch {
	case errors.Is(err, driver.ErrBadConn), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.Is(err, syscall.ENOENT) && isDial(err),
		errors.As(err, &netErr):
		return &unavailableError{ErrUnavailable, err}
	}
	return err
}

// transient reports whether err says the database is unavailable or timed out.
func transient(err error) bool {
	err = Classify(err)
	return errors.Is(err, ErrUnavailable) || errors.Is(err, ErrTimeout)
}

func isDial(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// filterDone answers, without touching the database, the queued writes whose callers have
// gone or that waited past MaxWait (the committer was stuck), and returns the rest.
func (l *Ledger) filterDone(batch []*request) []*request {
	live := batch[:0]
	for _, r := range batch {
		if err := r.ctx.Err(); err != nil {
			r.done <- result{err: err}
			continue
		}
		if l.maxWait > 0 && time.Since(r.at) > l.maxWait {
			r.done <- result{err: &unavailableError{ErrTimeout, errors.New("waited too long in the write queue")}}
			continue
		}
		live = append(live, r)
	}
	return live
}
