package openapi

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/danielgtaylor/huma/v2"
	"github.com/xuri/excelize/v2"

	"ipledger/registry"
	"ipledger/registry/term"
)

// OpenRightView is a right in the open data: the register's public fields.
type OpenRightView struct {
	ID            string          `json:"id" format:"uuid"`
	Kind          string          `json:"kind"`
	Number        string          `json:"number"`
	DisplayNumber string          `json:"display_number"`
	Title         string          `json:"title"`
	Owners        []OpenOwnerView `json:"owners" nullable:"false"`
	RegionCode    string          `json:"region_code"`
	FiledOn       *string         `json:"filed_on" format:"date"`
	GrantedOn     *string         `json:"granted_on" format:"date"`
	Status        string          `json:"status"`
	Valid         bool            `json:"valid" doc:"In force on as_of (today)"`
	ExpiresOn     *string         `json:"expires_on" format:"date" doc:"Last valid day"`
	Pledged       bool            `json:"pledged" doc:"In an active pledge"`
	AsOf          string          `json:"as_of" format:"date"`
}

// OpenOwnerView is an owner in the open data: an individual shows only its kind.
type OpenOwnerView struct {
	ID   *string `json:"id" format:"uuid" doc:"Null for an individual"`
	Name *string `json:"name" doc:"Null for an individual (no personal data)"`
	Kind string  `json:"kind"`
}

func openRightView(r registry.OpenRight) OpenRightView {
	v := OpenRightView{ID: r.ID.String(), Kind: string(r.Kind), Number: r.Number, DisplayNumber: r.DisplayNumber, Title: r.Title,
		Owners: make([]OpenOwnerView, 0, len(r.Owners)), RegionCode: r.RegionCode, FiledOn: dateStr(r.FiledOn), GrantedOn: dateStr(r.GrantedOn),
		Status: r.Status, Valid: r.Valid, ExpiresOn: dateStr(r.ExpiresOn), Pledged: r.Pledged, AsOf: r.AsOf.String()}
	for _, o := range r.Owners {
		ov := OpenOwnerView{Kind: string(o.Kind)}
		if o.Name != "" {
			id, name := o.ID.String(), o.Name
			ov.ID, ov.Name = &id, &name
		}
		v.Owners = append(v.Owners, ov)
	}
	return v
}

type openRightsOutput struct{ Body Page[OpenRightView] }

const (
	xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	csvType  = "text/csv; charset=utf-8"
)

// openHeader is the download's header row: Chinese and English, as the indicator exports.
var openHeader = []string{"类型 kind", "号码 number", "显示号码 display_number", "名称 title", "权利人 owners", "地区 region_code",
	"申请日 filed_on", "授权/注册日 granted_on", "状态 status", "有效 valid", "届满日 expires_on", "质押中 pledged", "截至 as_of"}

// openRow is a right as a download row. Individuals are written 个人 (individual).
func openRow(r registry.OpenRight) []string {
	names := make([]string, len(r.Owners))
	for i, o := range r.Owners {
		names[i] = o.Name
		if o.Name == "" {
			names[i] = "个人 individual"
		}
	}
	d := func(x *string) string {
		if x == nil {
			return ""
		}
		return *x
	}
	v := openRightView(r)
	return []string{string(r.Kind), r.Number, r.DisplayNumber, r.Title, strings.Join(names, "；"), r.RegionCode,
		d(v.FiledOn), d(v.GrantedOn), r.Status, strconv.FormatBool(r.Valid), d(v.ExpiresOn), strconv.FormatBool(r.Pledged), v.AsOf}
}

// csvSafe keeps a spreadsheet from reading a cell as a formula (CSV injection): text that
// starts with = + - @ or a tab or CR is written after an apostrophe, as OWASP advises.
func csvSafe(row []string) []string {
	for i, c := range row {
		if c != "" && strings.ContainsRune("=+-@\t\r", rune(c[0])) {
			row[i] = "'" + c
		}
	}
	return row
}

