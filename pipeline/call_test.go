package pipeline

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pinline/pinline/internal/errclass"
	"github.com/pinline/pinline/spec"
)

func TestCallGate(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "ci"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc", filepath.Join(root, "out")); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		args     []string
		fromFile bool
		tier     string
		want     []string // rule ids
	}{
		{"repository dir", []string{"--src", ".", "--name", "x"}, false, "trusted", nil},
		{"missing path inside", []string{"--src=ci/new/dir"}, false, "trusted", nil},
		{"absolute outside", []string{"--src", "/etc"}, false, "local", []string{RuleCallPath}},
		{"dotdot", []string{"--src", "ci/../.."}, false, "local", []string{RuleCallPath}},
		{"symlink out", []string{"--src", "out/ssl"}, false, "local", []string{RuleCallPath}},
		{"home", []string{"--key", "~/.ssh/id_ed25519"}, false, "local", []string{RuleCallPath}},
		{"remote git dir", []string{"--src", "https://example.test/org/repo.git#main"}, false, "trusted", nil},
		{"remote git dir, ssh", []string{"--src", "SSH://git@example.test/org/repo.git"}, false, "trusted", nil},
		{"unknown scheme is a host path", []string{"--src", "x://../../etc"}, false, "local", []string{RuleCallPath}},
		{"unknown scheme inside", []string{"--src", "s3://bucket/key"}, false, "trusted", nil},
		{"host socket, upper case", []string{"--docker", "UNIX:///var/run/docker.sock"}, false, "local", []string{RuleCallHost}},
		{"env secret from the command line", []string{"--token", "env:GH_TOKEN"}, false, "trusted", nil},
		{"env secret from the repository, trusted", []string{"--token", "env://GH_TOKEN"}, true, "trusted", []string{RuleCallHost}},
		{"env secret from the repository, local", []string{"--token", "env:GH_TOKEN"}, true, "local", nil},
		{"file secret outside", []string{"--token", "file:/etc/shadow"}, false, "local", []string{RuleCallPath}},
		{"command secret", []string{"--token", "cmd:cat x"}, false, "local", []string{RuleCallHost}},
		{"vault", []string{"--token", "vault://kv/x"}, false, "local", []string{RuleCallHost}},
		{"host socket", []string{"--docker", "unix:///var/run/docker.sock"}, false, "local", []string{RuleCallHost}},
		{"host service", []string{"--db", "tcp://localhost:5432"}, false, "local", []string{RuleCallHost}},
		{"export in args", []string{"export", "--path", "x"}, true, "local", []string{RuleCallPath}},
		{"-o in args", []string{"-o", "x"}, true, "local", []string{RuleCallPath}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sp := &spec.Spec{Tasks: []spec.Task{{Name: "c", Call: &spec.Call{Module: "ci", Function: "f", Args: tc.args}}}}
			if tc.fromFile {
				sp.Path = "pinline.yaml"
			}
			d, err := PolicyGate{}.Evaluate(context.Background(), GateInput{Root: root, Spec: sp, Tier: tc.tier, Backend: BackendDagger})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, v := range d.Violations {
				if !slices.Contains(got, v.RuleID) {
					got = append(got, v.RuleID)
				}
			}
			if !slices.Equal(got, tc.want) || d.Allow != (len(tc.want) == 0) {
				t.Errorf("violations %+v, want rules %v", d.Violations, tc.want)
			}
			// One problem, one finding, naming the argument as recorded.
			if len(tc.want) > 0 {
				arg := parseCallArgs(tc.args)[0].String()
				if len(d.Violations) != 1 || !strings.Contains(d.Violations[0].Message, "argument "+arg) && !strings.Contains(d.Violations[0].Message, "argument "+strconv.Quote(arg)) {
					t.Errorf("violations %+v, want one naming argument %s", d.Violations, arg)
				}
			}
		})
	}
}

