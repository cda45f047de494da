package registry

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"ipledger/ledger"
	"ipledger/registry/term"
)

// Office is the registry's calendar: "today" is a day in China Standard Time (no DST).
var Office = time.FixedZone("CST", 8*3600)

// Service records parties, assets and reference data as ledger entries and keeps their
// projections. Its methods open their own ledger writes; reads go to the ledger's database.
type Service struct {
	l  *ledger.Ledger
	db bun.IDB
	// Now is the clock that decides "today" (in Office time) for the not-in-the-future rules
	// and the default as-of date. Tests pin it.
	Now func() time.Time

	// Concurrent single registrations are written together through the batch paths.
	assets  *gather[AssetInput, assetOutcome]
	pledges *gather[PledgeInput, pledgeOutcome]
}

// Option configures New.
type Option func(*Service)

// WithClock sets the clock (Service.Now).
func WithClock(now func() time.Time) Option { return func(s *Service) { s.Now = now } }

// WithReadDB sends reads to db (e.g. a replica) instead of the ledger's database.
func WithReadDB(db bun.IDB) Option { return func(s *Service) { s.db = db } }

// New returns the registry over l.
func New(l *ledger.Ledger, opts ...Option) *Service {
	s := &Service{l: l, db: l.DB(), Now: time.Now}
	for _, o := range opts {
		o(s)
	}
	s.assets = &gather[AssetInput, assetOutcome]{max: 500, write: s.registerAssets}
	s.pledges = &gather[PledgeInput, pledgeOutcome]{max: 200, write: s.registerPledges}
	return s
}

// Today is the office's current day.
func (s *Service) Today() term.Date { return term.FromTime(s.Now().In(Office)) }

// Ledger is the ledger the service writes to.
func (s *Service) Ledger() *ledger.Ledger { return s.l }

// Warning is a notice about an accepted input that the caller must see (never silent).
type Warning struct {
	Code    string `json:"code"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
	Ref     string `json:"ref,omitempty"` // id of the thing it is about, e.g. the listed pledgor
}

// newID returns a UUIDv7 (time-ordered, for index locality and a stable keyset order).
func newID() uuid.UUID {
	id, err := uuid.NewV7()
	if err != nil {
		return uuid.New()
	}
	return id
}

// write runs fn in a ledger write and unwraps the domain error it returned, if any.
func (s *Service) write(ctx context.Context, fn func(context.Context, *ledger.Tx) error) ([]ledger.Entry, error) {
	entries, err := s.l.Write(ctx, func(ctx context.Context, tx *ledger.Tx) error {
		return fn(withPolicyMemo(ctx), tx)
	})
	if err != nil {
		if de, ok := AsError(err); ok {
			return nil, de
		}
		return nil, err
	}
	return entries, nil
}

// appendApply appends d and applies it to the projections: the one path of every live write.
func appendApply(ctx context.Context, tx *ledger.Tx, d ledger.Draft) (ledger.Entry, error) {
	e, err := tx.Append(d)
	if err != nil {
		return e, err
	}
	return e, apply(ctx, tx.DB(), e)
}

// Rebuild empties every projection of the registry package and replays the whole ledger
// into them (ledger.Rebuild): replay applies exactly what live writes applied, so the result
// equals the projections it replaced.
func (s *Service) Rebuild(ctx context.Context) error {
	if err := ledger.Rebuild(ctx, s.l.DB(), Projections()...); err != nil {
		return fmt.Errorf("registry: %w", err)
	}
	return nil
}

// decode unmarshals an entry's payload.
func decode(e ledger.Entry, v any) error {
	if err := json.Unmarshal(e.Payload, v); err != nil {
		return fmt.Errorf("registry: %s #%d payload: %w", e.Kind, e.Seq, err)
	}
	return nil
}
