package main

import (
	"bufio"
	"context"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"time"

	"github.com/uptrace/bun"

	"ipledger/ledger"
	"ipledger/migrations"
	"ipledger/migrations/pgdb"
	"ipledger/openapi"
	"ipledger/registry/access"
)

func migrateCmd(ctx context.Context, log *slog.Logger, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("migrate: want up, down [N], version or force V")
	}
	cfg, err := loadConfig()
	if err != nil {
		return err
	}
	dsn := cfg.MigrateURL
	var cluster *pgdb.Cluster
	if cfg.DatabaseURL == "" {
		c, err := pgdb.Start(ctx, cfg.DataDir+"/pg", pgdb.Options{Log: log})
		if err != nil {
			return err
		}
		cluster = c
		defer cluster.Stop()
		if err := ensureDatabase(ctx, c); err != nil {
			return err
		}
		dsn = c.DSN(pgdb.Superuser, appDatabase)
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
	switch args[0] {
	case "up":
		err = m.Up()
	case "down":
		n := 1
		if len(args) > 1 {
			if n, err = strconv.Atoi(args[1]); err != nil {
				return fmt.Errorf("migrate down N: %w", err)
			}
		}
		err = m.Down(n)
	case "force":
		if len(args) < 2 {
			return fmt.Errorf("migrate force V")
		}
		v, err := strconv.Atoi(args[1])
		if err != nil {
			return fmt.Errorf("migrate force V: %w", err)
		}
		return m.Force(v)
	case "version":
	default:
		return fmt.Errorf("migrate: unknown %q", args[0])
	}
	if err != nil {
		return err
	}
	v, dirty, err := m.Version()
	if err != nil {
		return err
	}
	fmt.Printf("version %d dirty=%v\n", v, dirty)
	return nil
}

func tokenCmd(ctx context.Context, log *slog.Logger, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("token: want create or new")
	}
	switch args[0] {
	case "new":
		fmt.Println(access.NewToken())
		return nil
	case "create":
	default:
		return fmt.Errorf("token: unknown %q", args[0])
	}
	fs := flag.NewFlagSet("token create", flag.ContinueOnError)
	name := fs.String("name", "", "principal name")
	role := fs.String("role", "", "admin, registrar, bank, planner or auditor")
	party := fs.String("party", "", "bank party id (role bank)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	st, err := openStore(ctx, log, true)
	if err != nil {
		return err
	}
	defer st.Close()
	acc := access.New(st.ledger)
	p, tok, err := acc.Create(ledger.WithActor(ctx, "operator/"+osUser()), *name, access.Role(*role), *party)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "principal %s (%s) created; its token, shown once:\n", p.ID, p.Role)
	fmt.Println(tok)
	return nil
}

func osUser() string {
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	return strconv.Itoa(os.Getuid())
}

// exportLine is one entry in an export: every hashed field, with the payload as the exact
// text that was hashed.
type exportLine struct {
	Seq            int64  `json:"seq"`
	Kind           string `json:"kind"`
	Subject        string `json:"subject"`
	Actor          string `json:"actor"`
	EffectiveOn    string `json:"effective_on"`
	RecordedAt     string `json:"recorded_at"`
	Payload        string `json:"payload"`
	IdempotencyKey string `json:"idempotency_key"`
	PrevHash       string `json:"prev_hash"`
	Hash           string `json:"hash"`
}

func exportCmd(ctx context.Context, log *slog.Logger, args []string) error {
	if len(args) != 1 {
		return fmt.Errorf("export FILE")
	}
	st, err := openStore(ctx, log, false)
	if err != nil {
		return err
	}
	defer st.Close()
	f, err := os.Create(args[0])
	if err != nil {
		return err
	}
	n, err := writeExport(ctx, st.read, f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "exported %d entries to %s\n", n, args[0])
	return nil
}

