package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"ipledger/ledger"
	"ipledger/openapi"
	"ipledger/registry"
	"ipledger/registry/access"
)

const serveUsage = `Usage: ipledger serve

Runs the HTTP service on IPLEDGER_ADDR: migrates the database, seeds the reference data,
creates the first admin when there is none, and serves the API (docs at /docs) until
SIGINT or SIGTERM. The address is taken first, so a port in use fails at once.

` + environment

func serveCmd(ctx context.Context, c *cli, args []string) error {
	f := newFlags("serve", serveUsage)
	pos, err := f.parse(args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return f.fail("takes no arguments (configure it with the environment)")
	}
	return serve(ctx, c.log)
}

// listen takes the address before anything else starts, so a taken port is one clear line.
func listen(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if errors.Is(err, syscall.EADDRINUSE) {
		return nil, fmt.Errorf("cannot listen on %s: the address is already in use (set IPLEDGER_ADDR to another host:port)", addr)
	}
	if err != nil {
		return nil, fmt.Errorf("cannot listen on %s: %w", addr, err)
	}
	return ln, nil
}

func serve(ctx context.Context, log *slog.Logger) error {
	cfg, err := loadConfig()
	if err != nil {
		return err
	}
	ln, err := listen(cfg.Addr)
	if err != nil {
		return err
	}
	defer ln.Close()
	st, err := openStore(ctx, log, true)
	if err != nil {
		return err
	}
	defer st.Close()

	sys := ledger.WithActor(ctx, "system")
	acc := access.New(st.ledger)
	reg := registry.New(st.ledger, registry.WithReadDB(st.read))
	if err := seed(sys, reg); err != nil {
		return err
	}
	if err := bootstrapAdmin(ctx, log, cfg, acc); err != nil {
		return err
	}
	metricsElsewhere, stopOps, err := startOps(ctx, log, st)
	if err != nil {
		return err
	}
	defer stopOps()
	api := openapi.New(openapi.Deps{
		Ledger: st.ledger, ReadDB: st.read, Access: acc, Registry: reg, Log: log, RateLimit: cfg.RateLimit,
		Metrics: st.metrics, MetricsElsewhere: metricsElsewhere,
	})
	srv := &http.Server{
		Addr:              cfg.Addr,
		Handler:           handler(api, st),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       5 * time.Minute, // bulk imports
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    http.DefaultMaxHeaderBytes, // 1 MiB, far above the API's own 32 KiB check: oversize headers get a problem+json 431
		// No WriteTimeout: GET /v1/ledger/export streams the whole ledger for as long as
		// the client reads it; a stalled client costs a goroutine, not a database session.
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	addr := ln.Addr().String()
	log.Info("serving", "addr", "http://"+addr, "docs", "http://"+addr+"/docs")
	select {
	case err := <-errc:
		return fmt.Errorf("serve on %s: %w", addr, err)
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Error("shutdown", "err", err)
	}
	return nil
}

// bootstrapAdmin gives a fresh installation its first admin (README.md, Configuration).
func bootstrapAdmin(ctx context.Context, log *slog.Logger, cfg config, acc *access.Service) error {
	tok, err := acc.Bootstrap(ctx, cfg.BootstrapToken)
	if err != nil {
		return err
	}
	if tok == "" {
		return nil
	}
	if cfg.BootstrapToken != "" {
		log.Info("first admin created with IPLEDGER_BOOTSTRAP_TOKEN")
		return nil
	}
	path := filepath.Join(cfg.DataDir, "admin.token")
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return fmt.Errorf("write admin token: %w", err)
	}
	// A new file, private from the start; an old one (from a wiped database) is replaced.
	_ = os.Remove(path)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("write admin token: %w", err)
	}
	if _, err := f.WriteString(tok + "\n"); err != nil {
		f.Close()
		return fmt.Errorf("write admin token: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write admin token: %w", err)
	}
	abs, _ := filepath.Abs(path)
	log.Info("first admin created; its token is in the file (mode 0600)", "file", abs)
	return nil
}
