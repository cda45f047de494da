package ledger

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"
)

// Classify marks what says the database is gone, and leaves the caller's own deadline and
// every other error alone.
func TestClassify(t *testing.T) {
	dial := &net.OpError{Op: "dial", Net: "unix", Err: syscall.ENOENT}
	for _, c := range []struct {
		err  error
		want error
	}{
		{fmt.Errorf("ledger: begin: %w", dial), ErrUnavailable},
		{fmt.Errorf("x: %w", syscall.ECONNREFUSED), ErrUnavailable},
		{fmt.Errorf("x: %w", io.EOF), ErrUnavailable},
		{fmt.Errorf("x: %w", io.ErrUnexpectedEOF), ErrUnavailable},
		{fmt.Errorf("x: %w", context.DeadlineExceeded), context.DeadlineExceeded},
		{fmt.Errorf("x: %w", syscall.ENOENT), syscall.ENOENT}, // not a dial: a missing file
		{ErrNotFound, ErrNotFound},
	} {
		got := Classify(c.err)
		if !errors.Is(got, c.want) {
			t.Errorf("Classify(%v) = %v, want it to be %v", c.err, got, c.want)
		}
		if c.want != ErrUnavailable && (errors.Is(got, ErrUnavailable) || errors.Is(got, ErrTimeout)) {
			t.Errorf("Classify(%v) marked %v as the database's fault", c.err, got)
		}
		if !errors.Is(got, c.err) {
			t.Errorf("Classify(%v) lost the original error", c.err)
		}
	}
	if Classify(nil) != nil {
		t.Error("Classify(nil) != nil")
	}
}
