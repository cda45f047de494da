// Package pgdb opens the service's Postgres: the one a DSN names, or a private cluster it
// starts from the machine's own binaries under a data directory.
package pgdb

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// ErrNoBinaries means no Postgres server binaries were found on this machine.
var ErrNoBinaries = errors.New("no PostgreSQL server binaries (initdb, postgres) found on PATH or under /usr/lib/postgresql/*/bin; install PostgreSQL 15 or set DATABASE_URL")

// Superuser is the private cluster's superuser, as README.md (Configuration) documents it.
const Superuser = "postgres"

// Cluster is a private Postgres cluster listening on a unix socket inside its data directory.
type Cluster struct {
	Dir  string // PGDATA; also the socket directory
	bin  string
	cred *syscall.Credential // set when started as root: run as the postgres OS user
	log  *slog.Logger
	opts Options

	mu       sync.Mutex
	proc     *proc // the server this process started; nil when reused or stopped
	stopping bool  // Stop was called: the supervisor must not restart
}

// proc is one run of the postmaster.
type proc struct {
	cmd    *exec.Cmd
	exited chan struct{} // closed when it has exited; err is then its exit
	err    error
}

// kill stops p at once (SIGQUIT: immediate shutdown) and waits for it.
func (p *proc) kill() { p.stop(syscall.SIGQUIT, 10*time.Second) }

