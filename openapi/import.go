package openapi

import (
	"bytes"
	"context"
	"errors"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"ipledger/ledger"
	"ipledger/registry/importer"
)

// layoutImportPath takes bodies up to maxImportBody, like importPath.
const layoutImportPath = "/v1/import"

type layoutImportInput struct {
	Layout  string `query:"layout" enum:"parties,assets,events,pledges" default:"assets" doc:"What a row is (docs/IMPORT.md): parties, assets, asset events, or pledges with their events. Load a history in that order."`
	Format  string `query:"format" enum:"csv,xlsx" required:"true" doc:"The file's format"`
	RawBody []byte `contentType:"text/csv" doc:"The file: CSV (UTF-8) or XLSX, in the layout's columns (docs/IMPORT.md)"`
}

func (s *Server) registerLayoutImport() {
	register(s, huma.Operation{
		OperationID: "import", Method: http.MethodPost, Path: layoutImportPath, Tags: []string{"import"},
		Summary: "Bulk-import parties, assets, asset events or pledges from CSV or XLSX",
		Description: "Each row goes through the same rules as the API call it stands for (register a party or an asset, record an asset event, register a pledge or record a pledge event); " +
			"rows name parties by unified social credit code or NAME@REGION and rights by number, never by id, and a row naming what does not exist yet is a row error naming it. " +
			"Valid rows land, refused rows are reported with their row, column and code. A party or asset already registered with the same data, or an event or pledge row imported before (its key is derived from its content), is counted unchanged, so re-sending a file adds nothing. Up to 64 MiB.",
		MaxBodyBytes: maxImportBody,
		Errors:       []int{http.StatusRequestEntityTooLarge},
	}, registrars, func(ctx context.Context, in *layoutImportInput) (*importOutput, error) {
		ctx, _ = ledger.WithIdempotency(ctx, "", nil) // rows carry their own keys
		rep, err := importer.New(s.Registry).ImportLayout(ctx, in.Layout, bytes.NewReader(in.RawBody), in.Format, nil)
		return s.importAnswer(ctx, rep, err)
	})
}

// importAnswer turns an import's outcome into the answer: a file refused as a whole is a 422
// problem whose message names the line; otherwise the report.
func (s *Server) importAnswer(ctx context.Context, rep importer.Report, err error) (*importOutput, error) {
	var ie *importer.Error
	if errors.As(err, &ie) {
		p := newProblem(http.StatusUnprocessableEntity, ie.Code, ie.Message)
		p.Errors = []FieldError{{Location: "body", Message: ie.Message}} // the message names the line
		return nil, p
	}
	if err != nil {
		return nil, s.problemFrom(ctx, err)
	}
	out := &importOutput{}
	out.Body.Rows, out.Body.Added, out.Body.Unchanged, out.Body.Failed = rep.Rows, rep.Added, rep.Unchanged, rep.Failed
	out.Body.Errors = make([]ImportRowError, 0, len(rep.Errors))
	for _, e := range rep.Errors {
		out.Body.Errors = append(out.Body.Errors, ImportRowError(e))
	}
	return out, nil
}
