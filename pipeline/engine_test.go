package pipeline

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pinline/pinline/internal/testenv"
	"github.com/pinline/pinline/record"
	"github.com/pinline/pinline/spec"
)

func TestEngineExecAndOutputs(t *testing.T) {
	t.Parallel()
	e := needEngine(t)
	root := t.TempDir()
	n := nonce(t)
	if err := os.WriteFile(filepath.Join(root, "input.txt"), []byte("from-host "+n+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "skip.me"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := e.bbSpec(t, root, spec.Task{
		Name:    "make",
		Env:     map[string]string{"NONCE": n},
		Mounts:  []spec.Mount{{Source: ".", Target: "/src", ReadOnly: true, Exclude: []string{"*.me"}}},
		Workdir: "/src",
		Sh: `echo "out $NONCE"; echo "err $NONCE" >&2; mkdir -p /o/d; cat input.txt > /o/file.txt; ` +
			`ls /src > /o/d/listing; echo two > /o/d/two; pwd > /o/d/pwd; id -u > /o/d/uid`,
		Outputs: []spec.Output{{Path: "/o/file.txt"}, {Path: "/o/d", Type: "dir", Dest: "dirs/d"}},
	})
	res, err := Run(context.Background(), e.options(t, s, root))
	if err != nil {
		t.Fatal(err)
	}
	r := readRun(t, res.Dir)
	if r.Status != record.StatusSucceeded || r.Engine.Backend != BackendDagger || r.Engine.Address == "" {
		t.Fatalf("record %+v", r)
	}
	tk := taskRec(t, r, "make")
	if tk.ExitCode != 0 || tk.Status != record.StatusSucceeded {
		t.Errorf("task %+v", tk)
	}
	log := readLog(t, res.Dir, "make")
	if !strings.Contains(log, "out "+n) || !strings.Contains(log, "err "+n) {
		t.Errorf("log lacks stdout/stderr: %q", log)
	}
	got, err := os.ReadFile(filepath.Join(res.Dir, "outputs", "file.txt"))
	if err != nil || string(got) != "from-host "+n+"\n" {
		t.Fatalf("exported file %q %v", got, err)
	}
	sum := sha256.Sum256(got)
	if len(r.Outputs) != 2 || r.Outputs[0].SHA256 != hex.EncodeToString(sum[:]) || r.Outputs[0].File != "outputs/file.txt" {
		t.Errorf("outputs %+v", r.Outputs)
	}
	listing, _ := os.ReadFile(filepath.Join(res.Dir, "dirs", "d", "listing"))
	if !strings.Contains(string(listing), "input.txt") || strings.Contains(string(listing), "skip.me") {
		t.Errorf("mount include/exclude: listing %q", listing)
	}
	if pwd, _ := os.ReadFile(filepath.Join(res.Dir, "dirs", "d", "pwd")); strings.TrimSpace(string(pwd)) != "/src" {
		t.Errorf("workdir %q", pwd)
	}
	if r.Outputs[1].Type != "dir" || r.Outputs[1].SHA256 == "" {
		t.Errorf("dir output %+v", r.Outputs[1])
	}
	if len(r.Images) != 1 || !strings.HasPrefix(r.Images[0].Digest, "sha256:") {
		t.Errorf("images %+v", r.Images)
	}
}

func TestEngineFromChainingAndUser(t *testing.T) {
	t.Parallel()
	e := needEngine(t)
	root := t.TempDir()
	n := nonce(t)
	lookup := func(k string) (string, bool) { return map[string]string{"TOK": "tok-" + n}[k], k == "TOK" }
	s := e.bbSpec(t, root,
		spec.Task{Name: "first", Env: map[string]string{"N": n},
			Secrets: []spec.Secret{{Name: "tok", Env: "TOK", From: spec.SecretSource{Env: "TOK"}}},
			Sh:      `mkdir -p /state && echo "$N" > /state/n && chmod 777 /state`},
		spec.Task{Name: "second", From: "first", User: "nobody",
			Sh: `cat /state/n; id -un; echo "tok=${TOK:-unset}"`},
	)
	o := e.options(t, s, root)
	o.Tier = "local" // the spec's own from: sources are honoured in tier local only
	o.LookupEnv = lookup
	res, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	log := readLog(t, res.Dir, "second")
	for _, want := range []string{n, "nobody", "tok=unset"} {
		if !strings.Contains(log, want) {
			t.Errorf("second log %q lacks %q", log, want)
		}
	}
	if tk := taskRec(t, readRun(t, res.Dir), "second"); tk.From != "first" || tk.Image != "" {
		t.Errorf("record of chained task %+v", tk)
	}
}

func TestEngineCachePersistsPerTier(t *testing.T) {
	t.Parallel()
	e := needEngine(t)
	n := nonce(t)
	run := func(tier, mode, sh string) string {
		root := t.TempDir()
		s := e.bbSpec(t, root, spec.Task{Name: "c", Env: map[string]string{"N": nonce(t)},
			Cache: []spec.Cache{{Name: "data", Path: "/cache"}}, Sh: sh})
		s.Name = "cache-" + n
		o := e.options(t, s, root)
		o.Tier, o.CacheMode = tier, mode
		res, err := Run(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		if tk := taskRec(t, readRun(t, res.Dir), "c"); len(tk.Caches) != 1 || tk.Caches[0].Volume != tier+"/cache-"+n+"/data" || tk.Caches[0].Mode != mode {
			t.Errorf("cache record %+v", tk.Caches)
		}
		return readLog(t, res.Dir, "c")
	}
	run("trusted", CacheModeRW, "echo "+n+" >> /cache/f")
	if got := run("trusted", CacheModeRW, "cat /cache/f"); !strings.Contains(got, n) {
		t.Errorf("second session did not see the cache: %q", got)
	}
	if got := run("untrusted", CacheModeRW, "cat /cache/f 2>&1 || true"); strings.Contains(got, n) {
		t.Errorf("another tier saw the cache: %q", got)
	}
	// A snapshot sees the volume but its writes never reach it.
	if got := run("trusted", CacheModeSnapshot, "cat /cache/f; echo snap-"+n+" >> /cache/f"); !strings.Contains(got, n) {
		t.Errorf("snapshot did not see the volume: %q", got)
	}
	if got := run("trusted", CacheModeRW, "cat /cache/f"); strings.Contains(got, "snap-"+n) {
		t.Errorf("a snapshot write reached the volume: %q", got)
	}
}

func TestEngineSecretsScrubbed(t *testing.T) {
	t.Parallel()
	e := needEngine(t)
	root := t.TempDir()
	canary := "canary-" + nonce(t)
	if err := os.WriteFile(filepath.Join(root, "secret.txt"), []byte(canary+"-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := e.bbSpec(t, root, spec.Task{
		Name: "leak",
		Secrets: []spec.Secret{
			{Name: "a", Env: "A", From: spec.SecretSource{Env: "CANARY"}},
			{Name: "b", Path: "/run/b", From: spec.SecretSource{File: "secret.txt"}},
			{Name: "c", Env: "C", From: spec.SecretSource{Command: []string{"echo", canary + "-cmd"}}},
		},
		Sh:      `echo "a=$A"; cat /run/b; echo "c=$C" >&2; echo "$A" > /o.txt; exit 3`,
		Outputs: []spec.Output{{Path: "/o.txt"}},
	})
	o := e.options(t, s, root)
	o.Tier = "local" // the spec's own from: sources are honoured in tier local only
	o.LookupEnv = func(k string) (string, bool) { return canary, k == "CANARY" }
	var diag, events bytes.Buffer
	o.Log = &diag
	o.Progress = func(ev Event) { fmt.Fprintf(&events, "%+v\n", ev) }
	res, err := Run(context.Background(), o)
	if !errors.Is(err, ErrTaskFailed) {
		t.Fatalf("err = %v, want ErrTaskFailed", err)
	}
	if hits := grepTree(t, res.Dir, canary); len(hits) > 0 {
		t.Errorf("canary found in %v", hits)
	}
	for name, b := range map[string]string{"session log": diag.String(), "events": events.String(), "error": err.Error()} {
		if strings.Contains(b, canary) {
			t.Errorf("canary in %s", name)
		}
	}
	if log := readLog(t, res.Dir, "leak"); !strings.Contains(log, "a=***") {
		t.Errorf("the task did not print the (scrubbed) secret: %q", log)
	}
}

func TestEngineNonZeroExitStopsDependents(t *testing.T) {
	t.Parallel()
	e := needEngine(t)
	root := t.TempDir()
	n := nonce(t)
	s := e.bbSpec(t, root,
		spec.Task{Name: "bad", Env: map[string]string{"N": n}, Sh: `echo "to-stdout $N"; echo "to-stderr $N" >&2; exit 7`},
		spec.Task{Name: "after", DependsOn: []string{"bad"}, Run: []string{"true"}},
		spec.Task{Name: "independent", Env: map[string]string{"N": n}, Run: []string{"true"}},
	)
	o := e.options(t, s, root)
	att := &recordingAttester{}
	o.Attester = att
	res, err := Run(context.Background(), o)
	if !errors.Is(err, ErrTaskFailed) {
		t.Fatalf("err = %v, want ErrTaskFailed", err)
	}
	r := readRun(t, res.Dir)
	bad, after, ind := taskRec(t, r, "bad"), taskRec(t, r, "after"), taskRec(t, r, "independent")
	if bad.Status != record.StatusFailed || bad.ExitCode != 7 {
		t.Errorf("bad %+v", bad)
	}
	if after.Status != record.StatusSkipped || ind.Status != record.StatusSucceeded {
		t.Errorf("after %s, independent %s", after.Status, ind.Status)
	}
	log := readLog(t, res.Dir, "bad")
	if !strings.Contains(log, "to-stdout "+n) || !strings.Contains(log, "to-stderr "+n) {
		t.Errorf("failed task's output not captured: %q", log)
	}
	if r.Status != record.StatusFailed || att.calls != 0 || r.Evidence.Signed {
		t.Errorf("failed run: status %s, attester calls %d, signed %v", r.Status, att.calls, r.Evidence.Signed)
	}
	if _, err := os.Stat(filepath.Join(res.Dir, record.ProvenanceFile)); !os.IsNotExist(err) {
		t.Errorf("provenance written for a failed run")
	}
}

func TestEngineTaskTimeout(t *testing.T) {
	t.Parallel()
	e := needEngine(t)
	root := t.TempDir()
	s := e.bbSpec(t, root, spec.Task{Name: "slow", Env: map[string]string{"N": nonce(t)},
		Run: []string{"sleep", "60"}, Timeout: 2 * time.Second})
	// The task sleeps 60 s: ending as failed (timed out, below) is the
	// timeout's doing; the guard only stops a run that never ends.
	ctx, hung := testenv.HangGuard(t, "the run with a timed-out task")
	res, err := Run(ctx, e.options(t, s, root))
	hung()
	if !errors.Is(err, ErrTaskFailed) {
		t.Fatalf("err = %v", err)
	}
	tk := taskRec(t, readRun(t, res.Dir), "slow")
	if tk.Status != record.StatusTimedOut || tk.ExitCode != TimeoutExitCode || !strings.Contains(tk.Error, "timed out") {
		t.Errorf("task %+v", tk)
	}
}

func TestEngineRunTimeout(t *testing.T) {
	t.Parallel()
	e := needEngine(t)
	root := t.TempDir()
	s := e.bbSpec(t, root,
		spec.Task{Name: "slow", Env: map[string]string{"N": nonce(t)}, Run: []string{"sleep", "60"}},
		spec.Task{Name: "later", DependsOn: []string{"slow"}, Run: []string{"true"}})
	o := e.options(t, s, root)
	o.Timeout = 8 * time.Second
	res, err := Run(context.Background(), o)
	if !errors.Is(err, ErrInterrupted) {
		t.Fatalf("err = %v, want ErrInterrupted", err)
	}
	r := readRun(t, res.Dir)
	if r.Status != record.StatusTimedOut || taskRec(t, r, "later").Status != record.StatusSkipped {
		t.Errorf("status %s, later %s", r.Status, taskRec(t, r, "later").Status)
	}
}

func TestEngineParallelRunsShareCache(t *testing.T) {
	t.Parallel()
	e := needEngine(t)
	scope := "par-" + nonce(t)
	const runs = 8
	var wg sync.WaitGroup
	errs := make([]error, runs)
	for i := range runs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			root := t.TempDir()
			s := e.bbSpec(t, root, spec.Task{Name: "w", Env: map[string]string{"I": fmt.Sprint(i)},
				Cache: []spec.Cache{{Name: "shared", Path: "/c", Sharing: "locked"}},
				Sh:    `echo "run-$I" >> /c/log`})
			s.Name = scope
			_, errs[i] = Run(context.Background(), e.options(t, s, root))
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("run %d: %v", i, err)
		}
	}
	root := t.TempDir()
	s := e.bbSpec(t, root, spec.Task{Name: "r", Env: map[string]string{"N": nonce(t)},
		Cache: []spec.Cache{{Name: "shared", Path: "/c"}}, Run: []string{"cat", "/c/log"}})
	s.Name = scope
	res, err := Run(context.Background(), e.options(t, s, root))
	if err != nil {
		t.Fatal(err)
	}
	log := readLog(t, res.Dir, "r")
	for i := range runs {
		if !strings.Contains(log, fmt.Sprintf("run-%d\n", i)) {
			t.Errorf("cache lacks run-%d: %q", i, log)
		}
	}
}

// BenchmarkEngineRun is one Run of a three-task pipeline (two parallel
// tasks, one continuing from another, one output) on the warm engine,
// in-process: gate, session, tasks, export, record.
func BenchmarkEngineRun(b *testing.B) {
	env := testenv.RequireAll(b, "hack/setup.d/30-engine.sh", "PINLINE_ENGINE_SOCK", "PINLINE_DAGGER_CLI", "PINLINE_IMAGE_BUSYBOX")
	sock, cli, bb := env["PINLINE_ENGINE_SOCK"], env["PINLINE_DAGGER_CLI"], env["PINLINE_IMAGE_BUSYBOX"]
	e := testEngine{sock: sock, cli: cli, busybox: bb}
	root := b.TempDir()
	for i := 0; b.Loop(); i++ {
		n := fmt.Sprintf("%d-%d", time.Now().UnixNano(), i)
		s := &spec.Spec{Path: filepath.Join(root, "pinline.yaml"), Name: "bench", Concurrency: 2,
			Images: map[string]spec.Image{"bb": {Ref: bb}}, DefaultImage: "bb",
			Tasks: []spec.Task{
				{Name: "gen", Env: map[string]string{"N": n}, Sh: `mkdir -p /o && echo "$N" > /o/data && seq 1 20000 >> /o/data`},
				{Name: "sum", From: "gen", Sh: "sha256sum /o/data", Outputs: []spec.Output{{Path: "/o/data"}}},
				{Name: "lint", Env: map[string]string{"N": n}, Sh: `echo "lint $N"; seq 1 5000 | wc -l`},
			}}
		o := Options{Spec: s, Root: root, Tier: "bench", Engine: e.engine(), Gate: PolicyGate{}}
		if _, err := Run(context.Background(), o); err != nil {
			b.Fatal(err)
		}
	}
}

// TestEngineInterrupted: cancelling the run (Ctrl-C) ends the running task,
// records the run "interrupted" and leaves no dagger session behind.
func TestEngineInterrupted(t *testing.T) {
	t.Parallel()
	e := needEngine(t)
	root := t.TempDir()
	s := e.bbSpec(t, root, spec.Task{Name: "slow", Env: map[string]string{"N": nonce(t)}, Run: []string{"sleep", "60"}})
	o := e.options(t, s, root)
	// A private path to the engine socket, so that the session children of
	// this run can be told from those of tests running in parallel.
	link := filepath.Join(t.TempDir(), "e.sock")
	if err := os.Symlink(e.sock, link); err != nil {
		t.Fatal(err)
	}
	o.Engine.Address = "unix://" + link
	guard, hung := testenv.HangGuard(t, "the interrupted run")
	ctx, cancel := context.WithCancel(guard)
	o.Progress = func(ev Event) {
		if ev.Status == record.StatusRunning {
			time.AfterFunc(2*time.Second, cancel)
		}
	}
	res, err := Run(ctx, o)
	hung()
	if !errors.Is(err, ErrInterrupted) {
		t.Fatalf("err = %v, want ErrInterrupted", err)
	}
	r := readRun(t, res.Dir)
	if r.Status != record.StatusInterrupted || taskRec(t, r, "slow").Status != record.StatusInterrupted {
		t.Errorf("status %s, task %s", r.Status, taskRec(t, r, "slow").Status)
	}
	if pids := sessionsFor(o.Engine.Address); len(pids) > 0 {
		t.Errorf("dagger session processes left running: %v", pids)
	}
}

// The engine's telemetry marks execs it served from its cache: a first run
// of new commands runs them (cached false), the same run again is served
// from the cache (cached true), for a task and one continuing from it; a
// task whose command changed runs again.
func TestEngineMarksExecCacheHits(t *testing.T) {
	t.Parallel()
	e := needEngine(t)
	root := t.TempDir()
	n := nonce(t)
	tasks := func(second string) []spec.Task {
		return []spec.Task{
			{Name: "first", Env: map[string]string{"N": n}, Sh: `echo "first $N"`},
			{Name: "second", From: "first", Sh: second},
		}
	}
	run := func(second string) record.Run {
		t.Helper()
		res, err := Run(context.Background(), e.options(t, e.bbSpec(t, root, tasks(second)...), root))
		if err != nil {
			t.Fatal(err)
		}
		return readRun(t, res.Dir)
	}
	cached := func(r record.Run, task string) string {
		if c := taskRec(t, r, task).Cached; c != nil {
			return fmt.Sprint(*c)
		}
		return "unknown"
	}
	for i, step := range []struct {
		second               string
		wantFirst, wantSecnd string
	}{
		{`echo second`, "false", "false"},
		{`echo second`, "true", "true"},
		{`echo second, changed`, "true", "false"},
	} {
		r := run(step.second)
		if got := cached(r, "first"); got != step.wantFirst {
			t.Errorf("run %d: first cached = %s, want %s", i+1, got, step.wantFirst)
		}
		if got := cached(r, "second"); got != step.wantSecnd {
			t.Errorf("run %d: second cached = %s, want %s", i+1, got, step.wantSecnd)
		}
	}
}
