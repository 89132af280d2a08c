package gateway

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	engineconfig "github.com/pinline/pinline/engine-config"
	"github.com/pinline/pinline/internal/testenv"
)

// Tests against two real Dagger engines (hack/setup.d/50-gateway-engines.sh):
// PINLINE_GW_TRUSTED_SOCK, PINLINE_GW_UNTRUSTED_SOCK and PINLINE_GW_DAGGER_CLI.
// Skipped when unset, failed when CI is set.

type realEngines struct{ trusted, untrusted, cli string }

func needEngines(t *testing.T) realEngines {
	t.Helper()
	env := testenv.RequireAll(t, "hack/setup.d/50-gateway-engines.sh", "PINLINE_GW_TRUSTED_SOCK", "PINLINE_GW_UNTRUSTED_SOCK", "PINLINE_GW_DAGGER_CLI")
	return realEngines{env["PINLINE_GW_TRUSTED_SOCK"], env["PINLINE_GW_UNTRUSTED_SOCK"], env["PINLINE_GW_DAGGER_CLI"]}
}

const realGatewayYAML = `
listen: 127.0.0.1:0
tls: {cert: gateway.crt, key: gateway.key, clientCAs: [ca.crt]}
tiers:
  - name: trusted
    rank: 10
    builderId: https://pinline.dev/builders/trusted/v1
    cacheMode: %MODE
    backends: ["unix://%T"]
    identities: [{field: spiffe, exact: "spiffe://example.org/ci/main"}]
  - name: untrusted
    rank: 1
    builderId: https://pinline.dev/builders/untrusted/v1
    cacheMode: %MODE
    %SNAP
    backends: ["unix://%U"]
    identities: [{field: spiffe, prefix: "spiffe://example.org/ci/pr/"}]
`

// realGateway starts an in-process gateway in front of the given sockets.
func realGateway(t *testing.T, p *pki, mode, trustedSock, untrustedSock string) (string, *syncBuf) {
	t.Helper()
	snap := ""
	if mode == engineconfig.CacheShared {
		snap = "snapshotFrom: trusted\n    snapshotImage: 127.0.0.1:1/pinline/copy@sha256:" + strings.Repeat("0", 64)
	}
	y := strings.NewReplacer("%MODE", mode, "%SNAP", snap, "%T", trustedSock, "%U", untrustedSock).Replace(realGatewayYAML)
	cfg, err := engineconfig.ParseGateway([]byte(y), p.dir)
	if err != nil {
		t.Fatal(err)
	}
	audit := &syncBuf{}
	srv, err := New(cfg, audit, nil)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() { cancel(); <-done })
	return ln.Addr().String(), audit
}

