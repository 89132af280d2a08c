package pipeline

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pinline/pinline/inventory"
	"github.com/pinline/pinline/record"
	"github.com/pinline/pinline/spec"
)

type failingSBOM struct{}

func (failingSBOM) WriteSBOM(context.Context, *record.Run, string, *inventory.Inventory, io.Writer) error {
	return errors.New("sbom writer broke")
}

type failingAttester struct{}

func (failingAttester) Attest(context.Context, *record.Run, string) (*Provenance, error) {
	return nil, errors.New("signer broke")
}

// hostSpec is a one-task pipeline for the host backend that exports a file.
func hostSpec(t *testing.T, root string) *spec.Spec {
	t.Helper()
	p := filepath.Join(root, "host.yaml") // the in-memory spec is the one that runs
	if err := os.WriteFile(p, []byte("# host\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := testSpec(spec.Task{Name: "make", Mounts: []spec.Mount{{Source: ".", Target: "/src"}}, Workdir: "/src",
		Sh: "mkdir -p out && echo built > out/x", Outputs: []spec.Output{{Path: "/src/out/x"}}})
	s.Path = p
	return s
}

// TestEvidenceFailureFailsTheRun: a run that was asked for evidence and
// could not produce it is not a success, and no provenance file exists.
func TestEvidenceFailureFailsTheRun(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		sbom SBOMWriter
		att  Attester
	}{
		{"sbom fails", failingSBOM{}, &recordingAttester{}},
		{"signing fails", nil, failingAttester{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			root := t.TempDir()
			res, err := Run(context.Background(), Options{Spec: hostSpec(t, root), Root: root, Tier: "local",
				Backend: BackendHost, Gate: PolicyGate{}, SBOM: tc.sbom, Attester: tc.att})
			if !errors.Is(err, ErrEvidence) {
				t.Fatalf("err = %v, want ErrEvidence", err)
			}
			r := readRun(t, res.Dir)
			if r.Status != record.StatusFailed || r.Evidence.Signed {
				t.Errorf("status %s signed %v", r.Status, r.Evidence.Signed)
			}
			if _, err := os.Stat(filepath.Join(res.Dir, record.ProvenanceFile)); !os.IsNotExist(err) {
				t.Error("provenance file exists")
			}
			if a, ok := tc.att.(*recordingAttester); ok && a.calls != 0 {
				t.Error("attester called after the SBOM failed")
			}
		})
	}
}

// TestHostBackendRecordsAndSigns: the host backend runs, exports and
// records "host"; a succeeded run is attested with its outputs.
func TestHostBackendRecordsAndSigns(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	att := &recordingAttester{}
	res, err := Run(context.Background(), Options{Spec: hostSpec(t, root), Root: root, Tier: "local",
		Backend: BackendHost, Gate: PolicyGate{}, Attester: att})
	if err != nil {
		t.Fatal(err)
	}
	r := readRun(t, res.Dir)
	if r.Engine.Backend != BackendHost || r.Status != record.StatusSucceeded || len(r.Outputs) != 1 || !r.Evidence.Signed || att.calls != 1 {
		t.Fatalf("record %+v, attester calls %d", r, att.calls)
	}
	if b, err := os.ReadFile(filepath.Join(res.Dir, r.Outputs[0].File)); err != nil || string(b) != "built\n" {
		t.Errorf("output %q %v", b, err)
	}
}

// A host-backend task (tier local) prints its environment: pinline's
// HostEnv holds the key password, pinline's variables and cloud
// credentials, and none of them reaches the task or its log.
func TestHostTaskNeverSeesSigningMaterial(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	s := hostSpec(t, root)
	s.Tasks[0].Sh, s.Tasks[0].Outputs = "env", nil
	host := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + root, "COSIGN_PASSWORD=cosign-canary",
		"PINLINE_TIER=pinline-canary", "AWS_SECRET_ACCESS_KEY=aws-canary", "VAULT_TOKEN=vault-canary", "KEEP_ME=visible"}
	res, err := Run(context.Background(), Options{Spec: s, Root: root, Tier: "local", Backend: BackendHost,
		Gate: PolicyGate{}, HostEnv: host})
	if err != nil {
		t.Fatal(err)
	}
	log := readLog(t, res.Dir, "make")
	if !strings.Contains(log, "KEEP_ME=visible") {
		t.Fatalf("the task did not print its environment:\n%s", log)
	}
	for _, c := range []string{"cosign-canary", "pinline-canary", "aws-canary", "vault-canary"} {
		if strings.Contains(log, c) {
			t.Errorf("%s reached the host task", c)
		}
	}
}
