package main

import (
	"context"
	"fmt"
	"log/slog"
)

// seed loads the reference data (regions, policy parameters, population, targets) at first
// start; each area adds its own loader here.
func seed(ctx context.Context, st *store) error { return nil }

func importCmd(ctx context.Context, log *slog.Logger, args []string) error {
	return fmt.Errorf("import: not wired yet")
}
