package cli

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pinline/pinline/internal/testenv"
	"github.com/pinline/pinline/record"
)

// TestRunGatewayEngineKilledMidRun: a throwaway engine (own state, socket,
// network name and CIDR, started with hack/engine.sh) serves tier "extra"
// (shared cache mode) behind the gateway. A signed run first checks the
// mode is recorded in run.json and provenance; then the engine is killed
// while a task runs, and `pinline run` through the gateway exits 3
// (operational), the record says failed with an engine error, and nothing
// is signed.
func TestRunGatewayEngineKilledMidRun(t *testing.T) {
	script := testenv.Require(t, "PINLINE_ENGINE_SCRIPT", "hack/setup.d/30-engine.sh")
	state := t.TempDir()
	sock := filepath.Join(state, "run", "engine.sock")
	env := append(os.Environ(),
		"PINLINE_ENGINE_NAME=gw-kill", "PINLINE_ENGINE_STATE="+state, "PINLINE_ENGINE_SOCK="+sock,
		"PINLINE_ENGINE_NETWORK=pgwkill", "PINLINE_ENGINE_CIDR=10.94.0.0/16")
	engine := func(arg string) error {
		cmd := exec.Command(script, arg)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Logf("engine.sh %s: %s", arg, out)
		}
		return err
	}
	f := startGatewayFixtureWith(t, sock) // skips without the gateway engines
	t.Cleanup(func() { _ = engine("clean") })
	if err := engine("start"); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(state, "engine.pid"))
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}

	// A sleep of a length no other test uses, to find the task's process.
	secs := strconv.Itoa(121 + int(time.Now().UnixNano()%50))
	sp := f.spec(t, "version: 1\nname: gwkill\nimages:\n  bb: "+f.busybox+"\ntasks:\n  long:\n    image: bb\n"+
		"    sh: mkdir -p /out && echo started > /out/f && sleep "+secs+"\n"+
		"    outputs:\n      - {path: /out/f}\n")
	prefix := filepath.Join(t.TempDir(), "cosign")
	if code, _, e := runCLICtx(context.Background(), f.env, "keys", "generate", "--output-key-prefix", prefix); code != 0 {
		t.Fatalf("keys generate: exit %d %s", code, e)
	}
	// A signed run on the shared-mode tier states the mode.
	sp0 := f.spec(t, fmt.Sprintf("version: 1\nname: gwshared\nimages:\n  bb: %s\ntasks:\n  build:\n    image: bb\n"+
		"    sh: mkdir -p /out && echo shared %d > /out/hello\n    outputs:\n      - {path: /out/hello}\n", f.busybox, time.Now().UnixNano()))
	if code, out, e := f.run(t, "extra", sp0, "--key", prefix+".key"); code != 0 {
		t.Fatalf("shared-tier run: exit %d\n%s\n%s", code, out, e)
	}
	dir, rec := onlyRun(t, sp0)
	st := readStatement(t, filepath.Join(dir, record.ProvenanceFile))
	if rec.Engine.GatewayCacheMode != "shared" || st.Predicate.BuildDefinition.Internal.Gateway.CacheMode != "shared" ||
		st.Predicate.RunDetails.Builder.ID != "https://pinline.dev/builders/extra/v1" {
		t.Errorf("shared tier: run.json engine %+v, provenance gateway %+v builder %q", rec.Engine,
			st.Predicate.BuildDefinition.Internal.Gateway, st.Predicate.RunDetails.Builder.ID)
	}

	// Kill the engine once the task's process runs.
	go func() {
		deadline := time.Now().Add(90 * time.Second)
		for time.Now().Before(deadline) {
			if processRuns("sleep\x00" + secs + "\x00") {
				time.Sleep(time.Second)
				_ = syscall.Kill(pid, syscall.SIGKILL)
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	}()
	// How long noticing takes is no result of this test; the guard only
	// stops a run that never notices.
	ctx, hung := testenv.HangGuard(t, "the run on the killed engine")
	code, out, e := f.runCtx(ctx, "extra", sp, "--key", prefix+".key")
	hung()
	if code != ExitOperational {
		t.Fatalf("engine killed mid-run: exit %d, want %d\n%s\n%s", code, ExitOperational, out, e)
	}
	_, rec = onlyRun(t, sp)
	// The SDK reconnects through the forwarder, naming the session's
	// engine, and the gateway answers session-engine-gone (or, before the
	// session was placed, backend-unavailable); without a reconnect the
	// pipeline notices the engine went away. All are engine errors, never
	// a task failure.
	named := strings.Contains(rec.Error, `session-engine-gone: engine extra-0 of tier "extra"`) ||
		strings.Contains(rec.Error, `backend-unavailable: no engine of tier "extra"`) ||
		strings.Contains(rec.Error, "the engine went away")
	if rec.Status != record.StatusFailed || !named || rec.Evidence.Signed || rec.Tier != "extra" {
		t.Errorf("record: status %q error %q signed %v tier %q", rec.Status, rec.Error, rec.Evidence.Signed, rec.Tier)
	}
}

// processRuns reports whether a process has exactly this NUL-separated
// command line.
func processRuns(cmdline string) bool {
	ms, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, m := range ms {
		if b, err := os.ReadFile(m); err == nil && string(b) == cmdline {
			return true
		}
	}
	return false
}
