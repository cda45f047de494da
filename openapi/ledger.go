package openapi

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
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
	RecordedAt     string          `json:"recorded_at" format:"date-time" example:"2026-11-25T08:30:00.120000Z" doc:"UTC, always six fraction digits: the very text that is hashed"`
	Payload        json.RawMessage `json:"payload"`
	IdempotencyKey *string         `json:"idempotency_key" doc:"null when none (hashed as the empty string)"`
	PrevHash       string          `json:"prev_hash" doc:"hex SHA-256"`
	Hash           string          `json:"hash" doc:"hex SHA-256 over the entry, see docs/LEDGER.md"`
}

func entryView(e ledger.Entry) EntryView {
	v := EntryView{
		Seq: e.Seq, Kind: e.Kind, Subject: e.Subject, Actor: e.Actor, EffectiveOn: e.EffectiveDate(),
		RecordedAt: ledger.FormatTime(e.RecordedAt), Payload: e.Payload, PrevHash: e.PrevHash.String(), Hash: e.Hash.String(),
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
		OK          bool              `json:"ok"`
		Checked     int64             `json:"checked"`
		HeadSeq     int64             `json:"head_seq"`
		HeadHash    string            `json:"head_hash"`
		FirstBadSeq *int64            `json:"first_bad_seq"`
		Reason      string            `json:"reason,omitempty"`
		Log         *ledger.LogReport `json:"log,omitempty" doc:"The Merkle log: the stored tree and the latest checkpoint, checked against the chain"`
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
		Summary: "Recompute the whole hash chain",
		Description: "Streams every entry, recomputes its hash (docs/LEDGER.md) and link, and reports the first entry that fails. " +
			"Also checks the Merkle log: every stored tree node against the chain, and the latest checkpoint's root and signature (`log`).",
	}, roles(access.Admin, access.Auditor), func(ctx context.Context, _ *struct{}) (*verifyOutput, error) {
		// Verify the primary, not a replica that may lag.
		rep, err := ledger.Verify(ctx, s.Ledger.DB(), ledger.WithVerifier(s.Ledger.Key().Verifier()))
		s.Metrics.Verified(rep.OK, err)
		if err != nil {
			return nil, s.problemFrom(ctx, err)
		}
		out := &verifyOutput{}
		out.Body.OK, out.Body.Checked, out.Body.HeadSeq = rep.OK, rep.Checked, rep.HeadSeq
		out.Body.HeadHash, out.Body.FirstBadSeq, out.Body.Reason = rep.HeadHash.String(), rep.FirstBadSeq, rep.Reason
		out.Body.Log = rep.Log
		return out, nil
	})

	s.registerLedgerExport()
}

// exportContentType is the media type of GET /v1/ledger/export: newline-delimited JSON.
const exportContentType = "application/x-ndjson"

type exportLedgerInput struct {
	FromSeq int64 `query:"from_seq" minimum:"1" default:"1" doc:"First entry"`
	ToSeq   int64 `query:"to_seq" minimum:"1" doc:"Last entry; default (and at most) the last entry when the export starts"`
}

func (s *Server) registerLedgerExport() {
	line := s.api.OpenAPI().Components.Schemas.Schema(reflect.TypeFor[ledger.ExportLine](), true, "")
	register(s, huma.Operation{
		OperationID: "export-ledger", Method: http.MethodGet, Path: "/v1/ledger/export", Tags: []string{"ledger"},
		Summary: "The ledger as JSON lines, for offline verification",
		Description: "Streams the entries from `from_seq` to `to_seq` in chain order, one JSON object a line " +
			"(`" + exportContentType + "`), in exactly the format of `ipledger export` (docs/LEDGER.md): every hashed field as " +
			"the text that was hashed, so `ipledger verify FILE` or docs/verify_entry.py checks it with no database. " +
			"A range past the last entry is cut at the last entry (an empty body when it starts after it).",
		Errors: []int{http.StatusUnprocessableEntity},
		Responses: map[string]*huma.Response{"200": {
			Description: "One ExportLine a line, each ended by a newline",
			Content: map[string]*huma.MediaType{exportContentType: {Schema: &huma.Schema{
				Type: "string", Description: "Newline-delimited JSON: each line one object, schema " + line.Ref,
			}}},
		}},
	}, roles(access.Admin, access.Auditor), func(ctx context.Context, in *exportLedgerInput) (*huma.StreamResponse, error) {
		if in.ToSeq != 0 && in.ToSeq < in.FromSeq {
			p := newProblem(http.StatusUnprocessableEntity, "range_invalid", "to_seq is before from_seq")
			p.Errors = []FieldError{{Location: "query.to_seq", Message: "must not be less than from_seq", Value: in.ToSeq}}
			return nil, p
		}
		// The end is fixed before the first byte, so a failure to read it is still a problem.
		last, err := ledger.LastSeq(ctx, s.ReadDB)
		if err != nil {
			return nil, s.problemFrom(ctx, err)
		}
		to := last
		if in.ToSeq != 0 {
			to = min(in.ToSeq, last)
		}
		return &huma.StreamResponse{Body: func(hctx huma.Context) {
			hctx.SetHeader("Content-Type", exportContentType)
			hctx.SetStatus(http.StatusOK)
			if in.FromSeq > to {
				return
			}
			if _, err := ledger.Export(hctx.Context(), s.ReadDB, hctx.BodyWriter(), in.FromSeq, to); err != nil {
				// The status is sent: cut the response, so that a client sees a broken
				// transfer rather than a short export that looks whole.
				s.log.ErrorContext(ctx, "ledger export", "err", err, "from_seq", in.FromSeq, "to_seq", to)
				panic(http.ErrAbortHandler)
			}
		}}, nil
	})
}
