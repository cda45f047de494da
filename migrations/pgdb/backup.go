package pgdb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// A backup directory holds a plain-format base backup under base/ (with the WAL it needs,
// streamed by pg_basebackup -X stream) and, when the cluster archives its WAL there, the
// archived segments under wal/ (for point-in-time recovery).
const (
	BackupBase = "base"
	BackupWAL  = "wal"
)

// archiveArgs are the server options that copy each finished WAL segment into dir/wal. A
// segment is closed and archived at least every archive_timeout, which bounds what a lost
// machine can lose when only the archive survives.
func archiveArgs(dir string) []string {
	wal := filepath.Join(dir, BackupWAL)
	return []string{
		"-c", "wal_level=replica",
		"-c", "archive_mode=on",
		"-c", "archive_timeout=60s",
		"-c", fmt.Sprintf("archive_command=test ! -f '%s/%%f' && cp '%%p' '%s/%%f'", wal, wal),
	}
}

// prepareArchive makes dir/wal for the server to write into.
func (c *Cluster) prepareArchive(dir string) error {
	if err := c.mkdirOwned(dir); err != nil {
		return err
	}
	return c.mkdirOwned(filepath.Join(dir, BackupWAL))
}

// mkdirOwned makes dir (mode 0700) and gives it to the server's OS user when running as root.
func (c *Cluster) mkdirOwned(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("backup directory: %w", err)
	}
	if c.cred != nil {
		if err := os.Chown(dir, int(c.cred.Uid), int(c.cred.Gid)); err != nil {
			return fmt.Errorf("give %s to %s: %w", dir, Superuser, err)
		}
	}
	return nil
}

// BaseBackup takes a consistent physical copy of the running cluster into dir/base with
// pg_basebackup (a fast checkpoint, the WAL streamed alongside, checksums in a manifest).
// dir/base must not exist or be empty.
func (c *Cluster) BaseBackup(ctx context.Context, dir string) error {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	base := filepath.Join(dir, BackupBase)
	if entries, err := os.ReadDir(base); err == nil && len(entries) > 0 {
		return fmt.Errorf("%s already holds a backup: give an empty or new directory", base)
	}
	if err := c.mkdirOwned(dir); err != nil {
		return err
	}
	if err := c.mkdirOwned(base); err != nil {
		return err
	}
	cmd := c.command(ctx, "pg_basebackup", "-D", base, "-h", c.Dir, "-p", "5432", "-U", Superuser,
		"-Fp", "-X", "stream", "-c", "fast", "--no-password", "-l", "ipledger backup "+time.Now().UTC().Format(time.RFC3339))
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("pg_basebackup: %w\n%s", err, tail(out))
	}
	return dropSocketLock(base)
}

// Restore makes dataDir (absent or empty) a copy of the base backup in backupDir. With a WAL
// archive in the backup, or a target time, the copy starts in recovery: it replays archived
// WAL up to until (zero: to the end of the archive) and then opens for writes.
func Restore(backupDir, dataDir string, until time.Time) error {
	backupDir, err := filepath.Abs(backupDir)
	if err != nil {
		return err
	}
	base := filepath.Join(backupDir, BackupBase)
	if _, err := os.Stat(filepath.Join(base, "PG_VERSION")); err != nil {
		return fmt.Errorf("%s holds no base backup (made by ipledger backup)", backupDir)
	}
	if entries, err := os.ReadDir(dataDir); err == nil && len(entries) > 0 {
		return fmt.Errorf("%s is not empty: restore only into an empty data directory", dataDir)
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	c := &Cluster{Dir: dataDir}
	if err := c.setCred(); err != nil {
		return err
	}
	if err := c.ensureDir(); err != nil {
		return err
	}
	if err := copyTree(base, c.Dir, c.cred); err != nil {
		return fmt.Errorf("copy the base backup: %w", err)
	}
	wal := filepath.Join(backupDir, BackupWAL)
	_, statErr := os.Stat(wal)
	archived := statErr == nil
	if !archived && !until.IsZero() {
		return fmt.Errorf("--until needs archived WAL in %s (set IPLEDGER_WAL_ARCHIVE before the backup)", wal)
	}
	if !archived {
		return nil // the base backup's own WAL makes it consistent; it starts as it is
	}
	conf := fmt.Sprintf("\n# ipledger restore\nrestore_command = 'cp \"%s/%%f\" \"%%p\"'\nrecovery_target_action = 'promote'\n", wal)
	if !until.IsZero() {
		conf += fmt.Sprintf("recovery_target_time = '%s'\nrecovery_target_inclusive = true\n", until.UTC().Format("2006-01-02 15:04:05.999999")+"+00")
	}
	if err := appendOwned(filepath.Join(c.Dir, "postgresql.auto.conf"), conf, c.cred); err != nil {
		return err
	}
	return appendOwned(filepath.Join(c.Dir, "recovery.signal"), "", c.cred)
}

func appendOwned(path, text string, cred *syscall.Credential) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(text); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if cred != nil {
		return os.Chown(path, int(cred.Uid), int(cred.Gid))
	}
	return nil
}

