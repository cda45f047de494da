package registry

import (
	"context"
	"sync"

	"ipledger/ledger"
)

// gather turns concurrent single-item writes into batch writes: a call that arrives while a
// batch of its kind is being written waits and goes into the next batch, which is one ledger
// write through the batch path (RegisterAssets, RegisterPledges). The batch path checks every
// item in order against the state including the items before it, exactly as if the calls had
// been written one after another, so the answers are the same; what is saved is the per-write
// work (a savepoint, the policy and reference reads, one statement per table instead of one
// per item). Calls of different actors never share a write (every entry names its actor);
// a call with an idempotency key is not gathered (the key marks one write).
type gather[In, Out any] struct {
	max   int
	write func(ctx context.Context, ins []In) ([]Out, error)

	mu      sync.Mutex
	running bool
	queue   []*gathered[In, Out]
}

type gathered[In, Out any] struct {
	ctx   context.Context
	actor string
	in    In
	out   Out
	err   error
	done  chan struct{}
}

// do writes in, alone or with the calls queued beside it.
func (g *gather[In, Out]) do(ctx context.Context, in In) (Out, error) {
	if ledger.HasIdempotencyKey(ctx) {
		outs, err := g.write(ctx, []In{in})
		if err != nil {
			var zero Out
			return zero, err
		}
		return outs[0], nil
	}
	c := &gathered[In, Out]{ctx: ctx, actor: ledger.ActorFrom(ctx), in: in, done: make(chan struct{})}
	g.mu.Lock()
	g.queue = append(g.queue, c)
	lead := !g.running
	g.running = true
	g.mu.Unlock()
	if lead {
		g.drain()
	}
	<-c.done
	return c.out, c.err
}

// drain writes queued calls until none is left. The caller that found no batch running
// writes the first batch; the batches after it are written on a goroutine, so that it can
// answer.
func (g *gather[In, Out]) drain() {
	g.run(g.take())
	g.mu.Lock()
	more := len(g.queue) > 0
	g.running = more
	g.mu.Unlock()
	if more {
		go func() {
			for batch := g.take(); batch != nil; batch = g.take() {
				g.run(batch)
			}
		}()
	}
}

// take removes the next batch from the queue: the oldest call's actor and up to max of its
// calls, in arrival order. With the queue empty it returns nil and marks no batch running.
func (g *gather[In, Out]) take() []*gathered[In, Out] {
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.queue) == 0 {
		g.running = false
		return nil
	}
	actor := g.queue[0].actor
	var batch, rest []*gathered[In, Out]
	for _, c := range g.queue {
		if c.actor == actor && len(batch) < g.max {
			batch = append(batch, c)
		} else {
			rest = append(rest, c)
		}
	}
	g.queue = rest
	return batch
}

func (g *gather[In, Out]) run(batch []*gathered[In, Out]) {
	// A call whose caller gave up before its batch started is not written.
	live := batch[:0:0]
	for _, c := range batch {
		if err := c.ctx.Err(); err != nil {
			c.err = err
			close(c.done)
			continue
		}
		live = append(live, c)
	}
	if len(live) == 0 {
		return
	}
	ins := make([]In, len(live))
	for i, c := range live {
		ins[i] = c.in
	}
	// One caller giving up now must not fail the others: the write carries the first call's
	// values (its actor), not its cancellation.
	outs, err := g.write(context.WithoutCancel(live[0].ctx), ins)
	for i, c := range live {
		if err != nil {
			c.err = err
		} else {
			c.out = outs[i]
		}
		close(c.done)
	}
}
