// Command ipledger is the IP asset registry and pledge-financing ledger: the HTTP service
// and the operator's tools (migrations, tokens, import, export, offline verification).
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

const usage = `ipledger — IP asset registry and pledge-financing ledger

Usage:
  ipledger serve                         run the HTTP service (migrates on start)
  ipledger migrate up|down [N]|version|force V
  ipledger token create --name N --role R [--party ID]
                                         create a principal and print its token
  ipledger token new                     print a fresh random token (for IPLEDGER_BOOTSTRAP_TOKEN)
  ipledger import FILE [--kind K]        bulk-import assets from CSV or XLSX
  ipledger export FILE                   write the whole ledger as JSON lines
  ipledger verify [FILE]                 verify the hash chain (of an export, or of the database)
  ipledger openapi [yaml|json]           print the OpenAPI document

Environment:
  DATABASE_URL               Postgres URL for the service role; unset: a private cluster under the data dir
  IPLEDGER_MIGRATE_DATABASE_URL  URL used for migrations (defaults to DATABASE_URL)
  IPLEDGER_READ_DATABASE_URL     optional replica for reads
  IPLEDGER_DATA_DIR          data directory (default ./.data)
  IPLEDGER_ADDR              listen address (default 127.0.0.1:8080)
  IPLEDGER_BOOTSTRAP_TOKEN   token of the first admin, when none exists
  IPLEDGER_RATE_LIMIT        requests/s per token (default 1000, burst twice that; 0 = off)
`

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	slog.SetDefault(log)
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	args := os.Args[2:]
	switch os.Args[1] {
	case "serve":
		err = serve(ctx, log)
	case "migrate":
		err = migrateCmd(ctx, log, args)
	case "token":
		err = tokenCmd(ctx, log, args)
	case "import":
		err = importCmd(ctx, log, args)
	case "export":
		err = exportCmd(ctx, log, args)
	case "verify":
		err = verifyCmd(ctx, log, args)
	case "openapi":
		err = openapiCmd(args)
	case "help", "-h", "--help":
		fmt.Print(usage)
	default:
		fmt.Fprintf(os.Stderr, "ipledger: unknown command %q\n\n%s", os.Args[1], usage)
		os.Exit(2)
	}
	if err != nil {
		// One line, no stack trace: errors such as pgdb.ErrNoBinaries say what to do.
		fmt.Fprintln(os.Stderr, "ipledger:", err)
		os.Exit(1)
	}
}
