// Package importer bulk-loads IP assets from office data in CSV or XLSX (docs/IMPORT.md):
// each valid row becomes an asset.registered entry, written many rows per ledger write; each
// invalid row is reported with its row number and reason; rows already registered with the
// same data are skipped as unchanged, so importing a file twice adds nothing.
package importer

import (
	"cmp"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/xuri/excelize/v2"

	"ipledger/registry"
	"ipledger/registry/ident"
	"ipledger/registry/term"
)

// Formats Import reads.
const (
	CSV  = "csv"
	XLSX = "xlsx"
)

// Columns of the layout, by header name (docs/IMPORT.md). Order is free; unknown columns
// are refused so that a misspelt header is not silently ignored.
var Columns = []string{"kind", "number", "title", "owners", "region_code", "filed_on", "granted_on", "ipc", "category"}

var required = []string{"kind", "number", "title", "owners"}

// Importer imports assets through a registry.Service.
type Importer struct {
	s *registry.Service
	// BatchSize is the number of rows per ledger write (default 2,500).
	BatchSize int
}

// defaultBatch rows per write: with the write's Go work overlapped with its statements,
// 2,500 rows took 0.7 of the time of 1,000 (fewer summary rows merged, fewer round trips;
// docs/BENCHMARKS.md), and one write still holds the ledger's committer well under a second.
const defaultBatch = 2500

// New returns an importer writing through s.
func New(s *registry.Service) *Importer { return &Importer{s: s, BatchSize: defaultBatch} }

// RowError is why one row was not imported. Row is the row's number in the file: the sheet's
// row number in XLSX, the line it starts on in CSV (the header is 1).
type RowError struct {
	Row     int    `json:"row"`
	Column  string `json:"column,omitempty"`
	Code    string `json:"code"`
	Message string `json:"message"`
	Ref     string `json:"ref,omitempty"` // e.g. the existing asset with this number
}

// Report is the outcome of an import.
type Report struct {
	Rows      int        `json:"rows"`      // data rows read (blank rows are not counted)
	Added     int        `json:"added"`     // assets registered
	Unchanged int        `json:"unchanged"` // already registered with the same data: skipped
	Failed    int        `json:"failed"`    // rows refused; see Errors
	Errors    []RowError `json:"errors"`
}

// Error is a failure of the file as a whole: nothing was imported. Code is file_unreadable
// when the bytes are not a CSV or XLSX file (Row then says where reading stopped, when
// known), import_file_invalid when the file reads but its layout is wrong (no header,
// unknown or missing columns). Message is a plain sentence, never a parser's own words.
type Error struct {
	Code    string
	Row     int
	Message string
}

// Problem codes of Error.
const (
	CodeFileUnreadable = "file_unreadable"
	CodeFileInvalid    = "import_file_invalid"
)

func (e *Error) Error() string { return "import: " + e.Message }

// Import reads a whole file in the given format ("csv" or "xlsx") and registers its rows.
// progress, if not nil, is called after each batch with the rows done so far and the total.
// Rows are written in batches: a failure of the database stops the import and returns the
// report so far (the batches before it are committed) with the error. The next batch's rows
// are parsed, their owners resolved and their writes made ready while the batch before it is
// written.
func (im *Importer) Import(ctx context.Context, r io.Reader, format string, progress func(done, total int)) (Report, error) {
	rows, err := readRecords(r, format)
	if err != nil {
		return Report{}, err
	}
	if len(rows) == 0 {
		return Report{}, &Error{Code: CodeFileInvalid, Message: "the file is empty: want a header row first"}
	}
	col, err := headerOf(rows[0].cells, Columns, required)
	if err != nil {
		return Report{}, err
	}
	var rep Report
	data := make([]record, 0, len(rows)-1)
	for _, rec := range rows[1:] {
		if !blank(rec.cells) {
			data = append(data, rec)
		}
	}
	rep.Rows = len(data)
	size := im.BatchSize
	if size <= 0 {
		size = defaultBatch
	}
	done := 0
	if progress != nil {
		progress(done, rep.Rows)
	}
	err = registry.WriteAhead(ctx, len(data), size, func(ctx context.Context, start, end int) (batch, error) {
		b := im.prepare(ctx, data[start:end], col)
		return b, b.err
	}, func(_, _ int, b batch) error {
		for _, e := range b.fails {
			rep.fail(e)
		}
		if len(b.rows) > 0 {
			res, err := im.s.RegisterPrepared(ctx, b.prep)
			if err != nil {
				return fmt.Errorf("import: rows %d to %d: %w", b.rows[0], b.rows[len(b.rows)-1], err)
			}
			for i, x := range res {
				switch {
				case x.Err != nil:
					rep.fail(RowError{Row: b.rows[i], Column: column(x.Err.Field), Code: x.Err.Code, Message: x.Err.Message, Ref: x.Err.Ref})
				case x.Unchanged:
					rep.Unchanged++
				default:
					rep.Added++
				}
			}
		}
		done += b.n
		if progress != nil {
			progress(done, rep.Rows)
		}
		return nil
	})
	if err != nil {
		return rep, err
	}
	sortErrors(rep.Errors)
	return rep, im.settle(ctx, rep.Added)
}

