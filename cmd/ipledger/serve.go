package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"ipledger/ledger"
	"ipledger/openapi"
	"ipledger/registry"
	"ipledger/registry/access"
)

func serve(ctx context.Context, log *slog.Logger) error {
	st, err := openStore(ctx, log, true)
	if err != nil {
		return err
	}
	defer st.Close()
	cfg := st.cfg

	sys := ledger.WithActor(ctx, "system")
	acc := access.New(st.ledger)
	reg := registry.New(st.ledger, registry.WithReadDB(st.read))
	if err := seed(sys, reg); err != nil {
		return err
	}
	if err := bootstrapAdmin(ctx, log, cfg, acc); err != nil {
		return err
	}
	api := openapi.New(openapi.Deps{
		Ledger: st.ledger, ReadDB: st.read, Access: acc, Registry: reg, Log: log, RateLimit: cfg.RateLimit,
	})
	srv := &http.Server{
		Addr:              cfg.Addr,
		Handler:           api.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       5 * time.Minute, // bulk imports
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	log.Info("serving", "addr", "http://"+cfg.Addr, "docs", "http://"+cfg.Addr+"/docs")
	select {
	case err := <-errc:
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
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

// bootstrapAdmin gives a fresh installation its first admin (DESIGN.md §4).
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
