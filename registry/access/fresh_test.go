package access

import (
	"context"
	"sync"
	"testing"
	"time"
)

// TestFreshReadNeverOlderThanTheCall: callers that arrive while a read is out wait for the
// next read, sent after that one is back, and share it; a caller never takes the result of
// a read sent before it arrived.
func TestFreshReadNeverOlderThanTheCall(t *testing.T) {
	var (
		mu      sync.Mutex
		sent    int64
		started = make(chan int64, 8)
		release = make(chan struct{})
	)
	f := &freshRead{read: func(context.Context) (int64, error) {
		mu.Lock()
		sent++
		n := sent
		mu.Unlock()
		started <- n
		<-release
		return n, nil
	}}
	ctx := context.Background()
	first := make(chan int64)
	go func() { n, _ := f.get(ctx); first <- n }()
	if n := <-started; n != 1 {
		t.Fatalf("first read numbered %d", n)
	}
	// Read 1 is out; these callers arrive after it was sent.
	const late = 5
	got := make(chan int64, late)
	for range late {
		go func() { n, _ := f.get(ctx); got <- n }()
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		f.mu.Lock()
		queued := f.queued != nil
		f.mu.Unlock()
		if queued || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond) // the other late callers join the queued read
	release <- struct{}{}
	if n := <-first; n != 1 {
		t.Fatalf("the first caller got read %d, want 1", n)
	}
	select {
	case n := <-got:
		t.Fatalf("a caller that arrived while read 1 was out got read %d before read 2 was sent", n)
	case n := <-started:
		if n != 2 {
			t.Fatalf("the queued read is numbered %d, want 2", n)
		}
		release <- struct{}{}
	case <-time.After(5 * time.Second):
		t.Fatal("no read sent for the callers that arrived while read 1 was out")
	}
	for range late {
		if n := <-got; n != 2 {
			t.Fatalf("a caller that arrived while read 1 was out got read %d, want 2 (sent after it arrived)", n)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if sent != 2 {
		t.Fatalf("%d reads for %d callers, want 2", sent, late+1)
	}
}
