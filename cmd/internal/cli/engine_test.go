package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func TestEngineCertsGatewayCheck(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	addr := freePort(t)
	code, out, errOut := runCLICtx(context.Background(), nil, "engine", "certs", "-o", dir, "--gateway", addr,
		"--client", "trusted:spiffe=spiffe://example.org/ci/main", "--client", "pr:cn=ci-pr,ou=contributors")
	if code != 0 {
		t.Fatalf("certs: exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, "engine-trusted.json") {
		t.Errorf("certs output lacks engine-trusted.json:\n%s", out)
	}

	sockDir, err := os.MkdirTemp("", "cli")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(sockDir) })
	sock := filepath.Join(sockDir, "engine.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { _, _ = io.Copy(c, c); c.Close() }()
		}
	}()
	cfg := fmt.Sprintf(`listen: %s
tls: {cert: gateway.crt, key: gateway.key, clientCAs: [ca.crt]}
auditLog: audit.jsonl
tiers:
  - {name: trusted, rank: 10, builderId: "https://pinline.dev/builders/trusted/v1", cacheMode: strong,
     backends: ["unix://%s"], identities: [{field: spiffe, exact: "spiffe://example.org/ci/main"}]}
  - {name: untrusted, rank: 1, builderId: "https://pinline.dev/builders/untrusted/v1", cacheMode: strong,
     backends: ["unix://%s/none.sock"], identities: [{field: ou, exact: contributors}]}
`, addr, sock, sockDir)
	cfgPath := filepath.Join(dir, "gateway.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	gwDone := make(chan int, 1)
	var gwErr string
	go func() {
		code, _, e := runCLICtx(ctx, nil, "engine", "gateway", "--config", cfgPath)
		gwErr = e
		gwDone <- code
	}()
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("gateway did not start")
		}
		time.Sleep(20 * time.Millisecond)
	}

	code, out, errOut = runCLICtx(context.Background(), nil, "engine", "check", "--json", "--engine-config", filepath.Join(dir, "engine-trusted.json"))
	if code != 0 {
		t.Fatalf("check trusted: exit %d: %s", code, errOut)
	}
	var res EngineCheck
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	if res.Tier != "trusted" || res.BuilderID != "https://pinline.dev/builders/trusted/v1" || !res.Reachable {
		t.Errorf("check = %+v", res)
	}
	env := map[string]string{EnvEngineConfig.Name: filepath.Join(dir, "engine-pr.json"), EnvTier.Name: "trusted"}
	if code, _, errOut = runCLICtx(context.Background(), env, "engine", "check"); code != ExitDenied || !strings.Contains(errOut, "tier-above-certificate") {
		t.Errorf("PR asking for trusted: exit %d, %s", code, errOut)
	}
	if code, _, errOut = runCLICtx(context.Background(), map[string]string{EnvEngineConfig.Name: filepath.Join(dir, "engine-pr.json")}, "engine", "check"); code != ExitOperational || !strings.Contains(errOut, "backend-unavailable") {
		t.Errorf("PR tier with engine down: exit %d, %s", code, errOut)
	}
	if code, _, _ = runCLICtx(context.Background(), nil, "engine", "check", "--engine-config", filepath.Join(dir, "missing.json")); code != ExitUsage {
		t.Errorf("missing config: exit %d, want %d", code, ExitUsage)
	}
	// The run-side helper: forwarder with announced tier.
	tgt, err := openEngine(context.Background(), filepath.Join(dir, "engine-trusted.json"), "", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(tgt.Address, "unix://") || tgt.Tier != "trusted" || tgt.Gateway != addr ||
		tgt.BuilderID != "https://pinline.dev/builders/trusted/v1" || tgt.Identity != "spiffe:spiffe://example.org/ci/main" {
		t.Errorf("engine target = %+v", tgt)
	}
	fc, err := net.Dial("unix", strings.TrimPrefix(tgt.Address, "unix://"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(fc, "hi"); err != nil {
		t.Fatal(err)
	}
	echo := make([]byte, 2)
	if _, err := io.ReadFull(fc, echo); err != nil || string(echo) != "hi" {
		t.Errorf("echo through forwarder: %q %v", echo, err)
	}
	fc.Close()
	if err := tgt.Close(); err != nil {
		t.Errorf("close: %v", err)
	}
	_, err = openEngine(context.Background(), filepath.Join(dir, "engine-pr.json"), "trusted", time.Now())
	if code, _ := exitCode(err); code != ExitDenied {
		t.Errorf("PR forwarder asking for trusted: %v (exit %d), want exit %d", err, code, ExitDenied)
	}
	cancel()
	select {
	case code := <-gwDone:
		if code != 0 {
			t.Errorf("gateway exit %d: %s", code, gwErr)
		}
	case <-time.After(40 * time.Second):
		t.Fatal("gateway did not stop on cancel")
	}
	audit, err := os.ReadFile(filepath.Join(dir, "audit.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(audit), "\n"); n != 7 { // probe, trusted, refused PR, PR engine down, forwarder probe + 1, refused forwarder
		t.Errorf("audit log has %d lines, want 7:\n%s", n, audit)
	}
	if !strings.Contains(string(audit), `"reason":"tier-above-certificate"`) {
		t.Errorf("audit log lacks the refusal:\n%s", audit)
	}
}

func TestEngineUsageErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bad := filepath.Join(dir, "gw.yaml")
	if err := os.WriteFile(bad, []byte("listen: 127.0.0.1:0\ntiers: []\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"engine", "gateway"},
		{"engine", "gateway", "--config", bad},
		{"engine", "gateway", "--config", filepath.Join(dir, "nope.yaml")},
		{"engine", "check"},
		{"engine", "certs", "-o", dir, "--client", "x"},
		{"engine", "certs", "-o", dir, "--client", "x:email=a@b"},
		{"engine", "certs", "-o", dir, "--client", "x:spiffe=https://a/"},
	} {
		if code, _, errOut := runCLICtx(context.Background(), nil, args...); code != ExitUsage {
			t.Errorf("%v: exit %d, want %d (%s)", args, code, ExitUsage, errOut)
		}
	}
}
