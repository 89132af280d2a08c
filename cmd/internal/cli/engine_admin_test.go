package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pinline/pinline/gateway"
)

// TestEngineAdmin: `pinline engine gateway` with adminSocket and
// metricsListen; `pinline engine admin` lists the engines, drains and
// undrains one, and an unknown engine is bad input.
func TestEngineAdmin(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	addr, metrics := freePort(t), freePort(t)
	if code, _, e := runCLICtx(context.Background(), nil, "engine", "certs", "-o", dir, "--gateway", addr,
		"--client", "ci:ou=contributors"); code != 0 {
		t.Fatalf("certs: %s", e)
	}
	sockDir, err := os.MkdirTemp("", "adm")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(sockDir) })
	var backends []string
	for _, n := range []string{"a", "b"} {
		p := filepath.Join(sockDir, n+".sock")
		ln, err := net.Listen("unix", p)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ln.Close() })
		backends = append(backends, fmt.Sprintf("%q", "unix://"+p))
	}
	admin := filepath.Join(sockDir, "admin.sock")
	cfg := fmt.Sprintf(`listen: %s
tls: {cert: gateway.crt, key: gateway.key, clientCAs: [ca.crt]}
auditLog: audit.jsonl
metricsListen: %s
adminSocket: %s
tiers:
  - {name: pr, rank: 1, builderId: "https://pinline.dev/builders/pr/v1", cacheMode: strong,
     backends: [%s], identities: [{field: ou, exact: contributors}]}
`, addr, metrics, admin, strings.Join(backends, ", "))
	cfgPath := filepath.Join(dir, "gateway.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { runCLICtx(ctx, nil, "engine", "gateway", "--config", cfgPath); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	waitListening(t, addr)
	deadline := time.Now().Add(5 * time.Second)
	for _, err := os.Stat(admin); err != nil && time.Now().Before(deadline); _, err = os.Stat(admin) {
		time.Sleep(20 * time.Millisecond)
	}

	code, out, e := runCLICtx(context.Background(), nil, "engine", "admin", "--socket", admin, "backends")
	if code != 0 || !strings.Contains(out, "pr-0") || !strings.Contains(out, "pr-1") || !strings.Contains(out, "DRAINING") {
		t.Fatalf("admin backends: exit %d\n%s\n%s", code, out, e)
	}
	code, out, e = runCLICtx(context.Background(), nil, "engine", "admin", "--socket", admin, "--json", "drain", "pr-1")
	var st []gateway.BackendState
	if code != 0 || json.Unmarshal([]byte(out), &st) != nil || len(st) != 2 || st[0].Draining || !st[1].Draining {
		t.Fatalf("admin drain: exit %d %+v\n%s\n%s", code, st, out, e)
	}
	if body := httpGet(t, "http://"+metrics+"/metrics"); !strings.Contains(body, `pinline_gateway_backend_draining{engine="pr-1",tier="pr"} 1`) {
		t.Errorf("/metrics does not show the drain:\n%s", body)
	}
	if code, out, _ := runCLICtx(context.Background(), nil, "engine", "admin", "--socket", admin, "--json", "undrain", "pr-1"); code != 0 || strings.Contains(out, `"draining": true`) {
		t.Errorf("admin undrain: exit %d\n%s", code, out)
	}
	if code, _, e := runCLICtx(context.Background(), nil, "engine", "admin", "--socket", admin, "drain", "pr-9"); code != ExitUsage || !strings.Contains(e, "no engine") {
		t.Errorf("drain of an unknown engine: exit %d, want %d: %s", code, ExitUsage, e)
	}
	if code, _, _ := runCLICtx(context.Background(), nil, "engine", "admin", "--socket", admin, "reboot"); code != ExitUsage {
		t.Errorf("unknown admin verb: exit %d, want %d", code, ExitUsage)
	}
	if code, _, _ := runCLICtx(context.Background(), nil, "engine", "admin", "--socket", filepath.Join(sockDir, "none.sock"), "backends"); code != ExitOperational {
		t.Errorf("no gateway on the socket: exit %d, want %d", code, ExitOperational)
	}
}
