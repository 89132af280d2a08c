package pipeline

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pinline/pinline/policy"
	"github.com/pinline/pinline/record"
	"github.com/pinline/pinline/spec"
)

// TestLockAfterRun: a run whose task appends a dagger.lock entry (what
// Dagger 1.0 does for every lookup the lock lacks; the v0.19.10 engine
// here writes no lock, so a host-backend task stands in for it) gets a
// PL026 warning at the added line, or with Frozen is denied: status
// denied, ErrDenied, the finding in decision.json, and no SBOM or
// provenance. A run that leaves the lock alone has no finding.
func TestLockAfterRun(t *testing.T) {
	t.Parallel()
	d := "sha256:" + strings.Repeat("b", 64)
	lock := "[[\"version\",\"2\"]]\n[\"\",\"container.from\",[\"alpine:3.20@" + d + "\",\"linux/amd64\"],\"" + d + "\"]\n"
	added := `["","git.ref",["https://example.test/acme/dep","HEAD"],{"ref":"refs/heads/main","sha":"` + strings.Repeat("1", 40) + `"}]`
	tests := []struct {
		name      string
		sh        string
		frozen    bool
		wantErr   error
		status    string
		warn, vio int
	}{
		{"unchanged", "true", true, nil, record.StatusSucceeded, 0, 0},
		{"added, reported", "echo '" + added + "' >> dagger.lock", false, nil, record.StatusSucceeded, 1, 0},
		{"added, frozen", "echo '" + added + "' >> dagger.lock", true, ErrDenied, record.StatusDenied, 0, 1},
		{"value changed, frozen", "sed -i 's/bbbb/cccc/g' dagger.lock", true, ErrDenied, record.StatusDenied, 0, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			root := t.TempDir()
			if err := os.WriteFile(filepath.Join(root, "dagger.lock"), []byte(lock), 0o644); err != nil {
				t.Fatal(err)
			}
			s := testSpec(spec.Task{Name: "resolve", Mounts: []spec.Mount{{Source: ".", Target: "/src"}}, Workdir: "/src",
				Sh: tc.sh + " && mkdir -p out && echo built > out/x", Outputs: []spec.Output{{Path: "/src/out/x"}}})
			s.Path = filepath.Join(root, "host.yaml")
			if err := os.WriteFile(s.Path, []byte("# host\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			att := &recordingAttester{}
			res, err := Run(context.Background(), Options{Spec: s, Root: root, Tier: "local", Backend: BackendHost,
				Gate: PolicyGate{}, Attester: att, Frozen: tc.frozen})
			if tc.wantErr == nil && err != nil || tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			r := readRun(t, res.Dir)
			if r.Status != tc.status {
				t.Fatalf("status %s, want %s (%s)", r.Status, tc.status, r.Error)
			}
			dec, err := record.ReadDecision(res.Dir)
			if err != nil {
				t.Fatal(err)
			}
			count := func(fs []record.Finding) (n int) {
				for _, f := range fs {
					if f.RuleID == policy.RuleLockAdded {
						n++
						if f.Pos.File != "dagger.lock" || f.Pos.Line < 2 {
							t.Errorf("finding at %+v, want a dagger.lock line", f.Pos)
						}
					}
				}
				return n
			}
			if w, v := count(dec.Warnings), count(dec.Violations); w != tc.warn || v != tc.vio {
				t.Errorf("PL026 warnings %d violations %d, want %d %d: %+v", w, v, tc.warn, tc.vio, dec)
			}
			if r.Decision.Allow == (tc.vio > 0) {
				t.Errorf("record decision %+v", r.Decision)
			}
			if signed := att.calls > 0; signed != (tc.vio == 0) || r.Evidence.Signed != signed {
				t.Errorf("attester calls %d, evidence %+v", att.calls, r.Evidence)
			}
		})
	}
}
