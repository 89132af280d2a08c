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
	w := record.WaivedFinding{Finding: record.Finding{RuleID: "PL001", Severity: policy.SeverityDeny, Message: "m"},
		Waiver: record.Waiver{Rule: "PL001", Reason: "r", Expires: "2999-01-01"}}
	warn := record.Finding{RuleID: "PL009", Severity: policy.SeverityWarn, Message: "w"}
	pol := &Decision{Decision: record.Decision{Allow: true, Gates: []string{"policy"}, InputDigest: "sha256:aa", BundleDigest: "sha256:bb",
		Violations: []record.Finding{}, Warnings: []record.Finding{warn}, Waived: []record.WaivedFinding{w}}}
	tests := []struct {
		name  string
		gates Gates
		allow bool
		ref   record.DecisionRef
	}{
		{"policy only", Gates{fixedGate{pol}}, true,
			record.DecisionRef{Allow: true, Warnings: 1, Waived: 1, InputSHA256: "aa", BundleSHA256: "bb"}},
		{"one gate denies, waivers kept", Gates{fixedGate{&Decision{Decision: record.Decision{Violations: []record.Finding{{RuleID: "PL013", Severity: policy.SeverityDeny}},
			Warnings: []record.Finding{}, Waived: []record.WaivedFinding{}}}}, fixedGate{pol}}, false,
			record.DecisionRef{Violations: 1, Warnings: 1, Waived: 1, InputSHA256: "aa", BundleSHA256: "bb"}},
		// A gate that says allow with a violation is a deny (fail closed).
		{"allow with a violation", Gates{fixedGate{&Decision{Decision: record.Decision{Allow: true, Violations: []record.Finding{warn}}}}}, false,
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
			if diff := cmp.Diff([]record.WaivedFinding{w}, d.Waived, cmpopts.EquateEmpty()); diff != "" && tc.ref.Waived == 1 {
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