// stop sends sig and waits for p to exit, killing it after grace.
func (p *proc) stop(sig syscall.Signal, grace time.Duration) {
	_ = p.cmd.Process.Signal(sig)
	select {
	case <-p.exited:
	case <-time.After(grace):
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
}

// Options tune a cluster for its use.
type Options struct {
	// Fast trades durability for speed (fsync off); for throwaway test clusters only.
	Fast bool
	Log  *slog.Logger
	// ArchiveDir, if set, is a backup directory the server archives its WAL into (under
	// wal/), for point-in-time recovery (IPLEDGER_WAL_ARCHIVE).
	ArchiveDir string
	// Args are further server options (-c name=value pairs), e.g. for a standby.
	Args []string
}

// FindBinaries returns the directory holding initdb and postgres.
func FindBinaries() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		// Debian links a few tools into /usr/local/bin; the rest sit beside the real file.
		if real, err := filepath.EvalSymlinks(p); err == nil {
			p = real
		}
		dir := filepath.Dir(p)
		if _, err := os.Stat(filepath.Join(dir, "postgres")); err == nil {
			return dir, nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	// Highest major version first.
	sort.Slice(dirs, func(i, j int) bool { return versionOf(dirs[i]) > versionOf(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	return "", ErrNoBinaries
}

func versionOf(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

// Start initialises dir as a cluster if it is empty, then starts a server on it; a cluster
// left running by an earlier process is reused as it is.
func Start(ctx context.Context, dir string, opts Options) (*Cluster, error) {
	log := opts.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	bin, err := FindBinaries()
	if err != nil {
		return nil, err
	}
	dir, err = filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	c := &Cluster{Dir: dir, bin: bin, log: log, opts: opts}
	if err := c.setCred(); err != nil {
		return nil, err
	}
	if err := c.ensureDir(); err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(dir, "PG_VERSION")); errors.Is(err, os.ErrNotExist) {
		if err := c.initdb(ctx); err != nil {
			return nil, err
		}
	}
	if c.running() {
		log.Info("reusing running private postgres", "dir", dir)
		return c, nil
	}
	if err := c.start(ctx, opts); err != nil {
		return nil, err
	}
	return c, nil
}

// setCred makes the cluster's programs run as the postgres OS user when we are root:
// initdb and postgres refuse to run as root.
func (c *Cluster) setCred() error {
	if os.Geteuid() != 0 {
		return nil
	}
	u, err := user.Lookup(Superuser)
	if err != nil {
		return fmt.Errorf("running as root needs the %q OS user to own the cluster: %w", Superuser, err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	c.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	return nil
}

func (c *Cluster) ensureDir() error {
	if err := os.MkdirAll(filepath.Dir(c.Dir), 0o755); err != nil {
		return fmt.Errorf("create data directory: %w", err)
	}
	if err := os.MkdirAll(c.Dir, 0o700); err != nil {
		return fmt.Errorf("create data directory: %w", err)
	}
	if err := os.Chmod(c.Dir, 0o700); err != nil {
		return fmt.Errorf("data directory mode: %w", err)
	}
	if c.cred != nil {
		if err := os.Chown(c.Dir, int(c.cred.Uid), int(c.cred.Gid)); err != nil {
			return fmt.Errorf("give data directory to %s: %w", Superuser, err)
		}
	}
	return nil
}

func (c *Cluster) command(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, filepath.Join(c.bin, name), args...)
	cmd.Env = append(os.Environ(), "LC_ALL=C", "LANG=C")
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // a terminal's ^C reaches us, and we stop postgres cleanly
	if c.cred != nil {
		cmd.SysProcAttr.Credential = c.cred
	}
	return cmd
}

func (c *Cluster) initdb(ctx context.Context) error {
	c.log.Info("initialising private postgres cluster", "dir", c.Dir)
	cmd := c.command(ctx, "initdb", "-D", c.Dir, "-U", Superuser, "-E", "UTF8", "--locale=C",
		"--auth-local=trust", "--auth-host=scram-sha-256", "--no-instructions")
	out, err := cmd.CombinedOutput()
	if err != nil {
		hint := ""
		if c.cred != nil {
			hint = fmt.Sprintf(" (the %q OS user must be able to reach %s; set IPLEDGER_DATA_DIR to a directory it can reach)", Superuser, c.Dir)
		}
		return fmt.Errorf("initdb failed%s: %w\n%s", hint, err, tail(out))
	}
	return nil
}

func tail(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 2000 {
		s = s[len(s)-2000:]
	}
	return s
}

// running says whether a server already runs on this data directory.
func (c *Cluster) running() bool {
	err := c.command(context.Background(), "pg_ctl", "-D", c.Dir, "status").Run()
	return err == nil
}

func (c *Cluster) start(ctx context.Context, opts Options) error {
	args := []string{"-D", c.Dir,
		"-c", "listen_addresses=", // unix socket only
		"-c", "unix_socket_directories=" + c.Dir,
		"-c", "unix_socket_permissions=0700",
		"-c", "port=5432",
		"-c", "max_connections=200",
		// A register of a million rights touches gigabytes of tables and indexes per bulk load:
		// with the default 1 GB of WAL between checkpoints nearly every first touch of a page
		// went into the WAL as a full copy (200k events wrote 11 GB of it).
		"-c", "max_wal_size=8GB",
		"-c", "checkpoint_timeout=15min",
		"-c", "wal_compression=lz4",
	}
	if !opts.Fast {
		// The hot tables of a large register; a throwaway test cluster needs no such pool.
		args = append(args, "-c", "shared_buffers=1GB")
	}
	if opts.Fast {
		args = append(args, "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")
	}
	if opts.ArchiveDir != "" {
		dir, err := filepath.Abs(opts.ArchiveDir) // archive_command runs in the data directory
		if err != nil {
			return fmt.Errorf("WAL archive: %w", err)
		}
		if err := c.prepareArchive(dir); err != nil {
			return err
		}
		args = append(args, archiveArgs(dir)...)
	}
	args = append(args, opts.Args...)
	cmd := c.command(context.Background(), "postgres", args...)
	logf, err := os.OpenFile(filepath.Join(filepath.Dir(c.Dir), filepath.Base(c.Dir)+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("postgres log file: %w", err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("start postgres: %w", err)
	}
	p := &proc{cmd: cmd, exited: make(chan struct{})}
	go func() { p.err = cmd.Wait(); logf.Close(); close(p.exited) }()
	c.mu.Lock()
	if c.stopping { // Stop ran while the supervisor was restarting the server
		c.mu.Unlock()
		p.kill()
		return errors.New("postgres: stopped while starting")
	}
	c.proc = p
	c.mu.Unlock()

	deadline := time.Now().Add(60 * time.Second)
	sock := c.Socket()
	for {
		if _, err := os.Stat(sock); err == nil && c.ready(ctx) {
			c.log.Info("private postgres started", "dir", c.Dir, "pid", cmd.Process.Pid)
			return nil
		}
		select {
		case <-p.exited:
			return fmt.Errorf("postgres exited during start-up (%v); see %s", p.err, logf.Name())
		case <-ctx.Done():
			p.kill()
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			p.kill()
			return fmt.Errorf("postgres did not become ready within 60s; see %s", logf.Name())
		}
	}
}

func (c *Cluster) ready(ctx context.Context) bool {
	db, err := Open(c.DSN(Superuser, "postgres"), Config{MaxConns: 1})
	if err != nil {
		return false
	}
	defer db.Close()
	pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	return db.PingContext(pctx) == nil
}

// Socket is the server's unix socket path.
func (c *Cluster) Socket() string { return filepath.Join(c.Dir, ".s.PGSQL.5432") }

// DSN names a database on this cluster as user, over its unix socket.
func (c *Cluster) DSN(user, database string) string {
	return fmt.Sprintf("unix://%s@%s%s?sslmode=disable", user, database, c.Socket())
}

// Stop shuts down a server this process started (a fast shutdown: open transactions roll
// back, committed work is safe); a reused server is left running.
func (c *Cluster) Stop() error {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	c.stopping = true
	p := c.proc
	c.proc = nil
	c.mu.Unlock()
	if p == nil {
		return nil
	}
	p.stop(syscall.SIGINT, 30*time.Second)
	c.log.Info("private postgres stopped", "dir", c.Dir)
	return nil
}
