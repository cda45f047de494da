// Command ipledger is the IP asset registry and pledge-financing ledger: the HTTP service
// and the operator's tools (migrations, tokens, import, export, offline verification).
//
// It behaves like a Unix tool: `ipledger help [COMMAND]` and `COMMAND -h` print usage on
// stdout and exit 0; a usage error prints the usage on stderr and exits 2; a failure prints
// one line on stderr and exits 1. Flags are the standard library's flag package (one
// FlagSet per command, ContinueOnError): the commands are few and flat, which needs no more.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
)

// Exit statuses.
const (
	exitOK      = 0
	exitFailure = 1 // the command ran and failed (or, for import, some rows failed)
	exitUsage   = 2 // the command line is wrong
)

// command is one subcommand. run parses its own flags first, so `help NAME` is `NAME -h`.
type command struct {
	name     string
	synopsis string // lines of the overview, after "ipledger "
	run      func(ctx context.Context, c *cli, args []string) error
}

func commands() []command {
	return []command{
		{"serve", "serve                         run the HTTP service (migrates on start)", serveCmd},
		{"migrate", "migrate up|down [N]|version|force V\n                                         run or inspect the database migrations", migrateCmd},
		{"token", "token create --name N --role R [--party ID]\n                                         create a principal and print its token\n  ipledger token new                     print a fresh random token (for IPLEDGER_BOOTSTRAP_TOKEN)", tokenCmd},
		{"import", "import [--layout parties|assets|events|pledges] [--format csv|xlsx] FILE\n                                         bulk-import parties, assets, asset events or pledges from CSV or XLSX", importCmd},
		{"export", "export [--from-seq N] [--to-seq N] [FILE]\n                                         write the ledger as JSON lines (FILE or -: stdout)", exportCmd},
		{"verify", "verify [FILE]                 verify the hash chain (of an export, or of the database)", verifyCmd},
		{"openapi", "openapi [yaml|json]           print the OpenAPI document", openapiCmd},
		{"receipt", "receipt verify FILE --key KEY\n                                         check a saved receipt offline: entry hash, inclusion, signature", receiptCmd},
		{"audit", "audit --checkpoint OLD --url URL [--key KEY] [--token TOKEN]\n                                         show that a kept checkpoint is a prefix of the server's log, or where they part", auditCmd},
		{"backup", "backup DIR                    physical base backup of the private cluster (pg_basebackup), with the WAL it needs", backupCmd},
		{"restore", "restore [--until TIME] DIR    restore a backup into an empty data dir, verify the ledger, print its head", restoreCmd},
	}
}

const environment = `Environment:
  DATABASE_URL               Postgres URL for the service role; unset: a private cluster under the data dir
  IPLEDGER_MIGRATE_DATABASE_URL  URL used for migrations (defaults to DATABASE_URL)
  IPLEDGER_READ_DATABASE_URL     optional replica for reads
  IPLEDGER_DATA_DIR          data directory (default ./.data)
  IPLEDGER_ADDR              listen address (default 127.0.0.1:8080)
  IPLEDGER_BOOTSTRAP_TOKEN   token of the first admin, when none exists
  IPLEDGER_RATE_LIMIT        requests/s per token (default 1000, burst twice that; 0 = off)
  IPLEDGER_SIGNING_KEY       the log's checkpoint signing key (note signer format); unset: <data dir>/signing.key, made at first start
  IPLEDGER_LOG_ORIGIN        the log's origin line in checkpoints (default ipledger.local/ledger)
  IPLEDGER_METRICS_ADDR      serve /metrics on this address (unset: on IPLEDGER_ADDR, to admin and auditor tokens)
  IPLEDGER_STATEMENT_TIMEOUT bound on every SQL statement and on a write's wait in the queue (default 60s)
  IPLEDGER_WRITE_QUEUE       writes that may wait for the committer (default 1024; past it 503 queue_full)
  IPLEDGER_WAL_ARCHIVE       a backup directory: the private cluster archives its WAL there (ipledger backup)
`

func overview() string {
	var b strings.Builder
	b.WriteString("ipledger — IP asset registry and pledge-financing ledger\n\nUsage:\n")
	for _, c := range commands() {
		fmt.Fprintf(&b, "  ipledger %s\n", c.synopsis)
	}
	b.WriteString("  ipledger help [COMMAND]                print this, or a command's usage (also: COMMAND -h)\n\n")
	b.WriteString(environment)
	b.WriteString("\nExit status: 0 success, 1 failure, 2 usage error.\n")
	return b.String()
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// cli is what a command writes to.
type cli struct {
	stdout, stderr io.Writer
	log            *slog.Logger
}

// run runs one command line (without the program name) and returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	log := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	slog.SetDefault(log)
	c := &cli{stdout: stdout, stderr: stderr, log: log}
	if len(args) == 0 {
		fmt.Fprint(stderr, overview())
		return exitUsage
	}
	name, rest := args[0], args[1:]
	switch name {
	case "help", "-h", "-help", "--help":
		if name != "help" || len(rest) == 0 || len(rest) == 1 && slices.Contains([]string{"help", "-h", "-help", "--help"}, rest[0]) {
			fmt.Fprint(stdout, overview())
			return exitOK
		}
		if len(rest) > 1 {
			fmt.Fprintf(stderr, "ipledger help: one command at a time\n\n%s", overview())
			return exitUsage
		}
		name, rest = rest[0], []string{"-h"}
	}
	for _, cmd := range commands() {
		if cmd.name == name {
			return c.exit(cmd.run(ctx, c, rest))
		}
	}
	fmt.Fprintf(stderr, "ipledger: unknown command %q\n\n%s", name, overview())
	return exitUsage
}

// exit reports a command's outcome and turns it into the exit status.
func (c *cli) exit(err error) int {
	var help *helpRequested
	var usage *usageError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &help):
		fmt.Fprint(c.stdout, help.usage)
		return exitOK
	case errors.As(err, &usage):
		fmt.Fprintf(c.stderr, "%s: %s\n\n%s", usage.cmd, usage.msg, usage.usage)
		return exitUsage
	default:
		// One line, no stack trace: errors such as pgdb.ErrNoBinaries say what to do.
		fmt.Fprintln(c.stderr, "ipledger:", err)
		return exitFailure
	}
}
