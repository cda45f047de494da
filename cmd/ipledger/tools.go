package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"ipledger/ledger"
	"ipledger/migrations"
	"ipledger/migrations/pgdb"
	"ipledger/openapi"
	"ipledger/registry/access"
)

const migrateUsage = `Usage: ipledger migrate up|down [N]|version|force V

  up          apply every pending migration
  down [N]    roll back N migrations (default 1)
  version     print the current version
  force V     set the version to V without running anything (after a failed migration)

Runs as IPLEDGER_MIGRATE_DATABASE_URL (default DATABASE_URL), or on the private cluster.
`

func migrateCmd(ctx context.Context, c *cli, args []string) error {
	f := newFlags("migrate", migrateUsage)
	pos, err := f.parse(args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return f.fail("want up, down [N], version or force V")
	}
	n := 0
	switch pos[0] {
	case "up", "version":
		if len(pos) > 1 {
			return f.fail("%s takes no argument", pos[0])
		}
	case "down":
		n = 1
		if len(pos) > 2 {
			return f.fail("down takes at most one number")
		}
		if len(pos) == 2 {
			if n, err = strconv.Atoi(pos[1]); err != nil || n < 1 {
				return f.fail("down N: N is a number of migrations ≥ 1, not %q", pos[1])
			}
		}
	case "force":
		if len(pos) != 2 {
			return f.fail("force takes one version number")
		}
		if n, err = strconv.Atoi(pos[1]); err != nil || n < -1 {
			return f.fail("force V: V is a migration version, not %q", pos[1])
		}
	default:
		return f.fail("unknown action %q: want up, down [N], version or force V", pos[0])
	}
	cfg, err := loadConfig()
	if err != nil {
		return err
	}
	dsn := cfg.MigrateURL
	var cluster *pgdb.Cluster
	if cfg.DatabaseURL == "" {
		cl, err := pgdb.Start(ctx, cfg.DataDir+"/pg", pgdb.Options{Log: c.log})
		if err != nil {
			return err
		}
		cluster = cl
		defer cluster.Stop()
		if err := ensureDatabase(ctx, cl); err != nil {
			return err
		}
		dsn = cl.DSN(pgdb.Superuser, appDatabase)
	}
	db, err := pgdb.Open(dsn, pgdb.Config{MaxConns: 2, AppName: "ipledger-migrate"})
	if err != nil {
		return err
	}
	defer db.Close()
	m, err := migrations.New(ctx, db.DB)
	if err != nil {
		return err
	}
	defer m.Close()
	switch pos[0] {
	case "up":
		err = m.Up()
	case "down":
		err = m.Down(n)
	case "force":
		err = m.Force(n)
	}
	if err != nil {
		return fmt.Errorf("migrate %s: %w", pos[0], err)
	}
	v, dirty, err := m.Version()
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "version %d dirty=%v\n", v, dirty)
	return nil
}

const tokenUsage = `Usage:
  ipledger token create --name N --role R [--party ID]
                     create a principal and print its token (shown once) on stdout
  ipledger token new  print a fresh random token, e.g. for IPLEDGER_BOOTSTRAP_TOKEN

ipledger token create -h lists its flags.
`

func tokenCmd(ctx context.Context, c *cli, args []string) error {
	f := newFlags("token", tokenUsage)
	// Only help is parsed here: the rest belongs to the action.
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		if _, err := f.parse(args); err != nil {
			return err
		}
		return f.fail("want create or new")
	}
	switch args[0] {
	case "new":
		nf := newFlags("token new", "Usage: ipledger token new\n\nPrints a fresh random token, e.g. for IPLEDGER_BOOTSTRAP_TOKEN.\n")
		pos, err := nf.parse(args[1:])
		if err != nil {
			return err
		}
		if len(pos) > 0 {
			return nf.fail("takes no arguments")
		}
		fmt.Fprintln(c.stdout, access.NewToken())
		return nil
	case "create":
	default:
		return f.fail("unknown action %q: want create or new", args[0])
	}
	cf := newFlags("token create", "Usage: ipledger token create --name N --role R [--party ID]\n\n"+
		"Creates a principal and prints its token on stdout, once; it is stored only as a hash.\n")
	name := cf.String("name", "", "principal name (required)")
	role := cf.String("role", "", "admin, registrar, bank, planner or auditor (required)")
	party := cf.String("party", "", "the bank's party id (role bank only)")
	pos, err := cf.parse(args[1:])
	if err != nil {
		return err
	}
	switch {
	case len(pos) > 0:
		return cf.fail("unexpected argument %q", pos[0])
	case *name == "":
		return cf.fail("--name is required")
	case *role == "":
		return cf.fail("--role is required")
	}
	st, err := openStore(ctx, c.log, true)
	if err != nil {
		return err
	}
	defer st.Close()
	acc := access.New(st.ledger)
	p, tok, err := acc.Create(ledger.WithActor(ctx, "operator/"+osUser()), *name, access.Role(*role), *party)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stderr, "principal %s (%s) created; its token, shown once:\n", p.ID, p.Role)
	fmt.Fprintln(c.stdout, tok)
	return nil
}

