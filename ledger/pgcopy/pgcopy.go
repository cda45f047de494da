// Package pgcopy sends rows with COPY … FROM STDIN in Postgres' text format, for the bulk
// writes that insert thousands of rows a statement. Sent as array parameters and unnested, the
// same rows are read twice by the server: once as array literals (array_in, a third of the
// entries' insert at a million rights) and again as rows; COPY reads each field once, and
// loads a table without row triggers a page at a time (docs/BENCHMARKS.md, ninth session).
//
// pgdriver (github.com/uptrace/bun/driver/pgdriver) speaks the COPY protocol (CopyFrom) but
// leaves writing the rows to its caller: Rows is that writer.
package pgcopy

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/driver/pgdriver"
)

// MinRows is the number of rows from which a bulk write copies them rather than sending them
// in one statement's text: a COPY costs round trips of its own, which a live write's few rows
// do not repay.
const MinRows = 256

// Rows is the data of a COPY in text format: fields separated by tabs, a row ended by a
// newline, NULL as \N, and a backslash, tab, newline or carriage return inside a value
// escaped with a backslash.
type Rows struct {
	b    []byte
	open bool // the current row has a field
	n    int
}

func (r *Rows) field() {
	if r.open {
		r.b = append(r.b, '\t')
	}
	r.open = true
}

// Text adds a text value. It must be valid UTF-8 without NUL, as any text Postgres stores:
// the server refuses the COPY otherwise.
func (r *Rows) Text(s string) {
	r.field()
	start := 0
	for i := 0; i < len(s); i++ {
		var e byte
		switch s[i] {
		case '\\':
			e = '\\'
		case '\t':
			e = 't'
		case '\n':
			e = 'n'
		case '\r':
			e = 'r'
		default:
			continue
		}
		r.b = append(r.b, s[start:i]...)
		r.b = append(r.b, '\\', e)
		start = i + 1
	}
	r.b = append(r.b, s[start:]...)
}

// Int adds an integer value.
func (r *Rows) Int(v int64) {
	r.field()
	r.b = strconv.AppendInt(r.b, v, 10)
}

// Bool adds a boolean value.
func (r *Rows) Bool(v bool) {
	r.field()
	if v {
		r.b = append(r.b, 't')
	} else {
		r.b = append(r.b, 'f')
	}
}

// Bytea adds a bytea value, in hex: \x followed by two digits a byte, its backslash escaped.
func (r *Rows) Bytea(v []byte) {
	r.field()
	r.b = append(r.b, `\\x`...)
	r.b = hex.AppendEncode(r.b, v)
}

// Null adds a NULL.
func (r *Rows) Null() {
	r.field()
	r.b = append(r.b, `\N`...)
}

// End ends the current row.
func (r *Rows) End() {
	r.b = append(r.b, '\n')
	r.open = false
	r.n++
}

// Head takes the fields of the row begun in r, which must hold no ended row, and empties r: a
// bulk write makes its rows ahead of knowing their last fields, and ends them later with
// Continue on other Rows.
func (r *Rows) Head() Head {
	if r.n > 0 {
		panic("pgcopy: Head of Rows with ended rows")
	}
	h := Head{b: r.b, fields: r.open}
	r.b, r.open = nil, false
	return h
}

// Head is the first fields of a row (Rows.Head).
type Head struct {
	b      []byte
	fields bool // at least one field, which may be an empty text
}

// Continue adds the fields of h to the current row.
func (r *Rows) Continue(h Head) {
	if !h.fields {
		return
	}
	r.field()
	r.b = append(r.b, h.b...)
}

// Len is the number of rows ended.
func (r *Rows) Len() int { return r.n }

// Tx is a transaction with the connection it runs on, which COPY needs: database/sql gives a
// transaction's statements no access to its connection. It is a bun.IDB, so code that writes
// through bun takes it as it takes a bun.Tx.
type Tx struct {
	bun.Tx
	c bun.Conn
}

// Begin holds a connection of db and begins a transaction on it; Commit or Rollback releases
// the connection.
func Begin(ctx context.Context, db *bun.DB, opts *sql.TxOptions) (Tx, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return Tx{}, err
	}
	tx, err := conn.BeginTx(ctx, opts)
	if err != nil {
		conn.Close()
		return Tx{}, err
	}
	return Tx{Tx: tx, c: conn}, nil
}

// Commit commits the transaction and releases its connection.
func (t Tx) Commit() error {
	defer t.c.Close()
	return t.Tx.Commit()
}

// Rollback rolls the transaction back (if it is still open) and releases its connection.
func (t Tx) Rollback() error {
	defer t.c.Close()
	return t.Tx.Rollback()
}

func (t Tx) held() bun.Conn { return t.c }

// Copy copies rows into the columns of table inside db, a Tx or a type that embeds one: all of
// them, or an error. No rows: nothing is sent.
func Copy(ctx context.Context, db bun.IDB, table string, columns []string, rows *Rows) error {
	if rows.Len() == 0 && !rows.open {
		return nil
	}
	t, ok := db.(interface{ held() bun.Conn })
	if !ok {
		return fmt.Errorf("pgcopy: copy into %s: COPY needs a pgcopy.Tx, not %T", table, db)
	}
	n, err := From(ctx, t.held(), table, columns, rows)
	if err == nil && n != int64(rows.Len()) {
		err = fmt.Errorf("pgcopy: copy into %s: the server took %d rows of %d", table, n, rows.Len())
	}
	return err
}

// From copies rows into the columns of table on conn, inside the transaction open on it if
// there is one, and says how many rows the server took. table and columns are written into the
// statement as they are: names from the code, never input.
func From(ctx context.Context, conn bun.Conn, table string, columns []string, rows *Rows) (int64, error) {
	if rows.open {
		return 0, errors.New("pgcopy: a row is not ended")
	}
	q := "COPY " + table + " (" + strings.Join(columns, ", ") + ") FROM STDIN"
	res, err := pgdriver.CopyFrom(ctx, conn, bytes.NewReader(rows.b), q)
	if err != nil {
		var pe pgdriver.Error
		if !errors.As(err, &pe) {
			// Not the server's refusal: the exchange may have stopped part way, leaving the
			// server waiting for data. Close the connection so that nothing else runs on it;
			// the pool drops it when it is released.
			_ = conn.Raw(func(dc any) error { return dc.(*pgdriver.Conn).Close() })
		}
		return 0, fmt.Errorf("pgcopy: copy into %s: %w", table, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("pgcopy: copy into %s: %w", table, err)
	}
	return n, nil
}
