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

const pinnedBusybox = "127.0.0.1:5123/pinline/busybox@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// writeRepo writes a pinline.yaml (and engine.json pointing at sock) into
// a fresh directory and returns the spec path and the engine.json path.
func writeRepo(t *testing.T, specYAML, sock string) (string, string) {
	t.Helper()
	dir := t.TempDir()
	spec := filepath.Join(dir, "pinline.yaml")
	if err := os.WriteFile(spec, []byte(specYAML), 0o644); err != nil {
		t.Fatal(err)
	}
	eng := filepath.Join(dir, "engine.json")
	if err := os.WriteFile(eng, []byte(fmt.Sprintf(`{"engine": {"address": "unix://%s"}}`, sock)), 0o644); err != nil {
		t.Fatal(err)
	}
	return spec, eng
}

func TestRunExitCodes(t *testing.T) {
	t.Parallel()
	good := "version: 1\nname: t\nimages:\n  bb: " + pinnedBusybox + "\ndefaultImage: bb\ntasks:\n  a:\n    run: [\"true\"]\n"
	unpinned := "version: 1\nname: t\nimages:\n  bb: busybox:latest\ndefaultImage: bb\ntasks:\n  a:\n    run: [\"true\"]\n"
	broken := "version: 1\nname: t\ntasks:\n  a:\n    run: [\"true\"\n"
	tests := []struct {
		name     string
		spec     string
		args     []string
		wantCode int
		wantOut  string
		max      time.Duration
	}{
		{"malformed spec", broken, nil, ExitUsage, "pinline.yaml:", time.Second},
		{"unknown task", good, []string{"nope"}, ExitUsage, `unknown task "nope"`, time.Second},
		{"bad backend", good, []string{"--backend", "vm"}, ExitUsage, "unknown backend", time.Second},
		{"denied by the gate", unpinned, nil, ExitDenied, "not pinned by digest", time.Second},
		{"host backend outside local", good, []string{"--backend", "host", "--tier", "ci"}, ExitDenied, "pinline.exec.host_backend", time.Second},
		{"unreachable engine", good, nil, ExitOperational, "engine error", 5 * time.Second},
		{"key without signing support", good, []string{"--key", "cosign.key"}, ExitUsage, "--key", time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			spec, eng := writeRepo(t, tc.spec, "/nonexistent/pinline-test/engine.sock")
			args := append([]string{"run", "-f", spec, "--engine-config", eng}, tc.args...)
			start := time.Now()
			code, out, errOut := runCLI(context.Background(), map[string]string{"PINLINE_DAGGER_CLI": "/nonexistent/dagger"}, args...)
			if code != tc.wantCode {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.wantCode, out, errOut)
			}
			if !strings.Contains(out+errOut, tc.wantOut) {
				t.Errorf("output lacks %q\nstdout: %s\nstderr: %s", tc.wantOut, out, errOut)
			}
			if took := time.Since(start); took > tc.max {
				t.Errorf("took %s, want < %s", took, tc.max)
			}
		})
	}
}

func TestRunNoEngineConfigured(t *testing.T) {
	t.Parallel()
	spec, _ := writeRepo(t, "version: 1\nname: t\nimages:\n  bb: "+pinnedBusybox+"\ndefaultImage: bb\ntasks:\n  a:\n    run: [\"true\"]\n", "/x")
	code, _, errOut := runCLI(context.Background(), nil, "run", "-f", spec)
	if code != ExitUsage || !strings.Contains(errOut, "PINLINE_ENGINE_CONFIG") {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
}

// TestRunOnEngineScrubsSecretsAndListsRuns runs the CLI against the real
// engine: the canary secret must not reach the terminal, the record or the
// logs; `pinline runs` lists the record.
func TestRunOnEngineScrubsSecretsAndListsRuns(t *testing.T) {
	t.Parallel()
	sock, cli, bb := os.Getenv("PINLINE_ENGINE_SOCK"), os.Getenv("PINLINE_DAGGER_CLI"), os.Getenv("PINLINE_IMAGE_BUSYBOX")
	if sock == "" || cli == "" || bb == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("CI is set but the engine variables are not (hack/setup.d/30-engine.sh)")
		}
		t.Skip("no engine")
	}
	canary := fmt.Sprintf("canary-%d", time.Now().UnixNano())
	spec, eng := writeRepo(t, `version: 1
name: cli
images:
  bb: `+bb+`
defaultImage: bb
tasks:
  show:
    secrets: [{name: tok, env: TOK, from: {env: PL_TEST_CANARY}}]
    env: {N: "`+canary[7:]+`"}
    sh: 'echo "tok=$TOK"; echo "tok=$TOK" >&2; exit 4'
`, sock)
	env := map[string]string{"PINLINE_DAGGER_CLI": cli, "PL_TEST_CANARY": canary}
	code, out, errOut := runCLI(context.Background(), env, "run", "-f", spec, "--engine-config", eng)
	if code != ExitDenied {
		t.Fatalf("exit %d, want %d (task failed)\n%s\n%s", code, ExitDenied, out, errOut)
	}
	if strings.Contains(out+errOut, canary) {
		t.Errorf("canary on the terminal:\n%s\n%s", out, errOut)
	}
	if !strings.Contains(errOut, "tok=***") || !hasRow(out, "show", "failed", "4") {
		t.Errorf("want the scrubbed log tail and the summary row\nstdout: %s\nstderr: %s", out, errOut)
	}
	runs := filepath.Join(filepath.Dir(spec), ".pinline", "runs")
	code, out, _ = runCLI(context.Background(), nil, "runs", "--dir", runs, "--json")
	var recs []record.Run
	if code != 0 || json.Unmarshal([]byte(out), &recs) != nil || len(recs) != 1 || recs[0].Status != record.StatusFailed {
		t.Fatalf("runs: exit %d, %s", code, out)
	}
	if strings.Contains(out, canary) {
		t.Error("canary in the run record")
	}
}

// hasRow reports whether a line of a table starts with the given fields.
func hasRow(table string, fields ...string) bool {
	for _, line := range strings.Split(table, "\n") {
		f := strings.Fields(line)
		if len(f) >= len(fields) && strings.Join(f[:len(fields)], " ") == strings.Join(fields, " ") {
			return true
		}
	}
	return false
}