// analyzeAfter rows added: a load this large can leave the planner's statistics far behind the
// tables until autovacuum comes round (a minute or more), and the next writes' reads planned as
// if the register were still small (one pledge batch's read took 90 ms instead of 2).
const analyzeAfter = 1000

// settle refreshes the statistics after an import that added analyzeAfter rows or more. The rows
// are written by then: an error here is the statistics' alone, and importing the file again
// adds nothing.
func (im *Importer) settle(ctx context.Context, added int) error {
	if added < analyzeAfter {
		return nil
	}
	if err := im.s.Analyze(ctx); err != nil {
		return fmt.Errorf("import: %d rows written; then: %w", added, err)
	}
	return nil
}

// batch is a run of the file's data rows made ready to write: the inputs of those that parsed
// and whose owners were found, with their row numbers; the others' errors.
type batch struct {
	n     int                  // data rows in the run
	prep  *registry.AssetBatch // the rows parsed and resolved, made ready to write
	rows  []int
	fails []RowError
	err   error // the database failed: nothing of this run was checked
}

// prepare parses a run of data rows, resolves their owners (unified social credit codes in
// one query, NAME@REGION one by one) and makes the rows ready to write (PrepareAssets).
func (im *Importer) prepare(ctx context.Context, recs []record, col map[string]int) batch {
	b := batch{n: len(recs)}
	raw := make([]parsedRow, len(recs))
	var usccs []string
	for i, rec := range recs {
		raw[i] = parseRow(rec.row, rec.cells, col)
		usccs = append(usccs, raw[i].usccs...)
	}
	byUSCC, err := im.s.PartyIDsByUSCC(ctx, usccs)
	if err != nil {
		b.err = err
		return b
	}
	ins := make([]registry.AssetInput, 0, len(recs))
	b.rows = make([]int, 0, len(recs))
	for _, pr := range raw {
		if pr.err != nil {
			b.fails = append(b.fails, *pr.err)
			continue
		}
		in, fail, err := im.resolveOwners(ctx, pr, byUSCC)
		if err != nil {
			b.err = err
			return b
		}
		if fail != nil {
			b.fails = append(b.fails, *fail)
			continue
		}
		ins, b.rows = append(ins, in), append(b.rows, pr.row)
	}
	if len(ins) > 0 {
		b.prep, b.err = im.s.PrepareAssets(ctx, ins)
	}
	return b
}

// resolveOwners fills the row's owner ids, or says why an owner is not known.
func (im *Importer) resolveOwners(ctx context.Context, pr parsedRow, byUSCC map[string]uuid.UUID) (registry.AssetInput, *RowError, error) {
	in := pr.in
	for j, o := range pr.owners {
		if o.id != uuid.Nil {
			in.OwnerIDs[j] = o.id
			continue
		}
		if o.name.name != "" {
			ps, err := im.s.PartiesByNameRegion(ctx, o.name.name, o.name.region)
			if err != nil {
				return in, nil, err
			}
			if len(ps) != 1 {
				code, why := "owner_unknown", "no party is named %s in unit %s"
				if len(ps) > 1 {
					code, why = "owner_ambiguous", "several parties are named %s in unit %s: name this one by its unified social credit code"
				}
				return in, &RowError{Row: pr.row, Column: "owners", Code: code, Message: fmt.Sprintf(why, o.name.name, o.name.region)}, nil
			}
			in.OwnerIDs[j] = ps[0].ID
			continue
		}
		id, found := byUSCC[o.uscc]
		if !found {
			return in, &RowError{Row: pr.row, Column: "owners", Code: "owner_unknown", Message: "no party has the unified social credit code " + o.uscc}, nil
		}
		in.OwnerIDs[j] = id
	}
	return in, nil, nil
}