func TestCallCommandMasksSecrets(t *testing.T) {
	t.Parallel()
	got := callCommand(&spec.Call{Function: "build", Args: []string{"--src", ".", "--token=env:GH_TOKEN", "--flag", "stdout"}})
	want := []string{"dagger", "call", "-m", ".", "build", "--src=.", "--token=***", "--flag=stdout"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	rc := callRecord(&callModule{rel: "."}, &spec.Call{Function: "build", Args: []string{"--token", "env:GH_TOKEN"}})
	if len(rc.Args) != 1 || rc.Args[0].Value != "" || !rc.Args[0].Secret || rc.Args[0].Name != "token" {
		t.Errorf("record args %+v", rc.Args)
	}
}

// The dagger call child never sees signing material or credentials, nor
// the caller's telemetry or session settings; it gets the run's engine.
func TestCallChildEnvironment(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cli := filepath.Join(dir, "dagger")
	if err := os.WriteFile(cli, []byte("#!/bin/sh\nenv\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	b := &daggerBackend{o: &Options{Root: dir, Engine: Engine{CLI: cli, Address: "unix:///run/e.sock", Env: []string{
		"PATH=" + os.Getenv("PATH"), "HOME=/home/x", "COSIGN_PASSWORD=pw", "PINLINE_ENGINE_CONFIG=/e", "AWS_SECRET_ACCESS_KEY=a",
		"OTEL_EXPORTER_OTLP_ENDPOINT=http://elsewhere", "DAGGER_SESSION_PORT=1", "_EXPERIMENTAL_DAGGER_RUNNER_HOST=tcp://other", "APP_TOKEN=t",
	}}}}
	out, _, code, err := b.runCall(context.Background(), &callModule{dir: dir}, &spec.Call{Function: "f"}, callTrace{})
	if err != nil || code != 0 {
		t.Fatalf("exit %d: %v", code, err)
	}
	var names []string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		n, v, _ := strings.Cut(l, "=")
		names = append(names, n)
		if n == "_EXPERIMENTAL_DAGGER_RUNNER_HOST" && v != "unix:///run/e.sock" {
			t.Errorf("runner host %q", v)
		}
	}
	for _, bad := range []string{"COSIGN_PASSWORD", "PINLINE_ENGINE_CONFIG", "AWS_SECRET_ACCESS_KEY", "OTEL_EXPORTER_OTLP_ENDPOINT", "DAGGER_SESSION_PORT"} {
		if slices.Contains(names, bad) {
			t.Errorf("the call child sees %s", bad)
		}
	}
	for _, want := range []string{"PATH", "HOME", "APP_TOKEN", "_EXPERIMENTAL_DAGGER_RUNNER_HOST"} {
		if !slices.Contains(names, want) {
			t.Errorf("the call child lacks %s (has %v)", want, names)
		}
	}
}

