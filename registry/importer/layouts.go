package importer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/uptrace/bun/dialect/pgdialect"

	"ipledger/ledger"
	"ipledger/registry"
	"ipledger/registry/ident"
	"ipledger/registry/term"
)

// Layouts Import reads: what one row of the file is (docs/IMPORT.md has a section on each).
const (
	Parties = "parties" // one party per row
	Assets  = "assets"  // one right per row (the default)
	Events  = "events"  // one asset event per row
	Pledges = "pledges" // one pledge registration or pledge event per row
)

// Layouts lists the layouts, in the order a history loads: parties, assets, events, pledges.
func Layouts() []string { return []string{Parties, Assets, Events, Pledges} }

// CodeLayoutUnknown is the code of an Error for a layout that is none of Layouts.
const CodeLayoutUnknown = "layout_unknown"

// ImportLayout reads a whole file of the given layout ("" is assets) and format and writes its
// rows through the same service calls as the API. progress, if not nil, is called with the
// rows done so far and the total. Parties and assets already registered with the same data
// are counted unchanged; an event or pledge row is written under an idempotency key derived
// from its content, so a row written before (by anyone) is counted unchanged: importing a file
// twice adds nothing. A database failure stops the import and returns the report so far.
func (im *Importer) ImportLayout(ctx context.Context, layout string, r io.Reader, format string, progress func(done, total int)) (Report, error) {
	var l *rowLayout
	switch layout {
	case Assets, "":
		return im.Import(ctx, r, format, progress)
	case Parties:
		l = partyLayout
	case Events:
		l = eventLayout
	case Pledges:
		l = pledgeLayout
	default:
		return Report{}, &Error{Code: CodeLayoutUnknown, Message: fmt.Sprintf("unknown layout %q (want %s)", layout, strings.Join(Layouts(), ", "))}
	}
	return im.importRows(ctx, l, r, format, progress)
}

// rowLayout is a layout written one row per service call, in file order, so that a row may
// refer to what an earlier row created.
type rowLayout struct {
	name     string
	columns  []string
	required []string
	dates    []string // columns holding dates: normalised before the row's key is taken
	// keyed rows carry a key derived from their content as the write's idempotency key.
	keyed bool
	// write imports one row: added, or unchanged, or a row error; err is a failure of the
	// database, which stops the import.
	write func(ctx context.Context, im *Importer, r *row) (added bool, rerr *RowError, err error)
}

// row is one data row of a row layout.
type row struct {
	n     int
	cells []string
	col   map[string]int
	key   string
	hash  []byte
}

// get is the trimmed cell of the column ("" when the column or cell is absent).
func (r *row) get(name string) string {
	i, ok := r.col[name]
	if !ok || i >= len(r.cells) {
		return ""
	}
	return strings.TrimSpace(r.cells[i])
}

func (r *row) fail(column, code, format string, args ...any) *RowError {
	return &RowError{Row: r.n, Column: column, Code: code, Message: fmt.Sprintf(format, args...)}
}

// readRecords reads every row of a CSV or XLSX file.
func readRecords(r io.Reader, format string) ([]record, error) {
	switch strings.ToLower(format) {
	case CSV:
		return readCSV(r)
	case XLSX:
		return readXLSX(r)
	}
	return nil, &Error{Code: CodeFileInvalid, Message: fmt.Sprintf("unknown format %q (want csv or xlsx)", format)}
}