func (r *Report) fail(e RowError) {
	r.Failed++
	r.Errors = append(r.Errors, e)
}

func sortErrors(es []RowError) {
	// Rows fail in two passes (parsing, then registration): report them in file order.
	slices.SortStableFunc(es, func(a, b RowError) int { return cmp.Compare(a.Row, b.Row) })
}

// column maps a domain error's field (owner_ids[1], attributes.ipc[0]) to the column.
func column(field string) string {
	f := strings.TrimPrefix(field, "attributes.")
	if i := strings.IndexByte(f, '['); i >= 0 {
		f = f[:i]
	}
	if f == "owner_ids" {
		return "owners"
	}
	return f
}

// record is one row of the file and its number there (the CSV line where it starts, or the
// sheet's row number).
type record struct {
	row   int
	cells []string
}

func readCSV(r io.Reader) ([]record, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	var out []record
	for {
		cells, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, csvError(err)
		}
		line, _ := cr.FieldPos(0)
		for _, c := range cells {
			if !utf8.ValidString(c) {
				return nil, &Error{Code: CodeFileUnreadable, Row: line, Message: fmt.Sprintf("line %d is not UTF-8 (save the CSV as UTF-8)", line)}
			}
		}
		if len(out) == 0 && len(cells) > 0 {
			cells[0] = strings.TrimPrefix(cells[0], "\ufeff") // Excel writes a BOM
		}
		out = append(out, record{row: line, cells: cells})
	}
	return out, nil
}

// csvError says in plain words where and why a CSV stopped being readable.
func csvError(err error) *Error {
	var pe *csv.ParseError
	if !errors.As(err, &pe) {
		return &Error{Code: CodeFileUnreadable, Message: "the file could not be read as CSV"}
	}
	why := "it is not valid CSV there"
	switch {
	case errors.Is(pe.Err, csv.ErrBareQuote):
		why = `a field that does not start with a quote contains a quote ("); put the whole field in double quotes and double the quote inside ("")`
	case errors.Is(pe.Err, csv.ErrQuote):
		why = `a quoted field is not closed, or a quote inside it is not doubled ("")`
	}
	return &Error{Code: CodeFileUnreadable, Row: pe.Line,
		Message: fmt.Sprintf("line %d, column %d: %s", pe.Line, pe.Column, why)}
}

func readXLSX(r io.Reader) ([]record, error) {
	f, err := excelize.OpenReader(r)
	if err != nil {
		// excelize's words ("zip: not a valid zip file") mean nothing to a registrar.
		return nil, &Error{Code: CodeFileUnreadable, Message: "the file is not an XLSX workbook (an .xlsx file saved by Excel or WPS); for a CSV, give the format as csv (?format=csv over HTTP, --format csv on the command line)"}
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return nil, &Error{Code: CodeFileUnreadable, Message: "the workbook has no sheet"}
	}
	// Raw values: a date cell is its serial number, which parseDate converts.
	rows, err := f.GetRows(sheets[0], excelize.Options{RawCellValue: true})
	if err != nil {
		return nil, &Error{Code: CodeFileUnreadable, Message: "the first sheet (" + sheets[0] + ") cannot be read; save the workbook again as .xlsx"}
	}
	out := make([]record, len(rows))
	for i, cells := range rows {
		out[i] = record{row: i + 1, cells: cells}
	}
	return out, nil
}

// headerOf maps the header's column names to their positions, refusing unknown, repeated and
// missing required columns.
func headerOf(cells []string, columns, required []string) (map[string]int, error) {
	col := map[string]int{}
	for i, h := range cells {
		h = strings.ToLower(strings.TrimSpace(h))
		if h == "" {
			continue
		}
		known := false
		for _, c := range columns {
			if c == h {
				known = true
			}
		}
		if !known {
			return nil, &Error{Code: CodeFileInvalid, Message: fmt.Sprintf("unknown column %q in the header (columns: %s)", h, strings.Join(columns, ", "))}
		}
		if _, dup := col[h]; dup {
			return nil, &Error{Code: CodeFileInvalid, Message: fmt.Sprintf("column %q appears twice in the header", h)}
		}
		col[h] = i
	}
	for _, c := range required {
		if _, ok := col[c]; !ok {
			return nil, &Error{Code: CodeFileInvalid, Message: fmt.Sprintf("the header lacks the required column %q", c)}
		}
	}
	return col, nil
}

