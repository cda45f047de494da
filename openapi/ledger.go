package openapi

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"ipledger/ledger"
	"ipledger/registry/access"
)

type healthOutput struct {
	Body struct {
		Status string `json:"status" example:"ok"`
	}
}

func (s *Server) registerHealth() {
	register(s, huma.Operation{
		OperationID: "health", Method: http.MethodGet, Path: "/healthz", Tags: []string{"service"},
		Summary: "Liveness and database check",
		Errors:  []int{http.StatusServiceUnavailable},
	}, anyone(), func(ctx context.Context, _ *struct{}) (*healthOutput, error) {
		if s.Ledger == nil {
			return nil, newProblem(http.StatusServiceUnavailable, "unavailable", "no database")
		}
		pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		if err := s.Ledger.DB().PingContext(pctx); err != nil {
			s.log.ErrorContext(ctx, "health: database", "err", err)
			return nil, newProblem(http.StatusServiceUnavailable, "database_unavailable", "the database does not answer")
		}
		out := &healthOutput{}
		out.Body.Status = "ok"
		return out, nil
	})
}

// EntryView is a ledger entry as the API shows it.
type EntryView struct {
	Seq            int64           `json:"seq"`
	Kind           string          `json:"kind" example:"asset.registered"`
	Subject        string          `json:"subject" example:"asset/0192f1c2-…"`
	Actor          string          `json:"actor" doc:"The principal who made the change: principal/<id>, or system"`
	EffectiveOn    string          `json:"effective_on" format:"date"`
	RecordedAt     time.Time       `json:"recorded_at"`
	Payload        json.RawMessage `json:"payload"`
	IdempotencyKey *string         `json:"idempotency_key"`
	PrevHash       string          `json:"prev_hash" doc:"hex SHA-256"`
	Hash           string          `json:"hash" doc:"hex SHA-256 over the entry, see docs/LEDGER.md"`
}

func entryView(e ledger.Entry) EntryView {
	v := EntryView{
		Seq: e.Seq, Kind: e.Kind, Subject: e.Subject, Actor: e.Actor, EffectiveOn: e.EffectiveDate(),
		RecordedAt: e.RecordedAt, Payload: e.Payload, PrevHash: e.PrevHash.String(), Hash: e.Hash.String(),
	}
	if e.IdempotencyKey != "" {
		k := e.IdempotencyKey
		v.IdempotencyKey = &k
	}
	return v
}

type listEntriesInput struct {
	After   int64  `query:"after" minimum:"0" doc:"Entries after this seq"`
	Cursor  string `query:"cursor" doc:"next_cursor of the previous page (same as after)"`
	Subject string `query:"subject" maxLength:"200" doc:"Only entries about this subject, e.g. asset/<id>"`
	Limit   int    `query:"limit" minimum:"1" maximum:"1000" default:"100"`
}

type entriesOutput struct {
	Body Page[EntryView]
}

type entryOutput struct {
	Body EntryView
}

type verifyOutput struct {
	Body struct {
		OK          bool   `json:"ok"`
		Checked     int64  `json:"checked"`
		HeadSeq     int64  `json:"head_seq"`
		HeadHash    string `json:"head_hash"`
		FirstBadSeq *int64 `json:"first_bad_seq"`
		Reason      string `json:"reason,omitempty"`
	}
}

var ledgerReaders = roles(access.Admin, access.Auditor, access.Registrar)

func (s *Server) registerLedger() {
	register(s, huma.Operation{
		OperationID: "list-ledger-entries", Method: http.MethodGet, Path: "/v1/ledger/entries", Tags: []string{"ledger"},
		Summary:     "List ledger entries in chain order",
		Description: "Cursor-paginated by seq: pass `after` (or `cursor`) = the last seq seen.",
		Errors:      []int{http.StatusUnprocessableEntity},
	}, ledgerReaders, func(ctx context.Context, in *listEntriesInput) (*entriesOutput, error) {
		after := in.After
		if in.Cursor != "" {
			c, err := strconv.ParseInt(in.Cursor, 10, 64)
			if err != nil || c < 0 {
				p := newProblem(http.StatusUnprocessableEntity, "cursor_invalid", "cursor is not one this API gave out")
				p.Errors = []FieldError{{Location: "query.cursor", Message: "not a valid cursor", Value: in.Cursor}}
				return nil, p
			}
			after = c
		}
		es, err := ledger.List(ctx, s.ReadDB, ledger.Filter{After: after, Subject: in.Subject, Limit: in.Limit + 1})
		if err != nil {
			return nil, s.problemFrom(ctx, err)
		}
		return &entriesOutput{Body: pageOf(es, in.Limit, entryView, func(e ledger.Entry) string { return strconv.FormatInt(e.Seq, 10) })}, nil
	})

	register(s, huma.Operation{
		OperationID: "get-ledger-entry", Method: http.MethodGet, Path: "/v1/ledger/entries/{seq}", Tags: []string{"ledger"},
		Summary: "One ledger entry",
		Errors:  []int{http.StatusNotFound, http.StatusUnprocessableEntity},
	}, ledgerReaders, func(ctx context.Context, in *struct {
		Seq int64 `path:"seq" minimum:"1"`
	}) (*entryOutput, error) {
		e, err := ledger.Get(ctx, s.ReadDB, in.Seq)
		if err != nil {
			return nil, s.problemFrom(ctx, err)
		}
		return &entryOutput{Body: entryView(e)}, nil
	})

	register(s, huma.Operation{
		OperationID: "verify-ledger", Method: http.MethodGet, Path: "/v1/ledger/verify", Tags: []string{"ledger"},
		Summary:     "Recompute the whole hash chain",
		Description: "Streams every entry, recomputes its hash (docs/LEDGER.md) and link, and reports the first entry that fails.",
	}, roles(access.Admin, access.Auditor), func(ctx context.Context, _ *struct{}) (*verifyOutput, error) {
		// Verify the primary, not a replica that may lag.
		rep, err := ledger.Verify(ctx, s.Ledger.DB())
		if err != nil {
			return nil, s.problemFrom(ctx, err)
		}
		out := &verifyOutput{}
		out.Body.OK, out.Body.Checked, out.Body.HeadSeq = rep.OK, rep.Checked, rep.HeadSeq
		out.Body.HeadHash, out.Body.FirstBadSeq, out.Body.Reason = rep.HeadHash.String(), rep.FirstBadSeq, rep.Reason
		return out, nil
	})
}
