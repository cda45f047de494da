package console

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"ipledger/ledger"
	"ipledger/registry/importer"
)

// maxImport is the largest file accepted, as for the API's import.
const maxImport = 64 << 20

// importJob is an import running in the background, so that the page can show its progress.
// Jobs live in this process only: a restart forgets them (the rows already imported stay,
// and importing the file again adds nothing).
type importJob struct {
	ID, Owner, File string

	mu       sync.Mutex
	done     int
	total    int
	finished time.Time
	report   importer.Report
	fileErr  string
	internal bool
}

// importView is a job as a template sees it, read under the job's lock.
type importView struct {
	ID, File    string
	Done, Total int
	Finished    bool
	Report      importer.Report
	FileError   string
	Internal    bool
}

func (j *importJob) view() importView {
	j.mu.Lock()
	defer j.mu.Unlock()
	return importView{ID: j.ID, File: j.File, Done: j.done, Total: j.total, Finished: !j.finished.IsZero(),
		Report: j.report, FileError: j.fileErr, Internal: j.internal}
}

type importJobs struct {
	mu sync.Mutex
	m  map[string]*importJob
}

func newImportJobs() *importJobs { return &importJobs{m: map[string]*importJob{}} }

// add keeps j, forgetting jobs finished over an hour ago.
func (js *importJobs) add(j *importJob) {
	js.mu.Lock()
	defer js.mu.Unlock()
	for id, x := range js.m {
		x.mu.Lock()
		old := !x.finished.IsZero() && time.Since(x.finished) > time.Hour
		x.mu.Unlock()
		if old {
			delete(js.m, id)
		}
	}
	js.m[j.ID] = j
}

// get returns the job id if it belongs to owner: nobody sees another's import.
func (js *importJobs) get(id, owner string) (*importJob, bool) {
	js.mu.Lock()
	defer js.mu.Unlock()
	j, ok := js.m[id]
	return j, ok && j.Owner == owner
}

type importData struct {
	Form *form
	Job  *importView
}

func (c *Console) importPage(w http.ResponseWriter, r *http.Request) {
	d := importData{Form: newForm(nil)}
	if id := r.URL.Query().Get("job"); id != "" {
		p, _ := principalFrom(r.Context())
		j, ok := c.imports.get(id, p.ID)
		if !ok {
			d.Form.General = c.tr(r, "imp_unknown")
			c.render(w, r, http.StatusNotFound, "import", "title_import", d)
			return
		}
		v := j.view()
		d.Job = &v
	}
	c.render(w, r, http.StatusOK, "import", "title_import", d)
}

// importStart reads the uploaded file and imports it in the background with the same
// importer as the API (valid rows land, refused rows are reported), then shows its progress.
func (c *Console) importStart(w http.ResponseWriter, r *http.Request) {
	d := importData{Form: newForm(nil)}
	r.Body = http.MaxBytesReader(w, r.Body, maxImport+1<<20)
	file, hdr, err := r.FormFile("file")
	if err != nil {
		d.Form.Errs["file"] = c.tr(r, "imp_no_file")
		c.render(w, r, http.StatusUnprocessableEntity, "import", "title_import", d)
		return
	}
	defer file.Close()
	format := r.FormValue("format")
	if format != importer.CSV && format != importer.XLSX {
		format = strings.TrimPrefix(strings.ToLower(filepath.Ext(hdr.Filename)), ".")
	}
	d.Form.Values.Set("format", format)
	if format != importer.CSV && format != importer.XLSX {
		d.Form.Errs["format"] = errorText(langOf(r), "import_file_invalid", "") + " csv / xlsx"
		c.render(w, r, http.StatusUnprocessableEntity, "import", "title_import", d)
		return
	}
	body, err := io.ReadAll(io.LimitReader(file, maxImport+1))
	if err != nil || len(body) > maxImport {
		d.Form.Errs["file"] = c.tr(r, "imp_too_large")
		c.render(w, r, http.StatusRequestEntityTooLarge, "import", "title_import", d)
		return
	}
	p, _ := principalFrom(r.Context())
	var b [12]byte
	_, _ = rand.Read(b[:])
	j := &importJob{ID: hex.EncodeToString(b[:]), Owner: p.ID, File: filepath.Base(hdr.Filename)}
	c.imports.add(j)
	// The import outlives the request; it runs as the principal who asked, and, as in the
	// API, without an idempotency key (it is idempotent row by row).
	ctx := ledger.WithActor(context.WithoutCancel(r.Context()), p.Actor())
	ctx, _ = ledger.WithIdempotency(ctx, "", nil)
	go func() {
		rep, err := importer.New(c.Registry).Import(ctx, bytes.NewReader(body), format, func(done, total int) {
			j.mu.Lock()
			j.done, j.total = done, total
			j.mu.Unlock()
		})
		j.mu.Lock()
		defer j.mu.Unlock()
		j.report, j.finished = rep, time.Now()
		var ie *importer.Error
		switch {
		case errors.As(err, &ie):
			j.fileErr = ie.Message
		case err != nil:
			c.Log.ErrorContext(ctx, "console import", "err", err)
			j.internal = true
		}
	}()
	http.Redirect(w, r, "/console/import?job="+j.ID, http.StatusSeeOther)
}

// importStatus is the progress fragment htmx polls until the import is over.
func (c *Console) importStatus(w http.ResponseWriter, r *http.Request) {
	p, _ := principalFrom(r.Context())
	j, ok := c.imports.get(r.PathValue("job"), p.ID)
	if !ok {
		c.errorPage(w, r, http.StatusNotFound, "imp_unknown")
		return
	}
	v := j.view()
	c.fragment(w, r, http.StatusOK, "import", "job", importData{Job: &v})
}

// importErrors downloads the refused rows as CSV (UTF-8 with BOM, for spreadsheet programs).
func (c *Console) importErrors(w http.ResponseWriter, r *http.Request) {
	p, _ := principalFrom(r.Context())
	j, ok := c.imports.get(r.PathValue("job"), p.ID)
	if !ok {
		c.errorPage(w, r, http.StatusNotFound, "imp_unknown")
		return
	}
	v := j.view()
	var buf bytes.Buffer
	buf.WriteString("\ufeff")
	cw := csv.NewWriter(&buf)
	_ = cw.Write([]string{"row", "column", "code", "message", "ref"})
	for _, e := range v.Report.Errors {
		_ = cw.Write([]string{strconv.Itoa(e.Row), e.Column, e.Code, e.Message, e.Ref})
	}
	cw.Flush()
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="import-errors-`+v.ID+`.csv"`)
	_, _ = w.Write(buf.Bytes())
}
