package pgdb

import (
	"context"
	"time"
)

// Supervise restarts the server whenever it exits without Stop (killed, crashed), until ctx
// ends or Stop is called: Postgres replays its WAL at start, so every committed transaction
// is back. A reused server (started by another process) is not this process's to restart.
func (c *Cluster) Supervise(ctx context.Context) {
	go func() {
		for {
			c.mu.Lock()
			p, stopping := c.proc, c.stopping
			c.mu.Unlock()
			if p == nil || stopping {
				return
			}
			select {
			case <-ctx.Done():
				return
			case <-p.exited:
			}
			c.log.Error("private postgres exited; restarting it", "dir", c.Dir, "err", p.err)
			for wait := 100 * time.Millisecond; ; wait = min(2*wait, 5*time.Second) {
				c.mu.Lock()
				stopping = c.stopping
				c.mu.Unlock()
				if stopping || ctx.Err() != nil {
					return
				}
				// Orphaned backends of the killed postmaster hold its shared memory for a
				// moment; until they are gone a new postmaster refuses to start.
				err := c.start(ctx, c.opts)
				if err == nil {
					break
				}
				c.log.Warn("private postgres restart failed; retrying", "err", err, "retry_in", wait.String())
				select {
				case <-ctx.Done():
					return
				case <-time.After(wait):
				}
			}
		}
	}()
}

// PID is the postmaster's process id (0 when this process did not start it).
func (c *Cluster) PID() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.proc == nil {
		return 0
	}
	return c.proc.cmd.Process.Pid
}

// Bin is the directory of the server binaries (pg_basebackup, pg_ctl, …).
func (c *Cluster) Bin() string { return c.bin }
