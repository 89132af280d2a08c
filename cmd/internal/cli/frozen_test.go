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

// frozenRepo writes a repository whose pinline.yaml runs busybox (by
// digest) and that holds a Go module in ci/ whose source pulls
// alpine:3.20 by tag, waived PL006 in .pinline/policy.yaml: the gate
// allows it, but Dagger 1.0 would resolve the tag and write a
// container.from entry to dagger.lock.
func frozenRepo(t *testing.T, busybox, sock string) (spec, eng string) {
	t.Helper()
	y := fmt.Sprintf("version: 1\nname: frozen\nimages:\n  bb: %s\ntasks:\n  hello:\n    image: bb\n    run: [echo, frozen, %d]\n",
		busybox, time.Now().UnixNano())
	spec, eng = writeRepo(t, y, sock)
	root := filepath.Dir(spec)
	writeFile(t, filepath.Join(root, "ci/dagger.json"), `{"name": "ci", "engineVersion": "v0.19.10", "sdk": {"source": "go"}}`+"\n")
	writeFile(t, filepath.Join(root, "ci/main.go"), "package main\n\ntype Ci struct{}\n\n"+
		"func (m *Ci) Base() *dagger.Container {\n\treturn dag.Container().From(\"alpine:3.20\")\n}\n")
	writeFile(t, filepath.Join(root, ".pinline/policy.yaml"), fmt.Sprintf(`waivers:
  - rule: PL006
    path: ci/main.go
    ref: alpine:3.20
    reason: the frozen test needs an allowed image without a digest
    expires: %s
`, time.Now().UTC().AddDate(0, 0, 30).Format("2006-01-02")))
	return spec, eng
}

// TestRunFrozenEngine: `pinline run --frozen` on the default engine. A
// lookup dagger.lock does not hold is denied before the engine (exit 1,
// PL028 at ci/main.go:6:30, record denied, nothing ran); without
// --frozen the same repository runs; once dagger.lock holds the entry,
// --frozen runs too, and the lock check after the run finds nothing
// added (no PL026; the v0.19.10 engine writes no dagger.lock — the
// added-entry path is TestLockAfterRun in pipeline).
func TestRunFrozenEngine(t *testing.T) {
	sock, cli, busybox := needEngine(t)
	spec, eng := frozenRepo(t, busybox, sock)
	root := filepath.Dir(spec)
	env := map[string]string{EnvDaggerCLI.Name: cli}
	run := func(args ...string) (int, string, string) {
		return runCLICtx(context.Background(), env, append([]string{"run", "-f", spec, "--engine-config", eng}, args...)...)
	}

	before := runDirs(t, root)
	code, out, errOut := run("--frozen")
	if code != ExitDenied || !strings.Contains(out, `ci/main.go:6:30: --frozen: go image "alpine:3.20" has no digest`) ||
		!strings.Contains(out, "[PL028]") {
		t.Fatalf("--frozen without a lock entry: exit %d\n%s\n%s", code, out, errOut)
	}
	_, rec := newRun(t, root, before)
	if rec.Status != record.StatusDenied || rec.Engine.Version != "" || rec.Tasks[0].Status == record.StatusSucceeded {
		t.Errorf("denied run record: status %s engine %+v tasks %+v", rec.Status, rec.Engine, rec.Tasks)
	}

	if code, out, errOut := run(); code != 0 || strings.Contains(out+errOut, "PL028") {
		t.Fatalf("without --frozen: exit %d\n%s\n%s", code, out, errOut)
	}

	d := "sha256:" + strings.Repeat("a", 64)
	writeFile(t, filepath.Join(root, "dagger.lock"), "[[\"version\",\"2\"]]\n[\"\",\"container.from\",[\"alpine:3.20\",\"linux/amd64\"],\""+d+"\"]\n")
	before = runDirs(t, root)
	code, out, errOut = run("--frozen")
	if code != 0 || strings.Contains(out+errOut, "PL02") {
		t.Fatalf("--frozen with the entry in dagger.lock: exit %d\n%s\n%s", code, out, errOut)
	}
	dir, rec := newRun(t, root, before)
	dec, err := record.ReadDecision(dir)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Status != record.StatusSucceeded || rec.Engine.Version == "" || len(dec.Violations) != 0 {
		t.Errorf("frozen run: status %s engine %+v decision %+v", rec.Status, rec.Engine, dec)
	}
	if _, err := os.Stat(filepath.Join(dir, record.SBOMFile)); err != nil {
		t.Errorf("frozen run without lock changes has no SBOM: %v", err)
	}
}

