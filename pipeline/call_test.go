package pipeline

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

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
			d, err := CallGate{}.Evaluate(context.Background(), GateInput{Root: root, Spec: sp, Tier: tc.tier, Backend: BackendDagger})
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
	out, _, code, err := b.runCall(context.Background(), &callModule{dir: dir}, &spec.Call{Function: "f"}, "")
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
