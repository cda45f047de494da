package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"ipledger/ledger"
	"ipledger/migrations"
	"ipledger/migrations/pgdb"
	"ipledger/openapi/metrics"
)

// config is read from the environment (README.md, Configuration).
type config struct {
	DatabaseURL    string
	MigrateURL     string
	ReadURL        string
	DataDir        string
	Addr           string
	BootstrapToken string
	RateLimit      float64
	SigningKey     string // IPLEDGER_SIGNING_KEY: a note signer key; unset: <DataDir>/signing.key
	LogOrigin      string // IPLEDGER_LOG_ORIGIN: the checkpoints' origin line
	Ops            opsConfig
}

func loadConfig() (config, error) {
	c := config{
		DatabaseURL:    os.Getenv("DATABASE_URL"),
		MigrateURL:     os.Getenv("IPLEDGER_MIGRATE_DATABASE_URL"),
		ReadURL:        os.Getenv("IPLEDGER_READ_DATABASE_URL"),
		DataDir:        os.Getenv("IPLEDGER_DATA_DIR"),
		Addr:           os.Getenv("IPLEDGER_ADDR"),
		BootstrapToken: os.Getenv("IPLEDGER_BOOTSTRAP_TOKEN"),
		RateLimit:      1000,
		SigningKey:     os.Getenv("IPLEDGER_SIGNING_KEY"),
		LogOrigin:      os.Getenv("IPLEDGER_LOG_ORIGIN"),
	}
	if c.LogOrigin == "" {
		c.LogOrigin = ledger.DefaultOrigin
	}
	ops, err := loadOpsConfig()
	if err != nil {
		return c, err
	}
	c.Ops = ops
	if strings.ContainsAny(c.LogOrigin, "+ \t\r\n") {
		return c, fmt.Errorf("IPLEDGER_LOG_ORIGIN=%q: want a schema-less URL without spaces or '+', such as registry.example.gov.cn/ledger", c.LogOrigin)
	}
	if c.DataDir == "" {
		c.DataDir = ".data"
	}
	if c.Addr == "" {
		c.Addr = "127.0.0.1:8080"
	}
	if c.MigrateURL == "" {
		c.MigrateURL = c.DatabaseURL
	}
	if v := os.Getenv("IPLEDGER_RATE_LIMIT"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < 0 {
			return c, fmt.Errorf("IPLEDGER_RATE_LIMIT=%q: want a number of requests per second ≥ 0", v)
		}
		c.RateLimit = f
	}
	return c, nil
}

// store is an open database: migrated, with the ledger running.
type store struct {
	cfg     config
	cluster *pgdb.Cluster
	db      *bun.DB // the service role
	read    *bun.DB
	ledger  *ledger.Ledger
	metrics *metrics.Metrics // the ledger reports to it; serve exports it
}

const appDatabase = "ipledger"

// openStore starts the private cluster when no DATABASE_URL is set, migrates, and opens the
// service's pool.
func openStore(ctx context.Context, log *slog.Logger, migrate bool) (*store, error) {
	cfg, err := loadConfig()
	if err != nil {
		return nil, err
	}
	s := &store{cfg: cfg}
	appDSN := cfg.DatabaseURL
	migrateDSN := cfg.MigrateURL
	if cfg.DatabaseURL == "" {
		c, err := pgdb.Start(ctx, filepath.Join(cfg.DataDir, "pg"), pgdb.Options{Log: log, ArchiveDir: cfg.Ops.WALArchive})
		if err != nil {
			return nil, err
		}
		s.cluster = c
		if err := ensureDatabase(ctx, c); err != nil {
			s.Close()
			return nil, err
		}
		migrateDSN = c.DSN(pgdb.Superuser, appDatabase)
		appDSN = c.DSN("ipledger_app", appDatabase)
	}
	if migrate {
		mdb, err := pgdb.Open(migrateDSN, pgdb.Config{MaxConns: 2, AppName: "ipledger-migrate"})
		if err != nil {
			s.Close()
			return nil, err
		}
		err = migrations.Up(ctx, mdb.DB)
		mdb.Close()
		if err != nil {
			s.Close()
			return nil, err
		}
	}
	db, err := pgdb.Open(appDSN, pgdb.Config{StatementTimeout: cfg.Ops.StatementTimeout})
	if err != nil {
		s.Close()
		return nil, err
	}
	s.db = db
	s.read = db
	if cfg.ReadURL != "" {
		r, err := pgdb.Open(cfg.ReadURL, pgdb.Config{StatementTimeout: cfg.Ops.StatementTimeout, AppName: "ipledger-read"})
		if err != nil {
			s.Close()
			return nil, err
		}
		s.read = r
	}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("connect to the database: %w", err)
	}
	if err := checkServiceRole(ctx, db); err != nil {
		s.Close()
		return nil, err
	}
	key, err := logKey(cfg)
	if err != nil {
		s.Close()
		return nil, err
	}
	s.metrics = metrics.New()
	lopts := cfg.Ops.ledgerOptions(s.metrics)
	lopts.Log, lopts.Key, lopts.Origin = log, key, cfg.LogOrigin
	s.ledger = ledger.New(db, lopts)
	return s, nil
}

// checkServiceRole refuses to serve as a role that could rewrite the ledger: a superuser or
// the owner of its schema can disable the append-only triggers.
func checkServiceRole(ctx context.Context, db *bun.DB) error {
	var user string
	var super, owner bool
	err := db.QueryRowContext(ctx, `
		SELECT current_user, r.rolsuper, coalesce(pg_has_role(current_user, n.nspowner, 'USAGE'), false)
		FROM pg_roles r LEFT JOIN pg_namespace n ON n.nspname = 'ledger'
		WHERE r.rolname = current_user`).Scan(&user, &super, &owner)
	if err != nil {
		return fmt.Errorf("check the service role: %w", err)
	}
	if super || owner {
		return fmt.Errorf("the service connects as %q, which is a superuser or owns the ledger schema and so could disable its append-only triggers: "+
			"run migrations as the owner (IPLEDGER_MIGRATE_DATABASE_URL) and serve as a role granted ipledger_app (DATABASE_URL)", user)
	}
	return nil
}

func ensureDatabase(ctx context.Context, c *pgdb.Cluster) error {
	super, err := pgdb.Open(c.DSN(pgdb.Superuser, "postgres"), pgdb.Config{MaxConns: 1})
	if err != nil {
		return err
	}
	defer super.Close()
	var exists bool
	if err := super.QueryRowContext(ctx, `SELECT EXISTS (SELECT FROM pg_database WHERE datname = ?)`, appDatabase).Scan(&exists); err != nil {
		return fmt.Errorf("check database: %w", err)
	}
	if !exists {
		if _, err := super.ExecContext(ctx, `CREATE DATABASE `+appDatabase); err != nil {
			return fmt.Errorf("create database: %w", err)
		}
	}
	return nil
}

// Close stops the ledger, closes the pools and stops a private cluster this process started.
func (s *store) Close() {
	if s.ledger != nil {
		s.ledger.Close()
	}
	if s.read != nil && s.read != s.db {
		s.read.Close()
	}
	if s.db != nil {
		s.db.Close()
	}
	if s.cluster != nil {
		s.cluster.Stop()
	}
}