func (s *Server) registerPublic() {
	register(s, huma.Operation{
		OperationID: "list-public-rights", Method: http.MethodGet, Path: "/v1/public/rights", Tags: []string{"open data"},
		Summary: "One-stop public search of rights (open data)",
		Description: "Rights by number (any spelling: ZL2013106997442, 201310699744.2, full-width digits), title (substring) or owner (name substring or unified social credit code), " +
			"with validity as of today. No personal data of individuals: an owner of kind `individual` shows neither name nor id, and a query never matches an individual's name. " +
			"Rate-limited per client address like every request without a token.",
		Errors: []int{http.StatusUnprocessableEntity},
	}, anyone(), func(ctx context.Context, in *struct {
		Q      string `query:"q" maxLength:"200"`
		Cursor string `query:"cursor" maxLength:"64"`
		Limit  int    `query:"limit" minimum:"1" maximum:"500" default:"100"`
	}) (*openRightsOutput, error) {
		rs, next, err := s.Registry.OpenRights(ctx, in.Q, in.Cursor, in.Limit)
		if err != nil {
			return nil, s.problemFrom(ctx, err)
		}
		return &openRightsOutput{Body: pageFrom(rs, next, openRightView)}, nil
	})

	register(s, huma.Operation{
		OperationID: "export-public-rights", Method: http.MethodGet, Path: "/v1/public/rights/export", Tags: []string{"open data"},
		Summary: "Download the register's public fields (open data)",
		Description: "Every right with the fields of GET /v1/public/rights, as of today (office time), CSV (UTF-8 with BOM; default) or XLSX, generated as it is sent: the register's current state, never a stale copy. " +
			"`ETag` names the day and the ledger entry the file reflects, and `Last-Modified` is that entry's time: a client that sends `If-None-Match` gets 304 until the register changes or the day turns " +
			"(validity is judged as of the day). `Cache-Control: public, max-age=3600`.",
		Errors: []int{http.StatusUnprocessableEntity},
		Responses: map[string]*huma.Response{
			"200": {Description: "The register's public fields", Content: map[string]*huma.MediaType{
				xlsxType:   {Schema: &huma.Schema{Type: "string", Format: "binary"}},
				"text/csv": {Schema: &huma.Schema{Type: "string"}},
			}},
			"304": {Description: "Not modified since the ETag sent in If-None-Match"},
		},
	}, anyone(), func(ctx context.Context, in *struct {
		Format      string `query:"format" enum:"csv,xlsx" default:"csv"`
		IfNoneMatch string `header:"If-None-Match" maxLength:"200"`
	}) (*huma.StreamResponse, error) {
		// What the file reflects is fixed before the first byte, so a failure to read it is
		// still a problem.
		seq, at, err := s.Registry.OpenDataVersion(ctx)
		if err != nil {
			return nil, s.problemFrom(ctx, err)
		}
		today := s.Registry.Today()
		etag := fmt.Sprintf(`"rights-%s-%d-%s"`, today, seq, in.Format)
		name := "rights-" + today.String() + "." + in.Format
		return &huma.StreamResponse{Body: func(hctx huma.Context) {
			hctx.SetHeader("ETag", etag)
			hctx.SetHeader("Last-Modified", at.UTC().Format(http.TimeFormat))
			hctx.SetHeader("Cache-Control", "public, max-age=3600")
			if etagMatches(in.IfNoneMatch, etag) {
				hctx.SetStatus(http.StatusNotModified)
				return
			}
			hctx.SetHeader("Content-Disposition", `attachment; filename="`+name+`"`)
			var err error
			if in.Format == "xlsx" {
				hctx.SetHeader("Content-Type", xlsxType)
				err = s.writeOpenXLSX(hctx, today)
			} else {
				hctx.SetHeader("Content-Type", csvType)
				hctx.SetStatus(http.StatusOK)
				err = s.writeOpenCSV(hctx, today)
			}
			if err != nil {
				// The status may be sent: cut the response, so that a client sees a broken
				// transfer rather than a short file that looks whole.
				s.log.ErrorContext(ctx, "open data export", "err", err, "format", in.Format)
				panic(http.ErrAbortHandler)
			}
		}}, nil
	})
}

// etagMatches applies If-None-Match (a list of tags, or *) to etag, weakly as RFC 9110 says.
func etagMatches(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == "*" || t == etag {
			return true
		}
	}
	return false
}

func (s *Server) writeOpenCSV(hctx huma.Context, asOf term.Date) error {
	w := hctx.BodyWriter()
	if _, err := w.Write([]byte("\ufeff")); err != nil { // the BOM: spreadsheets then read UTF-8
		return err
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(openHeader); err != nil {
		return err
	}
	err := s.Registry.EachOpenRight(hctx.Context(), asOf, func(r registry.OpenRight) error {
		return cw.Write(csvSafe(openRow(r)))
	})
	cw.Flush()
	if err != nil {
		return err
	}
	return cw.Error()
}

// writeOpenXLSX writes rows through excelize's stream writer (which spills to a temporary
// file past a few MB), then sends the workbook: the status goes out only once it is whole.
func (s *Server) writeOpenXLSX(hctx huma.Context, asOf term.Date) error {
	f := excelize.NewFile()
	defer f.Close()
	const sheet = "Sheet1"
	if err := f.SetSheetName(sheet, "rights"); err != nil {
		return err
	}
	sw, err := f.NewStreamWriter("rights")
	if err != nil {
		return err
	}
	row := 1
	put := func(cells []string) error {
		vs := make([]any, len(cells))
		for i, c := range cells {
			vs[i] = c // strings: stored as text, never read as a formula
		}
		cell, err := excelize.CoordinatesToCellName(1, row)
		if err != nil {
			return err
		}
		row++
		return sw.SetRow(cell, vs)
	}
	if err := put(openHeader); err != nil {
		return err
	}
	if err := s.Registry.EachOpenRight(hctx.Context(), asOf, func(r registry.OpenRight) error { return put(openRow(r)) }); err != nil {
		return err
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	hctx.SetStatus(http.StatusOK)
	_, err = f.WriteTo(hctx.BodyWriter())
	return err
}