func startFwd(t *testing.T, p *pki, addr string, cert *tls.Certificate) *Forwarder {
	t.Helper()
	parent := sockDir(t, "fwd")
	f, err := StartForwarder(context.Background(), &Dialer{Address: addr, TLS: p.clientTLS(t, cert), Timeout: 10 * time.Second}, parent)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// h2Settings sends an HTTP/2 client preface and an empty SETTINGS frame and
// expects a SETTINGS frame back: proof that a real engine answers.
func h2Settings(t *testing.T, sock string) {
	t.Helper()
	c, err := net.DialTimeout("unix", sock, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00"); err != nil {
		t.Fatal(err)
	}
	hdr := make([]byte, 9)
	if _, err := io.ReadFull(c, hdr); err != nil {
		t.Fatalf("no HTTP/2 frame from the engine: %v", err)
	}
	if hdr[3] != 0x4 {
		t.Fatalf("first frame type %#x, want SETTINGS", hdr[3])
	}
}

// dagger runs the dagger CLI against runner host addr, killing its whole
// process group afterwards (a `dagger session` child may ignore SIGTERM).
func dagger(t *testing.T, cli, addr, stdin string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, cli, args...)
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), "_EXPERIMENTAL_DAGGER_RUNNER_HOST="+addr, "DO_NOT_TRACK=1", "DAGGER_NO_NAG=1", "NO_COLOR=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	if err != nil {
		return out.String(), fmt.Errorf("%v: %w\n%s", args, err, tail(errb.String(), 2000))
	}
	return out.String(), nil
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// busyboxRootfs builds a minimal root file system from the host's static
// busybox (installed by hack/engine.sh).
func busyboxRootfs(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(testenv.RequireFile(t, "/bin/busybox", "hack/engine.sh (busybox-static)"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "bin", "busybox"), data, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, a := range []string{"sh", "cat", "cp", "echo", "mkdir", "ls", "test"} {
		if err := os.Symlink("busybox", filepath.Join(dir, "bin", a)); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func certsFor(t *testing.T, p *pki) (mainCert, prCert tls.Certificate) {
	t.Helper()
	mainCert = p.issue(t, "main", p.ca, engineconfig.CertSpec{CN: "ci-main", URIs: []string{"spiffe://example.org/ci/main"}})
	prCert = p.issue(t, "pr", p.ca, engineconfig.CertSpec{CN: "ci-pr", URIs: []string{"spiffe://example.org/ci/pr/99"}})
	return mainCert, prCert
}

func TestRealEnginesRouting(t *testing.T) {
	e := needEngines(t)
	p := newPKI(t)
	mainCert, prCert := certsFor(t, p)
	addr, audit := realGateway(t, p, engineconfig.CacheStrong, e.trusted, e.untrusted)
	fT, fP := startFwd(t, p, addr, &mainCert), startFwd(t, p, addr, &prCert)
	if a := fT.Announced(); a.Tier != "trusted" || a.BuilderID != "https://pinline.dev/builders/trusted/v1" {
		t.Errorf("trusted client announced %+v", a)
	}
	if a := fP.Announced(); a.Tier != "untrusted" || a.BuilderID != "https://pinline.dev/builders/untrusted/v1" {
		t.Errorf("PR client announced %+v", a)
	}
	h2Settings(t, strings.TrimPrefix(fT.Address(), "unix://"))
	h2Settings(t, strings.TrimPrefix(fP.Address(), "unix://"))

	out, err := dagger(t, e.cli, fT.Address(), "{ version }", "query")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "v0.19.10") {
		t.Errorf("engine version through the gateway: %q", out)
	}
	want := map[string]string{"trusted": "unix://" + e.trusted, "untrusted": "unix://" + e.untrusted}
	n, probes := 0, 0
	for _, r := range audit.records(t) {
		switch {
		case r.Outcome == OutcomeProbe && r.Backend == "" && r.BytesUp == 0 && r.BytesDown == 0:
			probes++ // the forwarders' start: no engine dialled
		case r.Outcome == OutcomeOK:
			n++
			if r.Backend != want[r.Tier] {
				t.Errorf("tier %s routed to %s, want %s", r.Tier, r.Backend, want[r.Tier])
			}
		default:
			t.Errorf("unexpected audit record %+v", r)
		}
	}
	if n < 2 || probes != 2 {
		t.Errorf("audit has %d ok records and %d probes, want at least 2 (HTTP/2 checks) and 2 (forwarder starts)", n, probes)
	}
}

// shell runs a dagger shell pipeline that mounts cache volume vol at /c in
// a busybox container and runs script; it returns stdout.
func cacheScript(t *testing.T, e realEngines, addr, rootfs, vol, script string) (string, error) {
	t.Helper()
	cmd := fmt.Sprintf(`container | with-rootfs $(host | directory %s) | with-env-variable BUST %d | with-mounted-cache /c $(cache-volume %s) | with-new-file /run.sh %q | with-exec sh /run.sh | stdout`,
		rootfs, time.Now().UnixNano(), vol, script)
	return dagger(t, e.cli, addr, "", "-c", cmd)
}

func TestRealEnginesCanaryStrong(t *testing.T) {
	e := needEngines(t)
	p := newPKI(t)
	mainCert, prCert := certsFor(t, p)
	addr, _ := realGateway(t, p, engineconfig.CacheStrong, e.trusted, e.untrusted)
	fT, fP := startFwd(t, p, addr, &mainCert), startFwd(t, p, addr, &prCert)
	rootfs := busyboxRootfs(t)
	vol, err := engineconfig.CacheVolume("trusted", "main", fmt.Sprintf("canary-%d", time.Now().UnixNano()))
	if err != nil {
		t.Fatal(err)
	}
	canary := fmt.Sprintf("CANARY-%d", time.Now().UnixNano())
	if _, err := cacheScript(t, e, fT.Address(), rootfs, vol, "echo "+canary+" > /c/canary"); err != nil {
		t.Fatal(err)
	}
	// Even naming the trusted volume verbatim (pinline's mapping never
	// would), the PR client lands on another engine: nothing to read.
	out, err := cacheScript(t, e, fP.Address(), rootfs, vol, "cat /c/canary 2>/dev/null || echo MISSING; echo EVIL > /c/canary")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out, canary) || !strings.Contains(out, "MISSING") {
		t.Errorf("strong mode: PR run read the trusted canary: %q", out)
	}
	out, err = cacheScript(t, e, fT.Address(), rootfs, vol, "cat /c/canary")
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(out) != canary {
		t.Errorf("strong mode: trusted canary changed to %q", out)
	}
}

func TestRealEnginesCanaryShared(t *testing.T) {
	e := needEngines(t)
	p := newPKI(t)
	mainCert, prCert := certsFor(t, p)
	// Shared-engine mode: both tiers on the trusted engine.
	addr, audit := realGateway(t, p, engineconfig.CacheShared, e.trusted, e.trusted)
	fT, fP := startFwd(t, p, addr, &mainCert), startFwd(t, p, addr, &prCert)
	rootfs := busyboxRootfs(t)
	name := fmt.Sprintf("canary-%d", time.Now().UnixNano())
	// The PR tier snapshots the trusted tier's volume (pipeline.cacheVolume
	// in snapshot mode with SnapshotFrom "trusted").
	vol, err := engineconfig.CacheVolume("trusted", "main", name)
	if err != nil {
		t.Fatal(err)
	}
	canary := fmt.Sprintf("CANARY-%d", time.Now().UnixNano())
	if _, err := cacheScript(t, e, fT.Address(), rootfs, vol, "echo "+canary+" > /c/canary"); err != nil {
		t.Fatal(err)
	}
	// The documented snapshot recipe: a fixed copy step mounts the trusted
	// volume, the PR task gets the copied directory (copy-on-write).
	snap := fmt.Sprintf(`container | with-rootfs $(host | directory %s) | with-env-variable PINLINE_RUN %d | with-mounted-cache /src $(cache-volume %s) | with-new-file /snap.sh "mkdir -p /snap && cp -a /src/. /snap/" | with-exec sh /snap.sh | directory /snap`,
		rootfs, time.Now().UnixNano(), vol)
	task := fmt.Sprintf(`container | with-rootfs $(host | directory %s) | with-env-variable BUST %d | with-mounted-directory /c $(%s) | with-new-file /task.sh "cat /c/canary; echo EVIL > /c/canary; cat /c/canary" | with-exec sh /task.sh | stdout`,
		rootfs, time.Now().UnixNano(), snap)
	out, err := dagger(t, e.cli, fP.Address(), "", "-c", task)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out, canary+"\n") || !strings.Contains(out, "EVIL") {
		t.Errorf("shared mode: PR run should read the canary and write its own copy: %q", out)
	}
	out, err = cacheScript(t, e, fT.Address(), rootfs, vol, "cat /c/canary")
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(out) != canary {
		t.Errorf("shared mode: PR write reached the trusted volume: %q", out)
	}
	for _, r := range audit.records(t) {
		if r.Outcome == OutcomeOK && r.Backend != "unix://"+e.trusted {
			t.Errorf("shared mode routed %s to %s", r.Tier, r.Backend)
		}
	}
}

