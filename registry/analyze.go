package registry

import (
	"context"
	"fmt"
)

// Analyze refreshes the planner's statistics of the registry's tables that changed since their
// last analysis by autovacuum's own measure, or grew past a tenth (migration 0029). A bulk load
// calls it when it is done: the tables then hold many more rows than autovacuum has yet seen,
// and the next writes' reads would be planned as if they were still small. It goes to the
// primary (the ledger's database), whatever database the service reads from.
func (s *Service) Analyze(ctx context.Context) error {
	if _, err := s.l.DB().ExecContext(ctx, `SELECT registry.analyze_tables()`); err != nil {
		return fmt.Errorf("registry: analyze: %w", err)
	}
	return nil
}
