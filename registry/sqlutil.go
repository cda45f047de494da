package registry

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"ipledger/ledger"
	"ipledger/registry/term"
)

func uuidArg(id *uuid.UUID) any {
	if id == nil || *id == uuid.Nil {
		return nil
	}
	return id.String()
}

func clampLimit(n int) int {
	switch {
	case n <= 0:
		return 100
	case n > 1000:
		return 1000
	}
	return n
}

func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// Cursors are opaque to clients: the last id of the page, base64url-encoded.
func encodeCursor(id uuid.UUID) string { return base64.RawURLEncoding.EncodeToString(id[:]) }

func decodeCursor(c string) (uuid.UUID, error) {
	if c == "" {
		return uuid.Nil, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || len(b) != 16 {
		return uuid.Nil, Errorf(Invalid, "cursor_invalid", "query.cursor", "not a cursor this list returned")
	}
	var id uuid.UUID
	copy(id[:], b)
	return id, nil
}

func pledgeNullInt(n int64) any {
	if n == 0 {
		return nil
	}
	return n
}

func pledgeNullStr(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func pledgeDateArg(d *term.Date) any {
	if d == nil || d.IsZero() {
		return nil
	}
	return d.String()
}

// lastSeq is the seq of the last entry appended in tx.
func lastSeq(tx *ledger.Tx) (int64, error) {
	es := tx.Entries()
	if len(es) == 0 {
		return 0, errors.New("registry: no entry appended in this write yet")
	}
	return es[len(es)-1].Seq, nil
}

// dateArg is d for a SQL argument: NULL for the zero Date.
func dateArg(d term.Date) any {
	if d.IsZero() {
		return nil
	}
	return d.String()
}

// parseDateCol reads a date column scanned as text (NULL → zero Date).
func parseDateCol(s *string) term.Date {
	if s == nil || *s == "" {
		return term.Date{}
	}
	d, err := term.ParseDate(*s)
	if err != nil {
		return term.Date{}
	}
	return d
}

// queryIDs reads the one uuid column of q's rows, in order.
func queryIDs(ctx context.Context, db bun.IDB, q string, args ...any) ([]uuid.UUID, error) {
	var ids []uuid.UUID
	if err := db.NewRaw(q, args...).Scan(ctx, &ids); err != nil {
		return nil, err
	}
	return ids, nil
}

// uuidStrings is ids as text, for a uuid[] array argument.
func uuidStrings(ids []uuid.UUID) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = id.String()
	}
	return out
}