func (im *Importer) importRows(ctx context.Context, l *rowLayout, r io.Reader, format string, progress func(done, total int)) (Report, error) {
	recs, err := readRecords(r, format)
	if err != nil {
		return Report{}, err
	}
	if len(recs) == 0 {
		return Report{}, &Error{Code: CodeFileInvalid, Message: "the file is empty: want a header row first"}
	}
	col, err := headerOf(recs[0].cells, l.columns, l.required)
	if err != nil {
		return Report{}, err
	}
	var rep Report
	var rows []*row
	var keys []string
	for _, rec := range recs[1:] {
		if blank(rec.cells) {
			continue
		}
		rep.Rows++
		rw := &row{n: rec.row, cells: rec.cells, col: col}
		if l.keyed {
			rw.key, rw.hash = rowKey(l, rw)
			keys = append(keys, rw.key)
		}
		rows = append(rows, rw)
	}
	if l.keyed {
		unlock, err := im.lock(ctx)
		if err != nil {
			return rep, err
		}
		defer unlock()
	}
	written, err := im.writtenKeys(ctx, keys)
	if err != nil {
		return rep, err
	}
	if progress != nil {
		progress(0, rep.Rows)
	}
	for i, rw := range rows {
		added, rerr, err := im.importRow(ctx, l, rw, written)
		switch {
		case err != nil:
			return rep, fmt.Errorf("import: row %d: %w", rw.n, err)
		case rerr != nil:
			rep.fail(*rerr)
		case added:
			rep.Added++
		default:
			rep.Unchanged++
		}
		if progress != nil {
			progress(i+1, rep.Rows)
		}
	}
	return rep, im.settle(ctx, rep.Added)
}

// importRow checks the row's text, skips it when its key was written, and writes it. A row
// written now marks its key, so that the same row again in the file is unchanged too.
func (im *Importer) importRow(ctx context.Context, l *rowLayout, rw *row, written map[string]bool) (bool, *RowError, error) {
	for _, c := range l.columns {
		if p := registry.TextProblem(rw.get(c), c == "note"); p != "" {
			return false, rw.fail(c, "text_invalid", "the cell %s", p), nil
		}
	}
	if l.keyed && written[rw.key] {
		return false, nil, nil
	}
	wctx := ctx
	if l.keyed {
		wctx, _ = ledger.WithIdempotency(ctx, rw.key, rw.hash)
	}
	added, rerr, err := l.write(wctx, im, rw)
	switch {
	case errors.Is(err, ledger.ErrIdempotentReplay):
		return false, nil, nil // written under this key since the look-up
	case err != nil || rerr != nil:
		return false, rerr, err
	}
	if l.keyed {
		written[rw.key] = true
	}
	return added, nil, nil
}

// rowKey derives a row's idempotency key from its content: its non-empty cells in the layout's
// column order (so neither the file's column order, nor the row's position, nor a column added
// to the layout later matters), with dates in one spelling.
func rowKey(l *rowLayout, rw *row) (string, []byte) {
	h := sha256.New()
	for _, c := range l.columns {
		v := rw.get(c)
		if v == "" {
			continue
		}
		if slices.Contains(l.dates, c) {
			if d, ok := parseDate(v); ok {
				v = d.String()
			}
		}
		fmt.Fprintf(h, "%s=%q\n", c, v)
	}
	sum := h.Sum(nil)
	return "import/" + l.name + "/" + hex.EncodeToString(sum[:20]), sum
}

// importLock is the advisory lock an import of keyed rows holds: two imports of one file at
// the same time (by two operators, in two processes) would otherwise both find its keys
// unwritten, and the ledger's own check of a key is per actor.
const importLock = 0x69706c6467_696d70 // "ipldg" "imp"

// lock waits, as long as ctx allows, until no other import of keyed rows runs, and holds
// that until unlock is called.
func (im *Importer) lock(ctx context.Context) (unlock func(), err error) {
	conn, err := im.s.Ledger().DB().Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("import: lock: %w", err)
	}
	for {
		var ok bool
		if err := conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock(?)`, int64(importLock)).Scan(&ok); err != nil {
			conn.Close()
			return nil, fmt.Errorf("import: lock: %w", err)
		}
		if ok {
			break
		}
		select {
		case <-ctx.Done():
			conn.Close()
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return func() {
		_, _ = conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(?)`, int64(importLock))
		conn.Close()
	}, nil
}

