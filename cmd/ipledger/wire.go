package main

import (
	"context"
	"fmt"
	"log/slog"

	"ipledger/registry"
)

// seed loads the reference data (regions, policy parameters, population, targets) at first
// start; each loader is idempotent.
func seed(ctx context.Context, reg *registry.Service) error {
	if err := reg.Seed(ctx); err != nil {
		return fmt.Errorf("seed reference data: %w", err)
	}
	return nil
}

func importCmd(ctx context.Context, log *slog.Logger, args []string) error {
	return fmt.Errorf("import: not wired yet")
}