// benchRun is one small pipeline step on a real engine: a fresh (never
// cached) busybox exec, through runner host addr.
func benchRun(b *testing.B, cli, addr, rootfs string, i int) {
	cmd := fmt.Sprintf(`container | with-rootfs $(host | directory %s) | with-env-variable BUST %d-%d | with-exec echo ok | stdout`, rootfs, time.Now().UnixNano(), i)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := exec.CommandContext(ctx, cli, "-c", cmd)
	c.Dir = b.TempDir()
	c.Env = append(os.Environ(), "_EXPERIMENTAL_DAGGER_RUNNER_HOST="+addr, "DO_NOT_TRACK=1", "DAGGER_NO_NAG=1", "NO_COLOR=1")
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	c.Cancel = func() error { return syscall.Kill(-c.Process.Pid, syscall.SIGKILL) }
	out, err := c.Output()
	if c.Process != nil {
		_ = syscall.Kill(-c.Process.Pid, syscall.SIGKILL)
	}
	if err != nil || strings.TrimSpace(string(out)) != "ok" {
		b.Fatalf("run: %q %v", out, err)
	}
}

// BenchmarkRealEngineRun compares a small run directly on the engine
// socket with the same run through forwarder + gateway (target ≤ 2 %
// slower). Run with -benchtime 10x.
func BenchmarkRealEngineRun(b *testing.B) {
	env := testenv.RequireAll(b, "hack/setup.d/50-gateway-engines.sh", "PINLINE_GW_TRUSTED_SOCK", "PINLINE_GW_DAGGER_CLI")
	trusted, cli := env["PINLINE_GW_TRUSTED_SOCK"], env["PINLINE_GW_DAGGER_CLI"]
	dir := b.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "bin"), 0o755); err != nil {
		b.Fatal(err)
	}
	data, err := os.ReadFile(testenv.RequireFile(b, "/bin/busybox", "hack/engine.sh (busybox-static)"))
	if err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "bin", "busybox"), data, 0o755); err != nil {
		b.Fatal(err)
	}
	for _, a := range []string{"sh", "echo"} {
		_ = os.Symlink("busybox", filepath.Join(dir, "bin", a))
	}
	p := newPKI(b)
	main := p.issue(b, "main", p.ca, engineconfig.CertSpec{URIs: []string{"spiffe://example.org/ci/main"}})
	b.Run("direct", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			benchRun(b, cli, "unix://"+trusted, dir, i)
		}
	})
	b.Run("gateway", func(b *testing.B) {
		y := strings.NewReplacer("%MODE", "strong", "%SNAP", "", "%T", trusted, "%U", "/nonexistent/u.sock").Replace(realGatewayYAML)
		cfg, err := engineconfig.ParseGateway([]byte(y), p.dir)
		if err != nil {
			b.Fatal(err)
		}
		srv, err := New(cfg, io.Discard, nil)
		if err != nil {
			b.Fatal(err)
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- srv.Serve(ctx, ln) }()
		defer func() { cancel(); <-done }()
		f, err := StartForwarder(ctx, &Dialer{Address: ln.Addr().String(), TLS: p.clientTLS(b, &main)}, "")
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		for i := 0; b.Loop(); i++ {
			benchRun(b, cli, f.Address(), dir, i)
		}
	})
}