func osUser() string {
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	return strconv.Itoa(os.Getuid())
}

const exportUsage = `Usage: ipledger export [--from-seq N] [--to-seq N] [FILE]

Writes ledger entries as JSON lines, one entry a line with every hashed field (the format of
docs/LEDGER.md, the same bytes as GET /v1/ledger/export), to FILE, or to stdout when FILE is
absent or -. Without --to-seq the export ends at the last entry when it starts.
`

func exportCmd(ctx context.Context, c *cli, args []string) error {
	f := newFlags("export", exportUsage)
	from := f.Int64("from-seq", 1, "first entry")
	to := f.Int64("to-seq", 0, "last entry (0: the last entry now)")
	pos, err := f.parse(args)
	if err != nil {
		return err
	}
	switch {
	case len(pos) > 1:
		return f.fail("one FILE at most, got %d arguments", len(pos))
	case *from < 1:
		return f.fail("--from-seq must be ≥ 1")
	case *to < 0:
		return f.fail("--to-seq must be ≥ 1 (or 0 for the last entry)")
	case *to != 0 && *to < *from:
		return f.fail("--to-seq %d is before --from-seq %d", *to, *from)
	}
	path := "-"
	if len(pos) == 1 {
		path = pos[0]
	}
	st, err := openStore(ctx, c.log, false)
	if err != nil {
		return err
	}
	defer st.Close()
	var out io.Writer = c.stdout
	var file *os.File
	if path != "-" {
		if file, err = os.Create(path); err != nil {
			return err
		}
		out = file
	}
	n, err := ledger.Export(ctx, st.read, out, *from, *to)
	if file != nil {
		if cerr := file.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return err
	}
	if path == "-" {
		path = "stdout"
	}
	fmt.Fprintf(c.stderr, "exported %d entries to %s\n", n, path)
	return nil
}

const verifyUsage = `Usage: ipledger verify [FILE]

Recomputes every hash and link of the chain: of an export (FILE, or - for stdin), with no
database; or, without FILE, of the database itself. Prints a JSON report on stdout and
exits 1 when the chain is broken. An export that starts after entry 1 is checked from its
first entry's prev_hash (from_prev_hash in the report): compare that with a hash you hold.
`

func verifyCmd(ctx context.Context, c *cli, args []string) error {
	f := newFlags("verify", verifyUsage)
	pos, err := f.parse(args)
	if err != nil {
		return err
	}
	if len(pos) > 1 {
		return f.fail("one FILE at most, got %d arguments", len(pos))
	}
	var rep ledger.Report
	switch {
	case len(pos) == 1 && pos[0] == "-":
		rep, err = ledger.VerifyExport(os.Stdin)
	case len(pos) == 1:
		file, ferr := os.Open(pos[0])
		if ferr != nil {
			return ferr
		}
		defer file.Close()
		rep, err = ledger.VerifyExport(file)
	default:
		st, serr := openStore(ctx, c.log, false)
		if serr != nil {
			return serr
		}
		defer st.Close()
		rep, err = ledger.Verify(ctx, st.db, ledger.WithVerifier(st.ledger.Key().Verifier()))
	}
	if err != nil {
		return err
	}
	b, _ := json.Marshal(rep)
	fmt.Fprintln(c.stdout, string(b))
	if !rep.OK {
		return fmt.Errorf("chain broken at seq %d: %s", *rep.FirstBadSeq, rep.Reason)
	}
	return nil
}

const openapiUsage = `Usage: ipledger openapi [yaml|json]

Prints the OpenAPI document of the HTTP API (default yaml); no database needed.
`

func openapiCmd(_ context.Context, c *cli, args []string) error {
	f := newFlags("openapi", openapiUsage)
	pos, err := f.parse(args)
	if err != nil {
		return err
	}
	format := "yaml"
	switch len(pos) {
	case 0:
	case 1:
		format = pos[0]
	default:
		return f.fail("one format at most")
	}
	doc := openapi.New(openapi.Deps{}).OpenAPI()
	var b []byte
	switch format {
	case "yaml":
		b, err = doc.YAML()
	case "json":
		b, err = json.MarshalIndent(doc, "", "  ")
	default:
		return f.fail("unknown format %q: want yaml or json", format)
	}
	if err != nil {
		return err
	}
	_, err = c.stdout.Write(b)
	return err
}
