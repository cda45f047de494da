package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
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

// importCmd bulk-imports assets from a CSV or XLSX file (docs/IMPORT.md), with a progress bar
// on a terminal, and prints the report as JSON. Importing the same file again adds nothing.
func importCmd(ctx context.Context, log *slog.Logger, args []string) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	format := fs.String("format", "", "csv or xlsx (default: from the file name)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("import FILE [--format csv|xlsx]")
	}
	path := fs.Arg(0)
	if *format == "" {
		*format = strings.TrimPrefix(strings.ToLower(filepath.Ext(path)), ".")
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := openStore(ctx, log, true)
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
			bar = progressbar.NewOptions(total, progressbar.OptionSetWriter(os.Stderr), progressbar.OptionSetDescription("importing"),
				progressbar.OptionShowCount(), progressbar.OptionThrottle(100e6), progressbar.OptionClearOnFinish())
		}
		_ = bar.Set(done)
	}
	if fi, err := os.Stderr.Stat(); err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		progress = nil // not a terminal: no bar
	}
	rep, err := importer.New(reg).Import(ledger.WithActor(ctx, "operator/"+osUser()), f, *format, progress)
	if bar != nil {
		_ = bar.Finish()
	}
	out, _ := json.MarshalIndent(rep, "", "  ")
	fmt.Println(string(out))
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "%d rows: %d added, %d unchanged, %d failed\n", rep.Rows, rep.Added, rep.Unchanged, rep.Failed)
	return nil
}
