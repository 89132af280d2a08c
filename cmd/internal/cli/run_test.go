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

	"github.com/pinline/pinline/internal/sigstoretest"
	"github.com/pinline/pinline/internal/testenv"
	"github.com/pinline/pinline/record"
)

const pinnedBusybox = "127.0.0.1:5123/pinline/busybox@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// writeRepo writes a pinline.yaml (and engine.json pointing at sock) into
// a fresh directory and returns the spec path and the engine.json path.
func writeRepo(t testing.TB, specYAML, sock string) (string, string) {
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
	}{
		{"malformed spec", broken, nil, ExitUsage, "pinline.yaml:"},
		{"unknown task", good, []string{"nope"}, ExitUsage, `unknown task "nope"`},
		{"bad backend", good, []string{"--backend", "vm"}, ExitUsage, "unknown backend"},
		{"denied by the gate", unpinned, nil, ExitDenied, "not pinned by digest"},
		{"host backend outside local", good, []string{"--backend", "host", "--tier", "ci"}, ExitDenied, "PL013"},
		{"unreachable engine", good, nil, ExitOperational, "engine error"},
		{"missing signing key", good, []string{"--key", "/nonexistent/cosign.key"}, ExitUsage, "cannot load key"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			spec, eng := writeRepo(t, tc.spec, "/nonexistent/pinline-test/engine.sock")
			args := append([]string{"run", "-f", spec, "--engine-config", eng}, tc.args...)
			code, out, errOut := runCLICtx(context.Background(), map[string]string{"PINLINE_DAGGER_CLI": "/nonexistent/dagger"}, args...)
			if code != tc.wantCode {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.wantCode, out, errOut)
			}
			if !strings.Contains(out+errOut, tc.wantOut) {
				t.Errorf("output lacks %q\nstdout: %s\nstderr: %s", tc.wantOut, out, errOut)
			}
		})
	}
}

// BenchmarkRunDenied times `pinline run` of a spec the gate denies (an
// unpinned image): the answer comes before any engine is dialled. Timings
// live here, not in TestRunExitCodes.
func BenchmarkRunDenied(b *testing.B) {
	unpinned := "version: 1\nname: t\nimages:\n  bb: busybox:latest\ndefaultImage: bb\ntasks:\n  a:\n    run: [\"true\"]\n"
	spec, eng := writeRepo(b, unpinned, "/nonexistent/pinline-test/engine.sock")
	env := map[string]string{"PINLINE_DAGGER_CLI": "/nonexistent/dagger"}
	for b.Loop() {
		if code, out, errOut := runCLICtx(b.Context(), env, "run", "-f", spec, "--engine-config", eng); code != ExitDenied {
			b.Fatalf("exit %d, want %d\n%s\n%s", code, ExitDenied, out, errOut)
		}
	}
}