// writtenKeys returns which of keys some earlier write carried, whoever its actor.
func (im *Importer) writtenKeys(ctx context.Context, keys []string) (map[string]bool, error) {
	out := map[string]bool{}
	if len(keys) == 0 {
		return out, nil
	}
	rows, err := im.s.Ledger().DB().QueryContext(ctx,
		`SELECT DISTINCT idempotency_key FROM ledger.entries WHERE idempotency_key = ANY(?::text[])`, pgdialect.Array(keys))
	if err != nil {
		return nil, fmt.Errorf("import: look up row keys: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, err
		}
		out[k] = true
	}
	return out, rows.Err()
}

// domainError turns a refusal of the service into the row's error, at the column that holds
// the field it names (columns maps a field, without any index, to the column).
func domainError(rw *row, err error, columns map[string]string) (*RowError, error) {
	de, ok := registry.AsError(err)
	if !ok {
		return nil, err
	}
	f := indexRE.ReplaceAllString(de.Field, "") // appraisals[0].value: appraisals.value
	c, ok := columns[f]
	if !ok {
		c = f
	}
	return &RowError{Row: rw.n, Column: c, Code: de.Code, Message: de.Message, Ref: de.Ref}, nil
}

var indexRE = regexp.MustCompile(`\[\d+\]`)