// A call child that stops showing signs of life is killed, with its
// process group, once its stall window has passed, and the error is
// ErrCallStalled (operational); one that keeps printing is left alone.
func TestCallChildStall(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "grandchild.pid")
	stalls := filepath.Join(dir, "stalls")
	// The stand-in prints one line, starts a grandchild in its group and
	// then waits, ignoring SIGTERM, without another byte of output.
	if err := os.WriteFile(stalls, []byte("#!/bin/sh\ntrap '' TERM\necho connecting >&2\nsleep 300 &\necho $! > "+pidFile+"\nwait\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	busy := filepath.Join(dir, "busy")
	if err := os.WriteFile(busy, []byte("#!/bin/sh\nfor i in 1 2 3 4 5 6 7 8 9 10; do echo step $i >&2; sleep 0.2; done\necho '\"done\"'\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	run := func(cli string, stall time.Duration, ctx context.Context) (string, time.Duration, error) {
		b := &daggerBackend{o: &Options{Root: dir, CallStall: stall, Engine: Engine{CLI: cli, Address: "unix:///none", Env: []string{"PATH=" + os.Getenv("PATH")}}}}
		start := time.Now()
		out, _, _, err := b.runCall(ctx, &callModule{dir: dir}, &spec.Call{Function: "build"}, callTrace{})
		return out, time.Since(start), err
	}

	t.Run("stalled", func(t *testing.T) {
		_, took, err := run(stalls, 700*time.Millisecond, context.Background())
		if !errors.Is(err, ErrCallStalled) || errclass.Of(err) != errclass.ErrOperational {
			t.Fatalf("err = %v, want ErrCallStalled (operational)", err)
		}
		if !strings.Contains(err.Error(), "dagger call build") || !strings.Contains(err.Error(), "connecting") {
			t.Errorf("error %q does not name the function and the child's last line", err)
		}
		if took > 700*time.Millisecond+callWaitDelay {
			t.Errorf("stalled child took %s to end", took)
		}
		b, err := os.ReadFile(pidFile)
		if err != nil {
			t.Fatal(err)
		}
		pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
		if pid <= 0 {
			t.Fatalf("grandchild pid %q", b)
		}
		deadline := time.Now().Add(2 * time.Second)
		for syscall.Kill(pid, 0) == nil {
			if time.Now().After(deadline) {
				t.Fatalf("grandchild %d still runs after the stall", pid)
			}
			time.Sleep(20 * time.Millisecond)
		}
	})

	t.Run("within the call's timeout", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
		defer cancel()
		_, took, err := run(stalls, 0, ctx) // the default window, capped by the deadline
		if !errors.Is(err, ErrCallStalled) || ctx.Err() != nil {
			t.Fatalf("err = %v (ctx %v), want ErrCallStalled before the deadline", err, ctx.Err())
		}
		if took >= 1500*time.Millisecond {
			t.Errorf("stall reported after %s, the call's timeout is 1.5s", took)
		}
	})

	t.Run("busy child is not stalled", func(t *testing.T) {
		out, _, err := run(busy, 700*time.Millisecond, context.Background())
		if err != nil || strings.TrimSpace(out) != `"done"` {
			t.Fatalf("busy child: %q, %v", out, err)
		}
	})
}

func TestStallWindow(t *testing.T) {
	t.Parallel()
	if got := stallWindow(context.Background(), 0); got != DefaultCallStall {
		t.Errorf("default window %s", got)
	}
	if got := stallWindow(context.Background(), -1); got != 0 {
		t.Errorf("disabled window %s", got)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if got := stallWindow(ctx, time.Hour); got > 8*time.Second || got < 7*time.Second {
		t.Errorf("window under a 10s deadline: %s, want about 8s", got)
	}
	if got := stallWindow(ctx, time.Second); got != time.Second {
		t.Errorf("short window under a long deadline: %s", got)
	}
}

// argDigests: a directory argument's digest is the sha256sum manifest of
// its regular files without pinline's run records; a file argument's is
// the file's; secrets and values that name nothing get none.
func TestCallArgDigests(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	writeTree(t, root, map[string]string{"data/in.txt": "inside\n", "main.go": "package main\n",
		".pinline/runs/r1/run.json": "{}", "secret.txt": "s3cret"})
	if err := os.Symlink("/etc/passwd", filepath.Join(root, "data", "link")); err != nil {
		t.Fatal(err)
	}
	c := &spec.Call{Function: "f", Args: []string{"--src", ".", "--in=data/in.txt", "--name", "nothing-here", "--token", "file:secret.txt", "--sub", "data"}}
	digests := func() []string {
		rc := callRecord(&callModule{rel: "."}, c)
		if err := argDigests(context.Background(), root, filepath.Join(root, ".pinline", "runs"), c, rc); err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, a := range rc.Args {
			out = append(out, a.Digest)
		}
		return out
	}
	manifest := "sha256:" + sha256Hex([]byte(sha256Hex([]byte("inside\n"))+"  data/in.txt\n"+sha256Hex([]byte("package main\n"))+"  main.go\n"+sha256Hex([]byte("s3cret"))+"  secret.txt\n"))
	want := []string{manifest, "sha256:" + sha256Hex([]byte("inside\n")), "", "", "sha256:" + sha256Hex([]byte(sha256Hex([]byte("inside\n"))+"  in.txt\n"))}
	if got := digests(); !slices.Equal(got, want) {
		t.Fatalf("digests\n got %q\nwant %q", got, want)
	}
	// The run's own records change while it runs: not part of the digest.
	writeTree(t, root, map[string]string{".pinline/runs/r2/run.json": "{\"status\":\"running\"}"})
	if got := digests(); got[0] != manifest {
		t.Errorf("a new run record changed the directory digest")
	}
	writeTree(t, root, map[string]string{"data/in.txt": "changed\n"})
	if got := digests(); got[0] == manifest || got[1] == want[1] {
		t.Errorf("a changed file did not change the digests: %q", got)
	}
}

// The hostile call cases (a module and a directory reached through a
// symlink out of the repository, a parent directory) are denied together,
// each once with its argument named; a waiver of the call rules, in the
// repository's policy data or the operator's, is refused (bad input), so
// it never turns them into an allowed run.
func TestCallRulesNotWaivable(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	if err := os.Symlink("/etc", filepath.Join(root, "out")); err != nil {
		t.Fatal(err)
	}
	sp := &spec.Spec{Path: filepath.Join(root, "pinline.yaml"), Tasks: []spec.Task{{Name: "c",
		Call: &spec.Call{Module: "out", Function: "f", Args: []string{"--src", "ci/../..", "--cfg=out/ssl"}, Pos: spec.Pos{Line: 4, Column: 5}}}}}
	in := GateInput{Root: root, Spec: sp, Tier: "local", Backend: BackendDagger}
	d, err := PolicyGate{}.Evaluate(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if d.Allow || len(d.Violations) != 3 {
		t.Fatalf("allow %v, violations %+v; want 3", d.Allow, d.Violations)
	}
	for i, what := range []string{`module "out"`, "argument --src=ci/../..", "argument --cfg=out/ssl"} {
		n := 0
		for _, v := range d.Violations {
			if strings.Contains(v.Message, what) {
				n++
				if v.RuleID != RuleCallPath || v.Pos.File != "pinline.yaml" || v.Pos.Line != 4 {
					t.Errorf("finding %d: %+v, want %s at pinline.yaml:4", i, v, RuleCallPath)
				}
			}
		}
		if n != 1 {
			t.Errorf("%d findings name %s, want 1: %+v", n, what, d.Violations)
		}
	}
	exp := time.Now().AddDate(0, 0, 30).Format(time.DateOnly)
	waivers := "waivers:\n  - {rule: " + RuleCallPath + ", path: \"**\", reason: x, expires: " + exp + "}\n  - {rule: " + RuleCallHost + ", path: \"**\", reason: x, expires: " + exp + "}\n"
	if err := os.MkdirAll(filepath.Join(root, ".pinline"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, ".pinline", "policy.yaml"), []byte(waivers), 0o644); err != nil {
		t.Fatal(err)
	}
	operator := filepath.Join(t.TempDir(), "policy-data.yaml")
	if err := os.WriteFile(operator, []byte(waivers), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		g    PolicyGate
		tier string
	}{
		{"repository waiver, tier local", PolicyGate{}, "local"},
		{"operator waiver, tier trusted", PolicyGate{ConfigFile: operator}, "trusted"},
	} {
		in := in
		in.Tier = tc.tier
		d, err := tc.g.Evaluate(context.Background(), in)
		if err == nil || !strings.Contains(err.Error(), "not waivable") {
			t.Errorf("%s: decision %+v, error %v; want the waiver refused as not waivable", tc.name, d, err)
		}
		if code, _ := errclass.Code(err); code != 2 {
			t.Errorf("%s: %v is exit %d, want 2", tc.name, err, code)
		}
	}
}
