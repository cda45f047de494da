package registry

import (
	"errors"
	"strings"
	"testing"
)

// TestBackgroundPanicIsError: a panic on a batch's projection goroutine is that batch's error,
// not the end of the process (the ledger treats a write's own panic the same way).
func TestBackgroundPanicIsError(t *testing.T) {
	if err := <-background(func() error { panic("boom") }); err == nil || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("panic: err = %v, want one naming the panic", err)
	}
	want := errors.New("failed")
	if err := <-background(func() error { return want }); err != want {
		t.Fatalf("error: err = %v, want %v", err, want)
	}
	if err := <-background(func() error { return nil }); err != nil {
		t.Fatalf("success: err = %v", err)
	}
}
