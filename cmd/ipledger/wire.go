package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/schollz/progressbar/v3"

	"ipledger/ledger"
	"ipledger/registry"
	"ipledger/registry/importer"
	"ipledger/registry/indicator"
)

// seed loads the reference data (regions, policy parameters, population, targets) at first
// start; each loader is idempotent.
func seed(ctx context.Context, reg *registry.Service) error {
	if err := reg.Seed(ctx); err != nil {
		return fmt.Errorf("seed reference data: %w", err)
	}
	if err := indicator.New(reg).Seed(ctx); err != nil {
		return fmt.Errorf("seed population, targets and baselines: %w", err)
	}
	return nil
}

const importUsage = `Usage: ipledger import [--layout parties|assets|events|pledges] [--format csv|xlsx] FILE

Bulk-imports a CSV or XLSX file of one layout (docs/IMPORT.md), with a progress bar on a
terminal: parties, assets (the default), asset events, or pledges with their events. Rows
name parties by unified social credit code or NAME@REGION and rights by number; load a
history in that order (parties, assets, events, pledges). Prints the report as JSON on
stdout, then the row errors and a summary on stderr. Importing the same file again adds
nothing. Exit status: 0 when every row was imported or already there, 1 when any row failed
(the others are imported) or the file was refused, 2 on a usage error.
`

// errRowsFailed ends an import in which some rows were refused: exit 1, after the report.
type errRowsFailed struct{ failed, rows int }

func (e errRowsFailed) Error() string {
	return fmt.Sprintf("import: %d of %d rows failed (see the errors above)", e.failed, e.rows)
}

// importCmd bulk-imports a CSV or XLSX file of one layout.
func importCmd(ctx context.Context, c *cli, args []string) error {
	fl := newFlags("import", importUsage)
	layout := fl.String("layout", importer.Assets, "what a row is: "+strings.Join(importer.Layouts(), ", "))
	format := fl.String("format", "", "csv or xlsx (default: from the file name's extension)")
	pos, err := fl.parse(args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return fl.fail("want one FILE, got %d arguments", len(pos))
	}
	path := pos[0]
	if !slices.Contains(importer.Layouts(), *layout) {
		return fl.fail("--layout %q: want %s", *layout, strings.Join(importer.Layouts(), ", "))
	}
	*format = strings.ToLower(*format)
	if *format == "" {
		*format = strings.TrimPrefix(strings.ToLower(filepath.Ext(path)), ".")
		if *format != importer.CSV && *format != importer.XLSX {
			return fl.fail("cannot tell the format of %q from its name: give --format csv or --format xlsx", path)
		}
	}
	if *format != importer.CSV && *format != importer.XLSX {
		return fl.fail("--format %q: want csv or xlsx", *format)
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := openStore(ctx, c.log, true)
	if err != nil {
		return err
	}
	defer st.Close()
	reg := registry.New(st.ledger)
	if err := seed(ledger.WithActor(ctx, "system"), reg); err != nil {
		return err
	}
	var bar *progressbar.ProgressBar
	progress := func(done, total int) {
		if bar == nil {
			bar = progressbar.NewOptions(total, progressbar.OptionSetWriter(c.stderr), progressbar.OptionSetDescription("importing"),
				progressbar.OptionShowCount(), progressbar.OptionThrottle(100e6), progressbar.OptionClearOnFinish())
		}
		_ = bar.Set(done)
	}
	if !isTerminal(c.stderr) {
		progress = nil
	}
	rep, err := importer.New(reg).ImportLayout(ledger.WithActor(ctx, "operator/"+osUser()), *layout, f, *format, progress)
	if bar != nil {
		_ = bar.Finish()
	}
	if err != nil && rep.Rows == 0 {
		return err // the file as a whole was refused: nothing to report
	}
	out, _ := json.MarshalIndent(rep, "", "  ")
	fmt.Fprintln(c.stdout, string(out))
	const shown = 20
	for i, e := range rep.Errors {
		if i == shown {
			fmt.Fprintf(c.stderr, "… and %d more row errors (in the report)\n", len(rep.Errors)-shown)
			break
		}
		col := ""
		if e.Column != "" {
			col = " " + e.Column
		}
		fmt.Fprintf(c.stderr, "row %d%s: %s (%s)\n", e.Row, col, e.Message, e.Code)
	}
	fmt.Fprintf(c.stderr, "%d rows: %d added, %d unchanged, %d failed\n", rep.Rows, rep.Added, rep.Unchanged, rep.Failed)
	if err != nil {
		return err
	}
	if rep.Failed > 0 {
		return errRowsFailed{failed: rep.Failed, rows: rep.Rows}
	}
	return nil
}

// isTerminal says whether w is a terminal (a progress bar would be noise in a file or pipe).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