// copyTree copies regular files, directories and symlinks from src into dst, keeping modes.
func copyTree(src, dst string, cred *syscall.Credential) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		to := filepath.Join(dst, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		chown := func() error {
			if cred == nil {
				return nil
			}
			return os.Lchown(to, int(cred.Uid), int(cred.Gid))
		}
		switch {
		case rel == ".":
			return nil
		case d.IsDir():
			if err := os.MkdirAll(to, info.Mode().Perm()); err != nil {
				return err
			}
			return chown()
		case info.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(path)
			if err != nil {
				return err
			}
			if err := os.Symlink(target, to); err != nil {
				return err
			}
			return chown()
		case info.Mode().IsRegular():
			in, err := os.Open(path)
			if err != nil {
				return err
			}
			defer in.Close()
			out, err := os.OpenFile(to, os.O_CREATE|os.O_EXCL|os.O_WRONLY, info.Mode().Perm())
			if err != nil {
				return err
			}
			if _, err := io.Copy(out, in); err != nil {
				out.Close()
				return err
			}
			if err := out.Close(); err != nil {
				return err
			}
			return chown()
		}
		return nil // sockets and the like are not part of a backup
	})
}

// InRecovery reports whether the server still replays WAL (a standby, or a restore not yet
// at its target).
func (c *Cluster) InRecovery(ctx context.Context) (bool, error) {
	db, err := Open(c.DSN(Superuser, "postgres"), Config{MaxConns: 1})
	if err != nil {
		return false, err
	}
	defer db.Close()
	var in bool
	err = db.QueryRowContext(ctx, `SELECT pg_is_in_recovery()`).Scan(&in)
	return in, err
}

// WaitPromoted waits until recovery has ended, for at most d.
func (c *Cluster) WaitPromoted(ctx context.Context, d time.Duration) error {
	deadline := time.Now().Add(d)
	for {
		in, err := c.InRecovery(ctx)
		if err == nil && !in {
			return nil
		}
		if time.Now().After(deadline) {
			if err == nil {
				err = errors.New("still in recovery")
			}
			return fmt.Errorf("restore did not finish recovery within %s: %w; see %s.log", d, err, strings.TrimSuffix(c.Dir, "/"))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Standby makes dir (absent or empty) a streaming replica of the running cluster:
// pg_basebackup -R writes standby.signal and primary_conninfo, so that a server started on
// dir (Start) follows this one, read-only, over its unix socket.
func (c *Cluster) Standby(ctx context.Context, dir string) error {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return fmt.Errorf("%s is not empty", dir)
	}
	if err := c.mkdirOwned(dir); err != nil {
		return err
	}
	cmd := c.command(ctx, "pg_basebackup", "-D", dir, "-h", c.Dir, "-p", "5432", "-U", Superuser,
		"-Fp", "-X", "stream", "-c", "fast", "-R", "--no-password")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("pg_basebackup -R: %w\n%s", err, tail(out))
	}
	return dropSocketLock(dir)
}

// dropSocketLock removes the socket's lock file that pg_basebackup copies along: the socket
// lives in the data directory, and a copy naming a live postmaster would stop the new
// server from starting.
func dropSocketLock(dir string) error {
	err := os.Remove(filepath.Join(dir, ".s.PGSQL.5432.lock"))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove the copied socket lock: %w", err)
	}
	return nil
}
