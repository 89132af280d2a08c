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

	"github.com/pinline/pinline/internal/testenv"
	"github.com/pinline/pinline/record"
)

// TestRunThroughGateway runs `pinline run` with an mTLS engine.json: the
// forwarder dials `pinline engine gateway`, which routes each tier to its
// own real engine; run.json records what the gateway announced. Needs
// hack/setup.d/30-engine.sh (registry image) and 50-gateway-engines.sh.
func TestRunThroughGateway(t *testing.T) {
	env := testenv.RequireAll(t, "hack/setup.d/30-engine.sh and 50-gateway-engines.sh",
		"PINLINE_GW_TRUSTED_SOCK", "PINLINE_GW_UNTRUSTED_SOCK", "PINLINE_GW_DAGGER_CLI", "PINLINE_IMAGE_BUSYBOX")
	dir := t.TempDir()
	addr := freePort(t)
	if code, _, e := runCLICtx(context.Background(), nil, "engine", "certs", "-o", dir, "--gateway", addr,
		"--client", "trusted:spiffe=spiffe://example.org/ci/main", "--client", "pr:spiffe=spiffe://example.org/ci/pr/7"); code != 0 {
		t.Fatalf("certs: %s", e)
	}
	cfg := fmt.Sprintf(`listen: %s
tls: {cert: gateway.crt, key: gateway.key, clientCAs: [ca.crt]}
auditLog: audit.jsonl
tiers:
  - {name: trusted, rank: 10, builderId: "https://pinline.dev/builders/trusted/v1", cacheMode: strong,
     backends: ["unix://%s"], identities: [{field: spiffe, exact: "spiffe://example.org/ci/main"}]}
  - {name: untrusted, rank: 1, builderId: "https://pinline.dev/builders/untrusted/v1", cacheMode: strong,
     backends: ["unix://%s"], identities: [{field: spiffe, prefix: "spiffe://example.org/ci/pr/"}]}
`, addr, env["PINLINE_GW_TRUSTED_SOCK"], env["PINLINE_GW_UNTRUSTED_SOCK"])
	cfgPath := filepath.Join(dir, "gateway.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	gwDone := make(chan int, 1)
	go func() { code, _, _ := runCLICtx(ctx, nil, "engine", "gateway", "--config", cfgPath); gwDone <- code }()
	defer func() { cancel(); <-gwDone }()
	waitListening(t, addr)

	// engine check through the gateway reports the real engine's version.
	code, out, errOut := runCLICtx(context.Background(), map[string]string{EnvDaggerCLI.Name: env["PINLINE_GW_DAGGER_CLI"]},
		"engine", "check", "--json", "--engine-config", filepath.Join(dir, "engine-pr.json"))
	var chk EngineCheck
	if code != 0 || json.Unmarshal([]byte(out), &chk) != nil || chk.Version != "v0.19.10" || chk.Tier != "untrusted" {
		t.Errorf("engine check: exit %d %+v %s", code, chk, errOut)
	}

	for _, tc := range []struct{ client, tier, builder string }{
		{"trusted", "trusted", "https://pinline.dev/builders/trusted/v1"},
		{"pr", "untrusted", "https://pinline.dev/builders/untrusted/v1"},
	} {
		root := t.TempDir()
		y := fmt.Sprintf("version: 1\nname: gw\nimages:\n  bb: %s\ntasks:\n  hello:\n    image: bb\n    run: [echo, hello, %s, %d]\n",
			env["PINLINE_IMAGE_BUSYBOX"], tc.tier, time.Now().UnixNano())
		sp := filepath.Join(root, "pinline.yaml")
		if err := os.WriteFile(sp, []byte(y), 0o644); err != nil {
			t.Fatal(err)
		}
		runEnv := map[string]string{EnvDaggerCLI.Name: env["PINLINE_GW_DAGGER_CLI"]}
		code, out, errOut := runCLICtx(context.Background(), runEnv, "run", "-f", sp, "--engine-config", filepath.Join(dir, "engine-"+tc.client+".json"))
		if code != 0 {
			t.Fatalf("%s: run exit %d\n%s\n%s", tc.client, code, out, errOut)
		}
		runs, _ := filepath.Glob(filepath.Join(root, ".pinline", "runs", "*", record.RunFile))
		if len(runs) != 1 {
			t.Fatalf("%s: run records %v", tc.client, runs)
		}
		b, err := os.ReadFile(runs[0])
		if err != nil {
			t.Fatal(err)
		}
		var rec record.Run
		if err := json.Unmarshal(b, &rec); err != nil {
			t.Fatal(err)
		}
		if rec.Tier != tc.tier || rec.BuilderID != tc.builder || rec.Engine.Gateway != addr ||
			!strings.HasPrefix(rec.Who.Identity, "spiffe:spiffe://example.org/ci/") || rec.Who.Fingerprint == "" {
			t.Errorf("%s: run.json tier %q builder %q gateway %q who %+v", tc.client, rec.Tier, rec.BuilderID, rec.Engine.Gateway, rec.Who)
		}
	}
	// A PR certificate asking for the trusted tier: refused before anything runs.
	root := t.TempDir()
	sp := filepath.Join(root, "pinline.yaml")
	_ = os.WriteFile(sp, []byte(fmt.Sprintf("version: 1\nname: gw\nimages:\n  bb: %s\ntasks:\n  hello:\n    image: bb\n    run: [echo, x]\n", env["PINLINE_IMAGE_BUSYBOX"])), 0o644)
	code, _, errOut = runCLICtx(context.Background(), map[string]string{EnvDaggerCLI.Name: env["PINLINE_GW_DAGGER_CLI"]},
		"run", "-f", sp, "--tier", "trusted", "--engine-config", filepath.Join(dir, "engine-pr.json"))
	if code != ExitDenied || !strings.Contains(errOut, "tier-above-certificate") {
		t.Errorf("PR run asking for trusted: exit %d, %s", code, errOut)
	}
}

func waitListening(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("gateway did not start")
}
