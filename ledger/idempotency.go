package ledger

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// StoredResponse is what a write answered the first time its idempotency key was used.
type StoredResponse struct {
	RequestHash []byte
	FirstSeq    int64
	RecordedAt  time.Time
	Status      int // 0 while the response is not stored yet
	ContentType string
	Body        []byte
}

// LookupIdempotency returns what is stored for the actor's key, or found=false.
func LookupIdempotency(ctx context.Context, db bun.IDB, actor, key string) (StoredResponse, bool, error) {
	var s StoredResponse
	var status sql.NullInt64
	var ct sql.NullString
	err := db.QueryRowContext(ctx,
		`SELECT request_hash, first_seq, recorded_at, status, content_type, response FROM ledger.idempotency WHERE actor = ? AND key = ?`,
		actor, key).Scan(&s.RequestHash, &s.FirstSeq, &s.RecordedAt, &status, &ct, &s.Body)
	if errors.Is(err, sql.ErrNoRows) {
		return StoredResponse{}, false, nil
	}
	if err != nil {
		return StoredResponse{}, false, fmt.Errorf("ledger: idempotency lookup: %w", err)
	}
	s.Status = int(status.Int64)
	s.ContentType = ct.String
	return s, true, nil
}

// StoreResponse keeps the first response to a committed write for replay. Only the request
// that committed the key should call it (Idempotency.Committed); only the first store counts.
func StoreResponse(ctx context.Context, db bun.IDB, actor, key string, requestHash []byte, status int, contentType string, body []byte) error {
	_, err := db.ExecContext(ctx,
		`UPDATE ledger.idempotency SET status = ?, content_type = ?, response = ? WHERE actor = ? AND key = ? AND request_hash = ? AND status IS NULL`,
		status, contentType, body, actor, key, requestHash)
	if err != nil {
		return fmt.Errorf("ledger: store response: %w", err)
	}
	return nil
}

// HasIdempotencyKey reports whether writes under ctx carry a client's idempotency key: such a
// write must stay one ledger write of its own (the key marks exactly one).
func HasIdempotencyKey(ctx context.Context) bool { return idempotencyFrom(ctx) != nil }
