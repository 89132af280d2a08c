package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pinline/pinline/record"
)

// envWorkspace is a dagger.toml whose base configuration is pinned and
// whose ci overlay adds a module pinned to nothing (PL001 at 6:10).
var envWorkspace = "[modules.lint]\nsource = \"github.com/acme/lint@v1.0.0\"\npin = \"" + strings.Repeat("ab", 20) + "\"\n\n" +
	"[env.ci.modules.scanner]\nsource = \"github.com/acme/scanner@v2\"\n"

// TestRunWorkspaceEnv: `pinline run --env NAME` gates with the dagger.toml
// overlay applied, as `pinline check --env` does: the module the ci
// overlay adds is denied before anything runs (exit 1, PL001 at its
// position, decision.json and run.json name the env); without --env the
// base configuration is allowed and the record names no env; an overlay
// no workspace defines is bad input (exit 2).
func TestRunWorkspaceEnv(t *testing.T) {
	t.Parallel()
	y := "version: 1\nname: t\nimages:\n  bb: " + pinnedBusybox + "\ndefaultImage: bb\ntasks:\n  a:\n    run: [\"true\"]\n"
	spec, eng := writeRepo(t, y, "/nonexistent/pinline-test/engine.sock")
	root := filepath.Dir(spec)
	writeFile(t, filepath.Join(root, "dagger.toml"), envWorkspace)
	run := func(args ...string) (int, string, string) {
		return runCLIEnv(t, nil, append([]string{"run", "-f", spec, "--engine-config", eng, "--backend", "host"}, args...)...)
	}

	before := runDirs(t, root)
	code, out, errOut := run("--env", "ci")
	if code != ExitDenied || !strings.Contains(out, "dagger.toml:6:10") || !strings.Contains(out, "PL001") ||
		!strings.Contains(out, "github.com/acme/scanner@v2") {
		t.Fatalf("--env ci: exit %d, want %d with PL001 at dagger.toml:6:10\nstdout:\n%s\nstderr:\n%s", code, ExitDenied, out, errOut)
	}
	dir, rec := newRun(t, root, before)
	if rec.Status != record.StatusDenied || rec.Decision.Env != "ci" || len(rec.Tasks) != 1 || rec.Tasks[0].Status != "skipped" {
		t.Errorf("--env ci record: status %s decision %+v tasks %+v", rec.Status, rec.Decision, rec.Tasks)
	}
	var dec record.Decision
	b, err := os.ReadFile(filepath.Join(dir, record.DecisionFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &dec); err != nil {
		t.Fatal(err)
	}
	if dec.Env != "ci" || len(dec.Violations) != 1 || dec.Violations[0].Pos.Line != 6 {
		t.Errorf("--env ci decision.json: %s", b)
	}

	before = runDirs(t, root)
	if code, out, errOut := run(); code != ExitOK {
		t.Fatalf("no --env: exit %d, want 0\n%s%s", code, out, errOut)
	}
	if _, rec := newRun(t, root, before); rec.Status != record.StatusSucceeded || rec.Decision.Env != "" {
		t.Errorf("no --env record: status %s decision %+v", rec.Status, rec.Decision)
	}

	if code, out, errOut := run("--env", "nope"); code != ExitUsage || !strings.Contains(errOut, `dagger.toml: workspace env "nope" is not defined (defined envs: ci)`) {
		t.Errorf("--env nope: exit %d, want %d\n%s%s", code, ExitUsage, out, errOut)
	}
}

// TestCallWorkspaceEnv: `pinline call --env NAME` builds the same gate: the
// overlay's unpinned module denies the call before it reaches the engine
// (the engine.json names no engine), and the record names the env.
func TestCallWorkspaceEnv(t *testing.T) {
	t.Parallel()
	_, eng := writeRepo(t, "version: 1\nname: unused\ntasks: {}\n", "/nonexistent/pinline-test/engine.sock")
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "dagger.json"), `{"name": "m", "engineVersion": "v0.19.10", "sdk": {"source": "go"}}`+"\n")
	writeFile(t, filepath.Join(root, "main.go"), "package main\n\ntype M struct{}\n\nfunc (m *M) Hello() string { return \"hi\" }\n")
	writeFile(t, filepath.Join(root, "dagger.toml"), envWorkspace)
	env := map[string]string{EnvDaggerCLI.Name: "/bin/true"}
	before := runDirs(t, root)
	code, out, errOut := runCLIEnv(t, env, "call", "--root", root, "--engine-config", eng, "--env", "ci", "hello")
	if code != ExitDenied || !strings.Contains(out+errOut, "dagger.toml:6:10") || !strings.Contains(out+errOut, "PL001") {
		t.Fatalf("call --env ci: exit %d, want %d with PL001 at dagger.toml:6:10\nstdout:\n%s\nstderr:\n%s", code, ExitDenied, out, errOut)
	}
	if _, rec := newRun(t, root, before); rec.Status != record.StatusDenied || rec.Decision.Env != "ci" || rec.Engine.Version != "" {
		t.Errorf("call --env ci record: status %s decision %+v engine %+v", rec.Status, rec.Decision, rec.Engine)
	}
	if code, out, errOut := runCLIEnv(t, env, "call", "--root", root, "--engine-config", eng, "--env", "nope", "hello"); code != ExitUsage ||
		!strings.Contains(errOut, `workspace env "nope" is not defined`) {
		t.Errorf("call --env nope: exit %d, want %d\n%s%s", code, ExitUsage, out, errOut)
	}
}

