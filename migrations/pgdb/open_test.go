package pgdb

import (
	"testing"
	"time"
)

func TestIOTimeoutOutlastsStatements(t *testing.T) {
	for _, st := range []time.Duration{0, time.Second, time.Minute, 9 * time.Minute, 10 * time.Minute, 2 * time.Hour} {
		io := ioTimeout(st)
		if io < 10*time.Minute || (st > 0 && io <= st) {
			t.Errorf("statement timeout %v: driver deadline %v", st, io)
		}
	}
}