func blank(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

type ownerRef struct {
	id   uuid.UUID
	uscc string
	name partyRef // NAME@REGION, for a party without a code
}

type parsedRow struct {
	row    int
	in     registry.AssetInput
	owners []ownerRef
	usccs  []string
	err    *RowError
}

func parseRow(rowNo int, cells []string, col map[string]int) parsedRow {
	get := func(name string) string {
		i, ok := col[name]
		if !ok || i >= len(cells) {
			return ""
		}
		return strings.TrimSpace(cells[i])
	}
	pr := parsedRow{row: rowNo}
	bad := func(column, code, msg string) parsedRow {
		pr.err = &RowError{Row: rowNo, Column: column, Code: code, Message: msg}
		return pr
	}
	for _, c := range Columns {
		if p := registry.TextProblem(get(c), false); p != "" {
			return bad(c, "text_invalid", "the cell "+p) // NUL would fail the whole batch in Postgres
		}
	}
	kind, err := ident.ParseKind(strings.ToLower(get("kind")))
	if err != nil {
		return bad("kind", ident.CodeKindUnknown, fmt.Sprintf("unknown kind %q", get("kind")))
	}
	pr.in = registry.AssetInput{Kind: kind, Number: get("number"), Title: get("title"), RegionCode: get("region_code")}
	for _, c := range []struct {
		name string
		dst  *term.Date
	}{{"filed_on", &pr.in.FiledOn}, {"granted_on", &pr.in.GrantedOn}} {
		v := get(c.name)
		if v == "" {
			continue
		}
		dd, ok := parseDate(v)
		if !ok {
			return bad(c.name, term.CodeDateFormat, fmt.Sprintf("%q is not a date (want YYYY-MM-DD)", v))
		}
		*c.dst = dd
	}
	if v := get("ipc"); v != "" {
		for _, c := range strings.FieldsFunc(v, func(r rune) bool { return r == ';' || r == ',' || r == '；' || r == '，' }) {
			if c = strings.TrimSpace(c); c != "" {
				pr.in.Attributes.IPC = append(pr.in.Attributes.IPC, c)
			}
		}
	}
	pr.in.Attributes.Category = get("category")
	for _, o := range strings.FieldsFunc(get("owners"), func(r rune) bool { return r == ';' || r == '；' }) {
		o = strings.TrimSpace(o)
		if o == "" {
			continue
		}
		if id, err := uuid.Parse(o); err == nil {
			pr.owners = append(pr.owners, ownerRef{id: id})
			continue
		}
		if ref, ok := parsePartyRef(o); ok && ref.uscc == "" {
			pr.owners = append(pr.owners, ownerRef{name: ref})
			continue
		}
		code, err := ident.CheckUSCC(o)
		if err != nil {
			var ie *ident.Error
			if errors.As(err, &ie) && ie.Code == ident.CodeUSCCCheck {
				// Confirmed pilot codes are stored as written; look them up as such.
				code = strings.ToUpper(strings.Join(strings.Fields(o), ""))
			} else {
				return bad("owners", "owner_format", fmt.Sprintf("owner %q is neither a party id, a unified social credit code nor NAME@REGION", o))
			}
		}
		pr.owners = append(pr.owners, ownerRef{uscc: code})
		pr.usccs = append(pr.usccs, code)
	}
	pr.in.OwnerIDs = make([]uuid.UUID, len(pr.owners))
	return pr
}

// parseDate accepts YYYY-MM-DD, YYYY/MM/DD, YYYY.MM.DD and an Excel date serial number.
func parseDate(v string) (term.Date, bool) {
	if dd, err := term.ParseDate(strings.NewReplacer("/", "-", ".", "-").Replace(v)); err == nil {
		return dd, true
	}
	if len(v) == 8 { // 20240306
		if dd, err := term.ParseDate(v[:4] + "-" + v[4:6] + "-" + v[6:]); err == nil {
			return dd, true
		}
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f < 1 || f > 2958465 {
		return term.Date{}, false
	}
	t, err := excelize.ExcelDateToTime(f, false)
	if err != nil {
		return term.Date{}, false
	}
	return term.FromTime(t), true
}
