package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"ipledger/ledger"
	"ipledger/migrations/pgdb"
)

const backupUsage = `Usage: ipledger backup DIR

Takes a consistent physical base backup of the private cluster (under IPLEDGER_DATA_DIR) into
DIR/base with pg_basebackup, the WAL it needs streamed alongside, while the service may keep
serving. Copies the log's signing key (DIR/signing.key, mode 0600: keep DIR private) and
writes DIR/backup.json: the ledger's head seq and hash when the backup ended.

Continuous archiving: start the service with IPLEDGER_WAL_ARCHIVE=DIR and the cluster copies
every finished WAL segment (at least once a minute) into DIR/wal; a base backup taken into
the same DIR can then be restored to any moment after it (ipledger restore --until TIME).

With DATABASE_URL (an external Postgres) use that server's own tools: README.md, Operations.
`

const restoreUsage = `Usage: ipledger restore [--until TIME] DIR

Restores the backup in DIR (made by ipledger backup) into IPLEDGER_DATA_DIR, whose pg/ must be
absent or empty: copies the base backup, replays the archived WAL in DIR/wal when there is
any (up to TIME, RFC 3339, e.g. 2026-11-28T10:50:00Z, with --until; else to its end), opens
the database, verifies the whole ledger (chain, Merkle log, checkpoint signature) and prints
its head as JSON. Exit status 1 when the restored ledger does not verify.
`

// backupInfo is DIR/backup.json.
type backupInfo struct {
	TakenAt  time.Time `json:"taken_at"`
	HeadSeq  int64     `json:"head_seq"`
	HeadHash string    `json:"head_hash"`
}

func backupCmd(ctx context.Context, c *cli, args []string) error {
	f := newFlags("backup", backupUsage)
	pos, err := f.parse(args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return f.fail("want one DIR, got %d arguments", len(pos))
	}
	dir, err := filepath.Abs(pos[0])
	if err != nil {
		return err
	}
	cfg, err := loadConfig()
	if err != nil {
		return err
	}
	if cfg.DatabaseURL != "" {
		return errors.New("backup copies the private cluster; with DATABASE_URL set, back up that server with its own tools (README.md, Operations)")
	}
	// The running service's cluster is reused as it is; else one is started for the backup.
	cl, err := pgdb.Start(ctx, filepath.Join(cfg.DataDir, "pg"), pgdb.Options{Log: c.log, ArchiveDir: cfg.Ops.WALArchive})
	if err != nil {
		return err
	}
	defer cl.Stop()
	if err := cl.BaseBackup(ctx, dir); err != nil {
		return err
	}
	info := backupInfo{TakenAt: time.Now().UTC()}
	if info.HeadSeq, info.HeadHash, err = readHead(ctx, cl); err != nil {
		return err
	}
	if err := copyFile(filepath.Join(cfg.DataDir, "signing.key"), filepath.Join(dir, "signing.key")); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("copy the signing key: %w", err)
	}
	out, _ := json.MarshalIndent(info, "", "  ")
	if err := os.WriteFile(filepath.Join(dir, "backup.json"), append(out, '\n'), 0o600); err != nil {
		return fmt.Errorf("write backup.json: %w", err)
	}
	fmt.Fprintln(c.stdout, string(out))
	return nil
}

// restoreReport is what restore prints.
type restoreReport struct {
	HeadSeq  int64         `json:"head_seq"`
	HeadHash string        `json:"head_hash"`
	Until    *time.Time    `json:"until,omitempty"`
	Backup   backupInfo    `json:"backup"`
	Verify   ledger.Report `json:"verify"`
}

func restoreCmd(ctx context.Context, c *cli, args []string) error {
	f := newFlags("restore", restoreUsage)
	untilText := f.String("until", "", "recover to this moment (RFC 3339) from the archived WAL")
	pos, err := f.parse(args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return f.fail("want one DIR, got %d arguments", len(pos))
	}
	var until time.Time
	if *untilText != "" {
		if until, err = time.Parse(time.RFC3339Nano, *untilText); err != nil {
			return f.fail("--until %q: want an RFC 3339 time such as 2026-11-28T10:50:00Z", *untilText)
		}
	}
	dir := pos[0]
	cfg, err := loadConfig()
	if err != nil {
		return err
	}
	if cfg.DatabaseURL != "" {
		return errors.New("restore rebuilds the private cluster; with DATABASE_URL set, restore that server with its own tools (README.md, Operations)")
	}
	var rep restoreReport
	if b, err := os.ReadFile(filepath.Join(dir, "backup.json")); err == nil {
		_ = json.Unmarshal(b, &rep.Backup)
	}
	dataDir := filepath.Join(cfg.DataDir, "pg")
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return err
	}
	if err := pgdb.Restore(dir, dataDir, until); err != nil {
		return err
	}
	keyPath := filepath.Join(cfg.DataDir, "signing.key")
	if _, err := os.Stat(keyPath); errors.Is(err, fs.ErrNotExist) {
		if err := copyFile(filepath.Join(dir, "signing.key"), keyPath); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("restore the signing key: %w", err)
		}
	}
	cl, err := pgdb.Start(ctx, dataDir, pgdb.Options{Log: c.log})
	if err != nil {
		return fmt.Errorf("start the restored cluster: %w", err)
	}
	defer cl.Stop()
	if err := cl.WaitPromoted(ctx, 10*time.Minute); err != nil {
		return err
	}
	if rep.HeadSeq, rep.HeadHash, err = readHead(ctx, cl); err != nil {
		return err
	}
	if !until.IsZero() {
		rep.Until = &until
	}
	db, err := pgdb.Open(cl.DSN(pgdb.Superuser, appDatabase), pgdb.Config{MaxConns: 4})
	if err != nil {
		return err
	}
	defer db.Close()
	var opts []ledger.VerifyOption
	if key, err := logKey(cfg); err == nil {
		opts = append(opts, ledger.WithVerifier(key.Verifier()))
	}
	if rep.Verify, err = ledger.Verify(ctx, db, opts...); err != nil {
		return fmt.Errorf("verify the restored ledger: %w", err)
	}
	out, _ := json.MarshalIndent(rep, "", "  ")
	fmt.Fprintln(c.stdout, string(out))
	if !rep.Verify.OK {
		return fmt.Errorf("the restored ledger does not verify: %s", rep.Verify.Reason)
	}
	return nil
}

// readHead reads the ledger's head as the superuser (the cluster may have no service yet).
func readHead(ctx context.Context, cl *pgdb.Cluster) (int64, string, error) {
	db, err := pgdb.Open(cl.DSN(pgdb.Superuser, appDatabase), pgdb.Config{MaxConns: 1})
	if err != nil {
		return 0, "", err
	}
	defer db.Close()
	var seq int64
	var hash []byte
	if err := db.QueryRowContext(ctx, `SELECT seq, hash FROM ledger.head`).Scan(&seq, &hash); err != nil {
		return 0, "", fmt.Errorf("read the ledger head: %w", err)
	}
	return seq, hex.EncodeToString(hash), nil
}

// copyFile copies a private file (mode 0600), refusing to overwrite.
func copyFile(from, to string) error {
	b, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, b, 0o600)
}
