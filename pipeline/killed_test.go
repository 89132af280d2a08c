package pipeline

import (
	"errors"
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
	"github.com/pinline/pinline/spec"
)

// TestEngineKilledMidRun starts a second, throwaway engine (own state,
// socket, network name and CIDR) with hack/engine.sh, kills it with
// SIGKILL while a task runs, and checks that the run is recorded failed,
// as an engine error, with nothing signed.
func TestEngineKilledMidRun(t *testing.T) {
	t.Parallel()
	e := needEngine(t)
	e.script = testenv.Require(t, "PINLINE_ENGINE_SCRIPT", "hack/setup.d/30-engine.sh")
	state := t.TempDir()
	sock := filepath.Join(state, "run", "engine.sock")
	env := append(os.Environ(),
		"PINLINE_ENGINE_NAME=e2e-kill", "PINLINE_ENGINE_STATE="+state, "PINLINE_ENGINE_SOCK="+sock,
		"PINLINE_ENGINE_NETWORK=plkill", "PINLINE_ENGINE_CIDR=10.89.0.0/16")
	script := func(arg string) error {
		cmd := exec.Command(e.script, arg)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Logf("engine.sh %s: %s", arg, out)
		}
		return err
	}
	t.Cleanup(func() { _ = script("clean") })
	if err := script("start"); err != nil {
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

	root := t.TempDir()
	s := e.bbSpec(t, root,
		spec.Task{Name: "long", Env: map[string]string{"N": nonce(t)}, Sh: "echo started; sleep 120"},
		spec.Task{Name: "after", DependsOn: []string{"long"}, Run: []string{"true"}})
	o := e.options(t, s, root)
	o.Engine.Address = "unix://" + sock
	att := &recordingAttester{}
	o.Attester = att
	o.Progress = func(ev Event) {
		if ev.Task == "long" && ev.Status == record.StatusRunning {
			go func() {
				time.Sleep(3 * time.Second)
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}()
		}
	}
	// How long noticing takes is no result here; the guard only stops a
	// run that never notices.
	ctx, hung := testenv.HangGuard(t, "the run on the killed engine")
	res, err := Run(ctx, o)
	hung()
	if !errors.Is(err, ErrEngine) {
		tk := taskRec(t, readRun(t, res.Dir), "long")
		t.Fatalf("err = %v, want ErrEngine (task exit %d: %s)", err, tk.ExitCode, tk.Error)
	}
	r := readRun(t, res.Dir)
	if r.Status != record.StatusFailed || taskRec(t, r, "long").Status != record.StatusFailed || taskRec(t, r, "after").Status != record.StatusSkipped {
		t.Errorf("record %s, long %s, after %s", r.Status, taskRec(t, r, "long").Status, taskRec(t, r, "after").Status)
	}
	if att.calls != 0 || r.Evidence.Signed {
		t.Errorf("attester called %d time(s), signed %v", att.calls, r.Evidence.Signed)
	}
	if _, err := os.Stat(filepath.Join(res.Dir, record.ProvenanceFile)); !os.IsNotExist(err) {
		t.Error("provenance written for a run whose engine died")
	}
	if pids := sessionsFor(o.Engine.Address); len(pids) > 0 {
		t.Errorf("dagger session processes left running: %v", pids)
	}
}
