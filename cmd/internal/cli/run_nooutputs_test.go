package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/pinline/pinline/record"
)

// A run with --key and no outputs gets signed provenance whose subject is
// its run.json (docs/buildtype.md), exits 0, and verifies against run.json.
func TestRunSignedWithoutOutputs(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	specPath := filepath.Join(dir, "pinline.yaml")
	if err := os.WriteFile(specPath, []byte("version: 1\nname: nooutputs\ntasks:\n  check:\n    image: busybox@sha256:0000000000000000000000000000000000000000000000000000000000000000\n    run: [\"true\"]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"COSIGN_PASSWORD": "test-password"}
	prefix := filepath.Join(t.TempDir(), "cosign")
	if code, out, errOut := runCLICtx(context.Background(), env, "keys", "generate", "--output-key-prefix", prefix); code != 0 {
		t.Fatalf("keys generate: %d %s %s", code, out, errOut)
	}
	code, out, errOut := runCLICtx(context.Background(), env, "run", "-f", specPath, "--backend", "host", "--tier", "local", "--key", prefix+".key")
	if code != 0 {
		t.Fatalf("run: exit %d\n%s\n%s", code, out, errOut)
	}
	runs, _ := filepath.Glob(filepath.Join(dir, ".pinline", "runs", "*"))
	if len(runs) != 1 {
		t.Fatalf("runs %v", runs)
	}
	runJSON := filepath.Join(runs[0], record.RunFile)
	var r record.Run
	b, _ := os.ReadFile(runJSON)
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	if r.Status != record.StatusSucceeded || !r.Evidence.Signed || r.Evidence.Provenance != record.ProvenanceFile || len(r.Outputs) != 0 {
		t.Fatalf("record: status %s, evidence %+v, outputs %d", r.Status, r.Evidence, len(r.Outputs))
	}
	att := filepath.Join(runs[0], record.ProvenanceFile)
	if code, out, errOut := runCLICtx(context.Background(), env, "verify", "--key", prefix+".pub", "--attestation", att, "--artifact", runJSON); code != 0 {
		t.Fatalf("verify run.json: exit %d\n%s\n%s", code, out, errOut)
	}
	// run.json is the subject: one changed byte and it no longer verifies.
	tampered := filepath.Join(t.TempDir(), record.RunFile)
	if err := os.WriteFile(tampered, append(b, ' '), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, _ := runCLICtx(context.Background(), env, "verify", "--key", prefix+".pub", "--attestation", att, "--artifact", tampered); code != ExitDenied {
		t.Fatalf("verify of a changed run.json: exit %d, want %d", code, ExitDenied)
	}
}
