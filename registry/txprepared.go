package registry

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"reflect"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/schema"

	"ipledger/ledger"
	"ipledger/ledger/pgcopy"
	"ipledger/ledger/sqlarray"
	"ipledger/migrations/pgdb"
)

// txPrepared is a write transaction whose statements run prepared: each is prepared once per
// pooled connection (the pool's statement cache, prepared.go) and bound to the transaction
// with database/sql's Tx.StmtContext, so that Postgres parses and plans it once per
// connection rather than on every batch (bun writes the arguments into the text, which makes
// every call a new statement). It sees the transaction's own writes like any statement of
// it. Pass through it only statements whose text is fixed, the values all in arguments: a
// text built from values would fill the cache (prepared.go stops at maxPrepared and then runs
// statements as bun does). An argument the driver cannot bind as bun would write it (other
// than nil, strings, integers, booleans, bytes, times, driver.Valuers of those and bun arrays
// of strings or integers) runs the statement as bun does too.
type txPrepared struct {
	pgcopy.Tx
	pool *sql.DB
}

// withPrepared returns db running its statements prepared when it is a ledger write's
// transaction (a pgcopy.Tx) on pool, else db itself.
func withPrepared(db bun.IDB, pool *bun.DB) bun.IDB {
	tx, ok := db.(pgcopy.Tx)
	if !ok || pool == nil {
		return db
	}
	return txPrepared{Tx: tx, pool: pool.DB}
}

// writeDB is what a batch write of items reads and projects through: the ledger write's
// transaction with its statements prepared (withPrepared) and, for a bulk batch (as many items
// as pgcopy.MinRows or more), planned afresh.
func writeDB(ctx context.Context, tx *ledger.Tx, pool *bun.DB, items int) (bun.IDB, error) {
	db := withPrepared(tx.DB(), pool)
	if items >= pgcopy.MinRows {
		if err := planAfresh(ctx, db); err != nil {
			return nil, err
		}
	}
	return db, nil
}

// planAfresh makes the rest of db's transaction plan every prepared statement for its
// arguments and the tables as they are, instead of reusing a generic plan. A bulk load grows
// tables faster than autovacuum analyzes them, so a connection's generic plan made while they
// were small outlives the sizes it was made for: the registrations' financing read went on
// scanning all of registry.pledge_assets, 265 ms a batch of 1,000 at 95,000 rows, against an
// index lookup of a few (docs/BENCHMARKS.md, ninth session). Planning a statement once a batch
// of hundreds of items costs nothing that shows.
func planAfresh(ctx context.Context, db bun.IDB) error {
	if _, err := unprepared(db).ExecContext(ctx, `SET LOCAL plan_cache_mode = force_custom_plan`); err != nil {
		return fmt.Errorf("registry: plan afresh: %w", err)
	}
	return nil
}

// unprepared is db without txPrepared, for a statement whose text is built from values.
func unprepared(db bun.IDB) bun.IDB {
	if t, ok := db.(txPrepared); ok {
		return t.Tx
	}
	return db
}

// stmt returns query prepared and bound to the transaction with args as the driver binds
// them, or nil when it runs as bun runs it.
func (t txPrepared) stmt(ctx context.Context, query string, args []any) (*sql.Stmt, []any) {
	vals := make([]any, len(args))
	for i, a := range args {
		v, ok := stmtArg(a)
		if !ok {
			return nil, nil
		}
		vals[i] = v
	}
	pctx := ctx
	if !isPrepared(t.pool, query) {
		// Preparing takes a connection of the pool besides the transaction's: with none free
		// it would wait, perhaps for this very transaction to end — so not at all when none is
		// free now, and not for long when the last one goes meanwhile.
		if s := t.pool.Stats(); s.MaxOpenConnections > 0 && s.InUse >= s.MaxOpenConnections {
			return nil, nil
		}
		var cancel context.CancelFunc
		pctx, cancel = pgdb.WaitAtMost(ctx, prepareWait)
		defer cancel()
	}
	// A statement that cannot be prepared (or not now) runs as bun runs it: preparing is
	// for speed, never a reason for a write to fail.
	st, err := prepared.get(pctx, t.pool, query)
	if err != nil || st == nil {
		return nil, nil
	}
	return t.Tx.Tx.Tx.StmtContext(ctx, st), vals
}

// prepareWait bounds how long a write waits for a connection to prepare a statement on.
const prepareWait = 50 * time.Millisecond

// isPrepared says whether query is prepared on pool already.
func isPrepared(pool *sql.DB, query string) bool {
	_, ok, _ := prepared.lookup(pool, query)
	return ok
}

func (t txPrepared) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, vals := t.stmt(ctx, query, args)
	if st == nil {
		return t.Tx.QueryContext(ctx, query, args...)
	}
	return st.QueryContext(ctx, vals...)
}

func (t txPrepared) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, vals := t.stmt(ctx, query, args)
	if st == nil {
		return t.Tx.ExecContext(ctx, query, args...)
	}
	return st.ExecContext(ctx, vals...)
}

func (t txPrepared) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	st, vals := t.stmt(ctx, query, args)
	if st == nil {
		return t.Tx.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, vals...)
}

// stmtArg is a as the driver binds it, the same value bun would write into the text; false
// for an argument it does not know.
func stmtArg(a any) (any, bool) {
	if rv := reflect.ValueOf(a); rv.Kind() == reflect.Pointer && rv.IsNil() {
		return nil, true // bun writes NULL (and a nil *term.Date's Value would panic)
	}
	switch v := a.(type) {
	case time.Time:
		if v.IsZero() { // bun writes 0001-01-01, the driver NULL
			return nil, false
		}
		return v, true
	case nil, string, int64, int, int32, bool, float64, []byte:
		return v, true
	case uuid.UUID:
		return v.String(), true
	case *pgdialect.ArrayValue:
		return arrayLiteral(v.Value())
	case schema.QueryAppender: // bun writes these itself, before a Valuer
		return nil, false
	case driver.Valuer: // bun writes the value it returns (term.Date: its day, or NULL)
		dv, err := v.Value()
		if err != nil {
			return nil, false
		}
		switch dv := dv.(type) {
		case nil, string, int64, bool, float64, []byte:
			return dv, true
		case time.Time:
			return dv, !dv.IsZero()
		}
	}
	return nil, false
}

// arrayLiteral writes a slice of strings or integers as a Postgres array literal; a nil slice
// is NULL, as bun writes it.
func arrayLiteral(v any) (any, bool) {
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.Slice && rv.IsNil() {
		return nil, true
	}
	switch s := v.(type) {
	case []string:
		return sqlarray.Literal(s), true
	case []int64:
		return sqlarray.Ints(s), true
	case []int:
		return sqlarray.Ints(s), true
	}
	return nil, false
}
