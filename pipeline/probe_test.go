package pipeline

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	engineconfig "github.com/pinline/pinline/engine-config"
	"github.com/pinline/pinline/internal/errclass"
)

// TestProbeEngineDirect: a direct endpoint is reachable when its socket
// accepts; the version comes from the configured dagger CLI pointed at
// it; every failure carries its class (exit code).
func TestProbeEngineDirect(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	sock := filepath.Join(dir, "engine.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	script := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// The fake CLI answers only when pointed at the probed address.
	good := script("dagger", `[ "$_EXPERIMENTAL_DAGGER_RUNNER_HOST" = "unix://`+sock+`" ] || exit 9; cat >/dev/null; echo '{"version": "v0.19.10"}'`)
	junk := script("junk", `echo 'no json'`)
	fails := script("fails", `exit 1`)
	cfg := &engineconfig.Client{Engine: engineconfig.ClientEngine{Address: "unix://" + sock}}
	ctx := context.Background()

	res, err := ProbeEngine(ctx, cfg, ProbeOptions{})
	if err != nil || !res.Reachable || res.MTLS || res.Version != "" || res.Address != cfg.Engine.Address {
		t.Fatalf("no CLI: %+v, %v", res, err)
	}
	res, err = ProbeEngine(ctx, cfg, ProbeOptions{DaggerCLI: good, Timeout: 10 * time.Second})
	if err != nil || res.Version != "v0.19.10" {
		t.Fatalf("with CLI: %+v, %v", res, err)
	}
	for _, cli := range []string{junk, fails} {
		if _, err := ProbeEngine(ctx, cfg, ProbeOptions{DaggerCLI: cli}); !errors.Is(err, errclass.ErrOperational) {
			t.Errorf("%s: err %v, want operational", filepath.Base(cli), err)
		}
	}
	gone := &engineconfig.Client{Engine: engineconfig.ClientEngine{Address: "unix://" + filepath.Join(dir, "none.sock")}}
	if _, err := ProbeEngine(ctx, gone, ProbeOptions{}); !errors.Is(err, errclass.ErrOperational) {
		t.Errorf("no socket: err %v, want operational", err)
	}
	bad := &engineconfig.Client{Engine: engineconfig.ClientEngine{Address: "ftp://x"}}
	if _, err := ProbeEngine(ctx, bad, ProbeOptions{}); !errors.Is(err, errclass.ErrBadInput) {
		t.Errorf("bad address: err %v, want bad input", err)
	}
}