// splitList splits a cell holding several references (owners, pledgors, rights) at ';'.
func splitList(v string) []string {
	var out []string
	for _, s := range strings.FieldsFunc(v, func(r rune) bool { return r == ';' || r == '；' }) {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// parseBool reads a yes/no cell; empty is no.
func parseBool(v string) (bool, bool) {
	switch strings.ToLower(v) {
	case "", "no", "false", "0", "n", "否":
		return false, true
	case "yes", "true", "1", "y", "是":
		return true, true
	}
	return false, false
}

// parseMoney drops thousands separators, which spreadsheets add; the service checks the rest.
func parseMoney(v string) string {
	return strings.NewReplacer(",", "", "，", "", " ", "").Replace(v)
}

// partyRef is how a row names a party: its unified social credit code, or NAME@REGION (its
// name as registered and its county-level unit), for parties without a code.
type partyRef struct {
	uscc, name, region string
}

// parsePartyRef reads a party reference; ok is false when it is neither form.
func parsePartyRef(v string) (partyRef, bool) {
	if i := strings.LastIndexAny(v, "@＠"); i > 0 {
		_, w := utf8.DecodeRuneInString(v[i:])
		name, region := strings.TrimSpace(v[:i]), strings.TrimSpace(v[i+w:])
		if name != "" && region != "" {
			return partyRef{name: name, region: region}, true
		}
		return partyRef{}, false
	}
	code, err := ident.CheckUSCC(v)
	if err != nil {
		if ident.CodeOf(err) != ident.CodeUSCCCheck {
			return partyRef{}, false
		}
		code = ident.NormalizeUSCC(v) // a confirmed nonconforming code is stored as written
	}
	return partyRef{uscc: code}, true
}

func (p partyRef) String() string {
	if p.uscc != "" {
		return p.uscc
	}
	return p.name + "@" + p.region
}

// party resolves one party reference in the cell of column; the row error names what is
// missing.
func (im *Importer) party(ctx context.Context, rw *row, column, v string) (uuid.UUID, *RowError, error) {
	ref, ok := parsePartyRef(v)
	if !ok {
		return uuid.Nil, rw.fail(column, "party_ref_format", "%q is neither a unified social credit code nor NAME@REGION (a name and its unit code, e.g. 张三@150502)", v), nil
	}
	if ref.uscc != "" {
		ids, err := im.s.PartyIDsByUSCC(ctx, []string{ref.uscc})
		if err != nil {
			return uuid.Nil, nil, err
		}
		id, found := ids[ref.uscc]
		if !found {
			return uuid.Nil, rw.fail(column, "party_unknown", "no party has the unified social credit code %s (import it with the parties layout first)", ref.uscc), nil
		}
		return id, nil, nil
	}
	ps, err := im.s.PartiesByNameRegion(ctx, ref.name, ref.region)
	if err != nil {
		return uuid.Nil, nil, err
	}
	switch len(ps) {
	case 0:
		return uuid.Nil, rw.fail(column, "party_unknown", "no party is named %s in unit %s (import it with the parties layout first)", ref.name, ref.region), nil
	case 1:
		return ps[0].ID, nil, nil
	}
	e := rw.fail(column, "party_ambiguous", "%d parties are named %s in unit %s: name this one by its unified social credit code", len(ps), ref.name, ref.region)
	e.Ref = ps[0].ID.String()
	return uuid.Nil, e, nil
}

// parties resolves a ';'-separated list of party references.
func (im *Importer) parties(ctx context.Context, rw *row, column string) ([]uuid.UUID, *RowError, error) {
	var out []uuid.UUID
	for _, v := range splitList(rw.get(column)) {
		id, rerr, err := im.party(ctx, rw, column, v)
		if rerr != nil || err != nil {
			return nil, rerr, err
		}
		out = append(out, id)
	}
	return out, nil, nil
}

// asset resolves a right by its number in any accepted spelling, optionally written
// KIND:NUMBER (or with kind given) when the number alone fits rights of several kinds.
func (im *Importer) asset(ctx context.Context, rw *row, column, v string, kind ident.Kind) (uuid.UUID, *RowError, error) {
	if k, rest, ok := strings.Cut(v, ":"); ok {
		if pk, err := ident.ParseKind(strings.ToLower(strings.TrimSpace(k))); err == nil {
			kind, v = pk, strings.TrimSpace(rest)
		}
	}
	var readings []ident.Reading
	if kind != "" {
		n, err := ident.Canonical(kind, v)
		if err != nil {
			var ie *ident.Error
			if errors.As(err, &ie) {
				return uuid.Nil, rw.fail(column, ie.Code, "%s %q: %s", kind, v, ie.Detail), nil
			}
			return uuid.Nil, rw.fail(column, "asset_ref_format", "%q is not a %s number", v, kind), nil
		}
		readings = []ident.Reading{{Kind: kind, Number: n}}
	} else {
		readings = ident.Readings(v)
		if len(readings) == 0 {
			return uuid.Nil, rw.fail(column, "asset_ref_format", "%q is no right's number under any kind's rules (a patent's check character may be wrong)", v), nil
		}
	}
	as, err := im.s.AssetsByNumber(ctx, readings)
	if err != nil {
		return uuid.Nil, nil, err
	}
	switch len(as) {
	case 0:
		return uuid.Nil, rw.fail(column, "asset_unknown", "no right numbered %s is registered (import it with the assets layout first)", v), nil
	case 1:
		return as[0].ID, nil, nil
	}
	var kinds []string
	for _, a := range as {
		kinds = append(kinds, string(a.Kind))
	}
	return uuid.Nil, rw.fail(column, "asset_ambiguous", "%s numbers rights of several kinds (%s): write KIND:NUMBER", v, strings.Join(kinds, ", ")), nil
}

// assets resolves a ';'-separated list of rights.
func (im *Importer) assets(ctx context.Context, rw *row, column string) ([]uuid.UUID, *RowError, error) {
	var out []uuid.UUID
	for _, v := range splitList(rw.get(column)) {
		id, rerr, err := im.asset(ctx, rw, column, v, "")
		if rerr != nil || err != nil {
			return nil, rerr, err
		}
		out = append(out, id)
	}
	return out, nil, nil
}

// date parses an optional date cell (empty: the zero date).
func (rw *row) date(column string) (term.Date, *RowError) {
	v := rw.get(column)
	if v == "" {
		return term.Date{}, nil
	}
	d, ok := parseDate(v)
	if !ok {
		return term.Date{}, rw.fail(column, term.CodeDateFormat, "%q is not a date (want YYYY-MM-DD)", v)
	}
	return d, nil
}