// TestSBOMWorkspaceEnv: `pinline sbom --env NAME` lists what the overlay
// adds (the SBOM of the configuration the gate checked); without it the
// overlay's module is absent; an undefined overlay is exit 2.
func TestSBOMWorkspaceEnv(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "dagger.toml"), envWorkspace)
	code, out, errOut := runCLI(t, "sbom", "--env", "ci", root)
	if code != ExitOK || !strings.Contains(out, "acme/scanner") || !strings.Contains(out, "acme/lint") {
		t.Errorf("sbom --env ci: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = runCLI(t, "sbom", root)
	if code != ExitOK || strings.Contains(out, "acme/scanner") || !strings.Contains(out, "acme/lint") {
		t.Errorf("sbom: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, errOut := runCLI(t, "sbom", "--env", "nope", root); code != ExitUsage || !strings.Contains(errOut, `workspace env "nope" is not defined`) {
		t.Errorf("sbom --env nope: exit %d\n%s%s", code, out, errOut)
	}
}

// TestRunWorkspaceEnvEngine: `pinline run --env ci` on the default engine.
// An overlay that pins its module lets the run through: the tasks run on
// the engine, run.json and decision.json name the env, and the run's SBOM
// lists the module the overlay added; the unpinned overlay of
// envWorkspace is denied before anything connects.
func TestRunWorkspaceEnvEngine(t *testing.T) {
	sock, cli, busybox := needEngine(t)
	y := fmt.Sprintf("version: 1\nname: envrun\nimages:\n  bb: %s\ntasks:\n  hello:\n    image: bb\n    run: [echo, env, %d]\n", busybox, time.Now().UnixNano())
	spec, eng := writeRepo(t, y, sock)
	root := filepath.Dir(spec)
	env := map[string]string{EnvDaggerCLI.Name: cli}
	run := func(args ...string) (int, string, string) {
		return runCLICtx(context.Background(), env, append([]string{"run", "-f", spec, "--engine-config", eng}, args...)...)
	}
	writeFile(t, filepath.Join(root, "dagger.toml"), envWorkspace)
	before := runDirs(t, root)
	if code, out, errOut := run("--env", "ci"); code != ExitDenied || !strings.Contains(out, "dagger.toml:6:10") {
		t.Fatalf("unpinned overlay: exit %d\n%s%s", code, out, errOut)
	}
	if _, rec := newRun(t, root, before); rec.Status != record.StatusDenied || rec.Engine.Version != "" || rec.Decision.Env != "ci" {
		t.Errorf("denied run: status %s engine %+v decision %+v", rec.Status, rec.Engine, rec.Decision)
	}

	pinned := strings.Replace(envWorkspace, "source = \"github.com/acme/scanner@v2\"\n",
		"source = \"github.com/acme/scanner@v2\"\npin = \""+strings.Repeat("cd", 20)+"\"\n", 1)
	writeFile(t, filepath.Join(root, "dagger.toml"), pinned)
	before = runDirs(t, root)
	if code, out, errOut := run("--env", "ci"); code != ExitOK {
		t.Fatalf("pinned overlay: exit %d\n%s%s", code, out, errOut)
	}
	dir, rec := newRun(t, root, before)
	dec, err := record.ReadDecision(dir)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Status != record.StatusSucceeded || rec.Engine.Version == "" || rec.Decision.Env != "ci" || dec.Env != "ci" {
		t.Errorf("pinned overlay run: status %s engine %+v decision %+v / %+v", rec.Status, rec.Engine, rec.Decision, dec.Env)
	}
	bom, err := os.ReadFile(filepath.Join(dir, record.SBOMFile))
	if err != nil || !strings.Contains(string(bom), "acme/scanner") {
		t.Errorf("run SBOM does not list the overlay's module (%v)", err)
	}
}