func TestRunNoEngineConfigured(t *testing.T) {
	t.Parallel()
	spec, _ := writeRepo(t, "version: 1\nname: t\nimages:\n  bb: "+pinnedBusybox+"\ndefaultImage: bb\ntasks:\n  a:\n    run: [\"true\"]\n", "/x")
	code, _, errOut := runCLICtx(context.Background(), nil, "run", "-f", spec)
	if code != ExitUsage || !strings.Contains(errOut, "PINLINE_ENGINE_CONFIG") {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
}

// TestRunOnEngineScrubsSecretsAndListsRuns runs the CLI against the real
// engine: the canary secret must not reach the terminal, the record or the
// logs; `pinline runs` lists the record.
func TestRunOnEngineScrubsSecretsAndListsRuns(t *testing.T) {
	t.Parallel()
	sock, cli, bb := needEngine(t)
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
	code, out, errOut := runCLICtx(context.Background(), env, "run", "-f", spec, "--engine-config", eng)
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
	code, out, _ = runCLICtx(context.Background(), nil, "runs", "--dir", runs, "--json")
	var recs []record.Run
	if code != 0 || json.Unmarshal([]byte(out), &recs) != nil || len(recs) != 1 || recs[0].Status != record.StatusFailed {
		t.Fatalf("runs: exit %d, %s", code, out)
	}
	if strings.Contains(out, canary) {
		t.Error("canary in the run record")
	}
}

// lastField is the last field of the table row whose first field is
// first, or "".
func lastField(table, first string) string {
	for _, line := range strings.Split(table, "\n") {
		if f := strings.Fields(line); len(f) > 1 && f[0] == first {
			return f[len(f)-1]
		}
	}
	return ""
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

// TestRunSignedThenVerify: a succeeded run with --key writes the SBOM and
// signed provenance, and `pinline verify` accepts the exported file against
// it and rejects a tampered copy.
func TestRunSignedThenVerify(t *testing.T) {
	t.Parallel()
	sock, cli, bb := needEngine(t)
	n := fmt.Sprint(time.Now().UnixNano())
	spec, eng := writeRepo(t, `version: 1
name: signed
images:
  bb: `+bb+`
defaultImage: bb
tasks:
  make:
    env: {N: "`+n+`"}
    sh: 'mkdir -p /o && echo "$N" > /o/artifact'
    outputs: [{path: /o/artifact}]
`, sock)
	dir := filepath.Dir(spec)
	env := map[string]string{"PINLINE_DAGGER_CLI": cli, "COSIGN_PASSWORD": "test-password"}
	prefix := filepath.Join(dir, "cosign")
	if code, out, errOut := runCLICtx(context.Background(), env, "keys", "generate", "--output-key-prefix", prefix); code != 0 {
		t.Fatalf("keys generate: %d %s %s", code, out, errOut)
	}
	// The provenance bundle gets an RFC 3161 timestamp from a TSA on
	// 127.0.0.1.
	tsa := sigstoretest.NewTSA(t)
	chain := filepath.Join(dir, "tsa.pem")
	if err := os.WriteFile(chain, tsa.Chain(t), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCLICtx(context.Background(), env, "run", "-f", spec, "--engine-config", eng, "--key", prefix+".key", "--timestamp-server", tsa.URL)
	if code != 0 {
		t.Fatalf("run: exit %d\n%s\n%s", code, out, errOut)
	}
	if got := lastField(out, "make"); got != "ran" {
		t.Errorf("first run: EXEC %q, want ran (a new command)\n%s", got, out)
	}
	runs, err := filepath.Glob(filepath.Join(dir, ".pinline", "runs", "*"))
	if err != nil || len(runs) != 1 {
		t.Fatalf("runs %v %v", runs, err)
	}
	var r record.Run
	b, _ := os.ReadFile(filepath.Join(runs[0], record.RunFile))
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	if !r.Evidence.Signed || r.Evidence.SBOM == "" || r.Evidence.Provenance == "" {
		t.Fatalf("evidence %+v", r.Evidence)
	}
	for _, f := range []string{record.SBOMFile, record.ProvenanceFile, record.BundleFile} {
		if _, err := os.Stat(filepath.Join(runs[0], f)); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	artifact := filepath.Join(runs[0], "outputs", "artifact")
	att := filepath.Join(runs[0], record.ProvenanceFile)
	if code, out, errOut := runCLICtx(context.Background(), env, "verify", "--key", prefix+".pub", "--attestation", att, "--artifact", artifact); code != 0 {
		t.Fatalf("verify: exit %d\n%s\n%s", code, out, errOut)
	}
	bundle := filepath.Join(runs[0], record.BundleFile)
	if code, out, errOut := runCLICtx(context.Background(), env, "verify", "--key", prefix+".pub", "--attestation", bundle, "--artifact", artifact,
		"--timestamp-certificate-chain", chain); code != 0 || !strings.Contains(out, "ok   timestamps") {
		t.Fatalf("verify the timestamped bundle: exit %d\n%s\n%s", code, out, errOut)
	}
	tampered := filepath.Join(dir, "tampered")
	if err := os.WriteFile(tampered, []byte(n+"x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, _ := runCLICtx(context.Background(), env, "verify", "--key", prefix+".pub", "--attestation", att, "--artifact", tampered); code != ExitDenied {
		t.Errorf("verify of a tampered artifact: exit %d, want %d", code, ExitDenied)
	}
	// The SBOM carries SHA-256 and SHA-512 of the output by default, and
	// only SHA-256 with --sbom-sha512=false.
	if got := outputHashAlgs(t, runs[0], "artifact"); got != "SHA-256,SHA-512" {
		t.Errorf("default SBOM output hashes %s, want SHA-256,SHA-512", got)
	}
	code, out, errOut = runCLICtx(context.Background(), env, "run", "-f", spec, "--engine-config", eng, "--sbom-sha512=false")
	if code != 0 {
		t.Fatalf("run --sbom-sha512=false: exit %d\n%s\n%s", code, out, errOut)
	}
	if got := lastField(out, "make"); got != "cached" {
		t.Errorf("second run of the same spec: EXEC %q, want cached\n%s", got, out)
	}
	again, _ := filepath.Glob(filepath.Join(dir, ".pinline", "runs", "*"))
	if len(again) != 2 {
		t.Fatalf("runs after the second run: %v", again)
	}
	second := again[0]
	if second == runs[0] {
		second = again[1]
	}
	if got := outputHashAlgs(t, second, "artifact"); got != "SHA-256" {
		t.Errorf("--sbom-sha512=false SBOM output hashes %s, want SHA-256", got)
	}
}

// outputHashAlgs returns the hash algorithms the run's SBOM gives the
// output component named name, comma separated.
func outputHashAlgs(t *testing.T, runDir, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(runDir, record.SBOMFile))
	if err != nil {
		t.Fatal(err)
	}
	var bom struct {
		Components []struct {
			Name   string
			Hashes []struct{ Alg string }
		}
	}
	if err := json.Unmarshal(b, &bom); err != nil {
		t.Fatal(err)
	}
	for _, c := range bom.Components {
		if c.Name == name {
			var algs []string
			for _, h := range c.Hashes {
				algs = append(algs, h.Alg)
			}
			return strings.Join(algs, ",")
		}
	}
	t.Fatalf("no component %q in %s", name, filepath.Join(runDir, record.SBOMFile))
	return ""
}

// needEngine returns the engine socket, the dagger CLI and the busybox
// image of hack/setup.d/30-engine.sh (skipped without them, failed in CI).
func needEngine(t *testing.T) (sock, cli, busybox string) {
	t.Helper()
	env := testenv.RequireAll(t, "hack/setup.d/30-engine.sh", "PINLINE_ENGINE_SOCK", "PINLINE_DAGGER_CLI", "PINLINE_IMAGE_BUSYBOX")
	return env["PINLINE_ENGINE_SOCK"], env["PINLINE_DAGGER_CLI"], env["PINLINE_IMAGE_BUSYBOX"]
}