// writeExport writes the whole ledger as JSON lines (exportLine) and returns the count.
func writeExport(ctx context.Context, db bun.IDB, out io.Writer) (int, error) {
	w := bufio.NewWriterSize(out, 1<<20)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	after, n := int64(0), 0
	for {
		es, err := ledger.List(ctx, db, ledger.Filter{After: after, Limit: 1000})
		if err != nil {
			return n, err
		}
		if len(es) == 0 {
			break
		}
		for _, e := range es {
			if err := enc.Encode(exportLine{
				Seq: e.Seq, Kind: e.Kind, Subject: e.Subject, Actor: e.Actor, EffectiveOn: e.EffectiveDate(),
				RecordedAt: e.RecordedAt.UTC().Format(ledger.TimeLayout), Payload: string(e.Payload),
				IdempotencyKey: e.IdempotencyKey, PrevHash: e.PrevHash.String(), Hash: e.Hash.String(),
			}); err != nil {
				return n, err
			}
			after = e.Seq
			n++
		}
	}
	return n, w.Flush()
}

func verifyCmd(ctx context.Context, log *slog.Logger, args []string) error {
	var rep ledger.Report
	var err error
	if len(args) == 1 {
		f, ferr := os.Open(args[0])
		if ferr != nil {
			return ferr
		}
		defer f.Close()
		rep, err = verifyExport(f)
	} else {
		st, serr := openStore(ctx, log, false)
		if serr != nil {
			return serr
		}
		defer st.Close()
		rep, err = ledger.Verify(ctx, st.db)
	}
	if err != nil {
		return err
	}
	b, _ := json.Marshal(rep)
	fmt.Println(string(b))
	if !rep.OK {
		return fmt.Errorf("chain broken at seq %d: %s", *rep.FirstBadSeq, rep.Reason)
	}
	return nil
}

// verifyExport checks an export file offline, with the same rule the server uses.
func verifyExport(r io.Reader) (ledger.Report, error) {
	dec := json.NewDecoder(bufio.NewReaderSize(r, 1<<20))
	return ledger.VerifyStream(func(e *ledger.Entry) (bool, error) {
		var l exportLine
		if err := dec.Decode(&l); err == io.EOF {
			return false, nil
		} else if err != nil {
			return false, err
		}
		eff, err := time.Parse(ledger.DateLayout, l.EffectiveOn)
		if err != nil {
			return false, fmt.Errorf("entry %d effective_on: %w", l.Seq, err)
		}
		at, err := time.Parse(ledger.TimeLayout, l.RecordedAt)
		if err != nil {
			return false, fmt.Errorf("entry %d recorded_at: %w", l.Seq, err)
		}
		*e = ledger.Entry{Seq: l.Seq, Kind: l.Kind, Subject: l.Subject, Actor: l.Actor, EffectiveOn: eff, RecordedAt: at,
			Payload: []byte(l.Payload), IdempotencyKey: l.IdempotencyKey}
		if err := decodeHash(l.PrevHash, &e.PrevHash); err != nil {
			return false, fmt.Errorf("entry %d prev_hash: %w", l.Seq, err)
		}
		if err := decodeHash(l.Hash, &e.Hash); err != nil {
			return false, fmt.Errorf("entry %d hash: %w", l.Seq, err)
		}
		return true, nil
	})
}

func decodeHash(s string, h *ledger.Hash) error {
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 32 {
		return fmt.Errorf("not 64 hex digits")
	}
	copy(h[:], b)
	return nil
}

func openapiCmd(args []string) error {
	format := "yaml"
	if len(args) > 0 {
		format = args[0]
	}
	doc := openapi.New(openapi.Deps{}).OpenAPI()
	var b []byte
	var err error
	switch format {
	case "yaml":
		b, err = doc.YAML()
	case "json":
		b, err = json.MarshalIndent(doc, "", "  ")
	default:
		return fmt.Errorf("openapi: yaml or json")
	}
	if err != nil {
		return err
	}
	_, err = os.Stdout.Write(b)
	return err
}
