package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	engineconfig "github.com/pinline/pinline/engine-config"
	"github.com/pinline/pinline/internal/testenv"
	"github.com/pinline/pinline/pipeline"
)

// TestRunEngineNativeTLS runs against the f14-tls engine's own mTLS
// listener (hack/setup.d/55-fleet-engines.sh): no pinline gateway, so the
// engine answers no pinline-gateway/1 ALPN and the forwarder tunnels plain
// TLS. The right certificate runs, recorded as engine-native with the
// tier unverified; a certificate of another CA fails within seconds with
// exit 3; a certificate without its key is bad input (exit 2).
func TestRunEngineNativeTLS(t *testing.T) {
	env := testenv.RequireAll(t, "hack/setup.d/55-fleet-engines.sh", "PINLINE_NATIVE_TLS_ADDR", "PINLINE_NATIVE_TLS_DIR",
		"PINLINE_GW_DAGGER_CLI", "PINLINE_IMAGE_BUSYBOX")
	addr, tlsDir := env["PINLINE_NATIVE_TLS_ADDR"], env["PINLINE_NATIVE_TLS_DIR"]
	cliEnv := map[string]string{EnvDaggerCLI.Name: env["PINLINE_GW_DAGGER_CLI"]}
	dir := t.TempDir()
	engineJSON := func(name, cert, key string) string {
		keyField := ""
		if key != "" {
			keyField = fmt.Sprintf(", %q: %q", "key", key)
		}
		p := filepath.Join(dir, name+".json")
		body := fmt.Sprintf(`{"engine": {"address": "tcp://%s", "tier": "trusted", "tls": {"ca": %q, "cert": %q%s}}}`,
			addr, filepath.Join(tlsDir, "ca.crt"), cert, keyField)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	spec := func(t *testing.T) string {
		p := filepath.Join(t.TempDir(), "pinline.yaml")
		body := fmt.Sprintf("version: 1\nname: native\nimages:\n  bb: %s\ntasks:\n  hello:\n    image: bb\n    run: [echo, native, %d]\n",
			env["PINLINE_IMAGE_BUSYBOX"], time.Now().UnixNano())
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}

	t.Run("right certificate runs, recorded unverified", func(t *testing.T) {
		sp := spec(t)
		cfg := engineJSON("right", filepath.Join(tlsDir, "client.crt"), filepath.Join(tlsDir, "client.key"))
		code, out, e := runCLICtx(context.Background(), cliEnv, "run", "-f", sp, "--engine-config", cfg)
		if code != 0 {
			t.Fatalf("run: exit %d\n%s\n%s", code, out, e)
		}
		runDir, rec := onlyRun(t, sp)
		en := rec.Engine
		if en.GatewayCacheMode != engineconfig.CacheEngineNative || en.NativeTLS != addr || !en.TierUnverified || en.Gateway != "" ||
			rec.Tier != "trusted" || rec.Who.Identity != "spiffe:spiffe://example.org/ci/native" || rec.Who.Fingerprint == "" ||
			rec.BuilderID != pipeline.NativeBuilderID || en.Version == "" {
			t.Errorf("run.json: tier %q builder %q who %+v engine %+v", rec.Tier, rec.BuilderID, rec.Who, en)
		}
		code, md, e := runCLICtx(context.Background(), nil, "report", "--runs", filepath.Dir(runDir), "--format", "md")
		if code != 0 || !strings.Contains(md, `did not authorize identity "spiffe:spiffe://example.org/ci/native"`) ||
			!strings.Contains(md, `tier "trusted" is unverified`) {
			t.Errorf("report (exit %d) does not say the engine authorized nobody:\n%s\n%s", code, md, e)
		}
	})

	t.Run("engine check names the engine-native path", func(t *testing.T) {
		cfg := engineJSON("check", filepath.Join(tlsDir, "client.crt"), filepath.Join(tlsDir, "client.key"))
		code, out, e := runCLICtx(context.Background(), cliEnv, "engine", "check", "--engine-config", cfg, "--json")
		if code != 0 || !strings.Contains(out, `"cacheMode": "engine-native"`) || !strings.Contains(out, `"version": "v0.19.10"`) ||
			!strings.Contains(out, pipeline.NativeBuilderID) {
			t.Errorf("engine check: exit %d\n%s\n%s", code, out, e)
		}
	})

	t.Run("certificate of another CA fails", func(t *testing.T) {
		ca, err := engineconfig.NewCA("stranger CA", time.Now(), time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		crt, key, err := ca.Issue(engineconfig.CertSpec{CN: "ci-native", NotBefore: time.Now().Add(-time.Minute), NotAfter: time.Now().Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		crtPath, keyPath := filepath.Join(dir, "stranger.crt"), filepath.Join(dir, "stranger.key")
		if err := os.WriteFile(crtPath, crt, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(keyPath, key, 0o600); err != nil {
			t.Fatal(err)
		}
		sp := spec(t)
		ctx, hung := testenv.HangGuard(t, "the run with a stranger certificate")
		code, out, e := runCLICtx(ctx, cliEnv, "run", "-f", sp, "--engine-config", engineJSON("stranger", crtPath, keyPath))
		hung()
		if code != ExitOperational {
			t.Fatalf("stranger certificate: exit %d, want %d\n%s\n%s", code, ExitOperational, out, e)
		}
		t.Logf("stranger certificate: %s", strings.TrimSpace(e))
	})

	t.Run("certificate without its key is bad input", func(t *testing.T) {
		sp := spec(t)
		code, out, e := runCLICtx(context.Background(), cliEnv, "run", "-f", sp, "--engine-config",
			engineJSON("nokey", filepath.Join(tlsDir, "client.crt"), ""))
		if code != ExitUsage || !strings.Contains(e, "engine.tls.key") {
			t.Fatalf("certificate without key: exit %d, want %d naming engine.tls.key\n%s\n%s", code, ExitUsage, out, e)
		}
	})
}
