package pipeline

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/pinline/pinline/policy"
	"github.com/pinline/pinline/record"
)

// fixedGate answers with a fixed decision.
type fixedGate struct{ d *Decision }

func (g fixedGate) Evaluate(context.Context, GateInput) (*Decision, error) { return g.d, nil }

func TestGatesMergeFullDecision(t *testing.T) {
	t.Parallel()
	w := policy.WaivedFinding{Finding: policy.Finding{RuleID: "PL001", Severity: policy.SeverityDeny, Message: "m"},
		Waiver: policy.Waiver{Rule: "PL001", Reason: "r", Expires: "2999-01-01"}}
	warn := policy.Finding{RuleID: "PL009", Severity: policy.SeverityWarn, Message: "w"}
	pol := &Decision{Allow: true, Gates: []string{"policy"}, InputDigest: "sha256:aa", BundleDigest: "sha256:bb",
		Violations: []policy.Finding{}, Warnings: []policy.Finding{warn}, Waived: []policy.WaivedFinding{w}}
	tests := []struct {
		name  string
		gates Gates
		allow bool
		ref   record.DecisionRef
	}{
		{"policy only", Gates{fixedGate{pol}}, true,
			record.DecisionRef{Allow: true, Warnings: 1, Waived: 1, InputSHA256: "aa", BundleSHA256: "bb"}},
		{"one gate denies, waivers kept", Gates{fixedGate{&Decision{Violations: []policy.Finding{{RuleID: "PL013", Severity: policy.SeverityDeny}},
			Warnings: []policy.Finding{}, Waived: []policy.WaivedFinding{}}}, fixedGate{pol}}, false,
			record.DecisionRef{Violations: 1, Warnings: 1, Waived: 1, InputSHA256: "aa", BundleSHA256: "bb"}},
		// A gate that says allow with a violation is a deny (fail closed).
		{"allow with a violation", Gates{fixedGate{&Decision{Allow: true, Violations: []policy.Finding{warn}}}}, false,
			record.DecisionRef{Violations: 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			in := GateInput{Spec: testSpec(task("a")), Tier: "ci", Backend: BackendHost}
			d, err := tc.gates.Evaluate(context.Background(), in)
			if err != nil {
				t.Fatal(err)
			}
			if d.Allow != tc.allow {
				t.Errorf("allow = %v, want %v", d.Allow, tc.allow)
			}
			if diff := cmp.Diff([]policy.WaivedFinding{w}, d.Waived, cmpopts.IgnoreUnexported(policy.Waiver{}), cmpopts.EquateEmpty()); diff != "" && tc.ref.Waived == 1 {
				t.Errorf("waived (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.ref, d.Ref()); diff != "" {
				t.Errorf("run.json summary (-want +got):\n%s", diff)
			}
			if d.Violations == nil || d.Warnings == nil || d.Waived == nil {
				t.Error("lists must never be null in decision.json")
			}
		})
	}
}