// TestRunFrozenAddedEntries: the lock check after `pinline run` through
// the CLI: a task that adds a dagger.lock entry (the host backend, tier
// local, stands in for a Dagger 1.0 engine writing its lookups) is
// reported as a PL026 warning with file:line, and with --frozen denied
// (exit 1) with the finding printed.
func TestRunFrozenAddedEntries(t *testing.T) {
	t.Parallel()
	d := "sha256:" + strings.Repeat("a", 64)
	entry := `["","container.from",["alpine:3.21","linux/amd64"],"` + d + `"]`
	y := "version: 1\nname: t\nimages:\n  bb: " + pinnedBusybox + "\ndefaultImage: bb\ntasks:\n  a:\n    sh: |\n      echo '" + entry + "' >> dagger.lock\n"
	for _, frozen := range []bool{false, true} {
		spec, eng := writeRepo(t, y, "/nonexistent/pinline-test/engine.sock")
		writeFile(t, filepath.Join(filepath.Dir(spec), "dagger.lock"), "[[\"version\",\"2\"]]\n")
		args := []string{"run", "-f", spec, "--engine-config", eng, "--backend", "host"}
		if frozen {
			args = append(args, "--frozen")
		}
		code, out, errOut := runCLICtx(context.Background(), nil, args...)
		want, where := 0, errOut
		if frozen {
			want, where = ExitDenied, out
		}
		if code != want || !strings.Contains(where, `dagger.lock:2:1: the run added dagger.lock container.from entry alpine:3.21 linux/amd64`) ||
			!strings.Contains(where, "PL026") {
			t.Errorf("frozen=%v: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", frozen, code, want, out, errOut)
		}
	}
}

// TestRunUserConfigOverrides: the gate of `pinline run` (and call, which
// builds the same gate) reads the user-level Dagger config as check does:
// a workspace override there is refused outside tier local before the
// engine (exit 1, PL025), and allowed in tier local.
func TestRunUserConfigOverrides(t *testing.T) {
	t.Parallel()
	y := "version: 1\nname: t\nimages:\n  bb: " + pinnedBusybox + "\ndefaultImage: bb\ntasks:\n  a:\n    run: [\"true\"]\n"
	spec, eng := writeRepo(t, y, "/nonexistent/pinline-test/engine.sock")
	pin := strings.Repeat("ab", 20)
	writeFile(t, filepath.Join(filepath.Dir(spec), "dagger.toml"), "[modules.lint]\nsource = \"github.com/acme/lint@v1.0.0\"\npin = \""+pin+"\"\n")
	home := t.TempDir()
	writeFile(t, filepath.Join(home, ".config", "dagger", "config.toml"), "[workspaces.\"github.com/acme/app\".modules.lint]\nsource = \"github.com/evil/lint@main\"\n")
	env := map[string]string{"HOME": home, EnvDaggerCLI.Name: "/bin/true"}
	code, out, errOut := runCLIEnv(t, env, "run", "-f", spec, "--engine-config", eng, "--tier", "trusted")
	if code != ExitDenied || !strings.Contains(out, "PL025") || !strings.Contains(out, `overrides module "lint"`) {
		t.Errorf("tier trusted: exit %d, want %d with PL025\n%s%s", code, ExitDenied, out, errOut)
	}
	before := runDirs(t, filepath.Dir(spec))
	code, out, errOut = runCLIEnv(t, env, "run", "-f", spec, "--engine-config", eng, "--backend", "host")
	if code != ExitOK {
		t.Errorf("tier local: exit %d, want 0\n%s%s", code, out, errOut)
	}
	_, rec := newRun(t, filepath.Dir(spec), before)
	if rec.Decision.Warnings == 0 {
		t.Errorf("tier local: no PL025 warning recorded: %+v", rec.Decision)
	}
}

// runDirs lists the run directories under root.
func runDirs(t *testing.T, root string) map[string]bool {
	t.Helper()
	dirs, _ := filepath.Glob(filepath.Join(root, ".pinline", "runs", "*"))
	m := map[string]bool{}
	for _, d := range dirs {
		m[d] = true
	}
	return m
}

// newRun reads the one run record that is not in before (lastRun sorts by
// run id, which is not ordered within one second).
func newRun(t *testing.T, root string, before map[string]bool) (string, *record.Run) {
	t.Helper()
	for d := range runDirs(t, root) {
		if !before[d] {
			b, err := os.ReadFile(filepath.Join(d, record.RunFile))
			if err != nil {
				t.Fatal(err)
			}
			var rec record.Run
			if err := json.Unmarshal(b, &rec); err != nil {
				t.Fatal(err)
			}
			return d, &rec
		}
	}
	t.Fatal("no new run record")
	return "", nil
}
