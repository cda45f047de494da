package ledger

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"

	"ipledger/ledger/pgcopy"
)

// Projection keeps tables derived from entries. A live write applies what it appends through
// its projection in the same transaction; Rebuild replays the whole chain through the same
// Apply, so replayed tables equal live ones.
type Projection interface {
	// Owns reports whether entries of kind are this projection's to apply.
	Owns(kind string) bool
	// Tables are the tables Apply writes, emptied (in this order) before a rebuild.
	Tables() []string
	// Apply projects entries it owns, in chain order, with as few statements as it can. It
	// never refuses: the rules were checked before the entries were appended.
	Apply(ctx context.Context, db bun.IDB, es []Entry) error
}

// rebuildRun is how many consecutive entries of one projection Rebuild hands to Apply at once.
const rebuildRun = 1000

// Rebuild empties the tables of ps and replays the whole ledger into them in one transaction,
// holding the head lock so that no write interleaves. Consecutive entries owned by the same
// projection reach its Apply together. An entry no projection owns is skipped.
func Rebuild(ctx context.Context, db *bun.DB, ps ...Projection) error {
	tx, err := pgcopy.Begin(ctx, db, nil) // projections copy their bulk rows
	if err != nil {
		return fmt.Errorf("ledger: rebuild: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `SELECT seq FROM ledger.head FOR UPDATE`); err != nil {
		return fmt.Errorf("ledger: rebuild: lock head: %w", err)
	}
	for _, p := range ps {
		for _, t := range p.Tables() {
			if _, err := tx.ExecContext(ctx, `DELETE FROM `+t); err != nil {
				return fmt.Errorf("ledger: rebuild: empty %s: %w", t, err)
			}
		}
	}
	var (
		run   []Entry
		owner Projection
	)
	flush := func() error {
		if len(run) == 0 {
			return nil
		}
		err := owner.Apply(ctx, tx, run)
		run = run[:0]
		if err != nil {
			return fmt.Errorf("ledger: rebuild: %w", err)
		}
		return nil
	}
	var after int64
	for {
		page, err := List(ctx, tx, Filter{After: after, Limit: rebuildRun})
		if err != nil {
			return fmt.Errorf("ledger: rebuild: %w", err)
		}
		if len(page) == 0 {
			break
		}
		for _, e := range page {
			var p Projection
			for _, q := range ps {
				if q.Owns(e.Kind) {
					p = q
					break
				}
			}
			if p == nil {
				continue
			}
			if p != owner || len(run) >= rebuildRun {
				if err := flush(); err != nil {
					return err
				}
				owner = p
			}
			run = append(run, e)
		}
		after = page[len(page)-1].Seq
	}
	if err := flush(); err != nil {
		return err
	}
	return tx.Commit()
}
