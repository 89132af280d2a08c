package report

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pinline/pinline/record"
)

func TestReadDecision(t *testing.T) {
	t.Parallel()
	ref := record.DecisionRef{Allow: true, Violations: 1, Waived: 2, InputSHA256: "aa", BundleSHA256: "bb"}
	tests := []struct {
		name     string
		file     string // "" = no decision.json
		want     PolicyInfo
		problems []string
	}{
		{"missing falls back to run.json", "", PolicyInfo{Source: "run.json", Allow: true, InputSHA256: "aa", BundleSHA256: "bb", WaivedCount: 2},
			[]string{"decision.json missing; run.json counts 1 violations"}},
		{"as pipeline writes it", `{"allow":false,"violations":[{"ruleId":"PL001","severity":"deny","message":"m","pos":{"file":"dagger.json","line":2,"column":3},"source":"default"}],
			"warnings":[],"waived":[{"ruleId":"PL002","severity":"deny","message":"w","pos":{"file":"f","line":0,"column":0},"source":"default","waiver":{"rule":"PL002","reason":"r","expires":"2026-12-01","pos":{"file":".pinline/policy.yaml","line":2,"column":5}}}],
			"inputDigest":"sha256:cc","bundleDigest":"sha256:dd","gates":["builtin","policy"]}`,
			PolicyInfo{Source: "decision.json", InputSHA256: "cc", BundleSHA256: "dd", WaivedCount: 1,
				Violations: []Finding{{RuleID: "PL001", Severity: "deny", Message: "m", File: "dagger.json", Line: 2, Column: 3}},
				Waived:     []Finding{{RuleID: "PL002", Severity: "deny", Message: "w", File: "f", Expires: "2026-12-01", Reason: "r"}}},
			[]string{"decision.json and run.json disagree on allow"}},
		// Fail closed: a decision that allows with violations is a deny.
		{"allow with violations", `{"allow":true,"violations":[{"ruleId":"X","severity":"deny","message":"m","pos":{"file":"","line":0,"column":0},"source":"default"}],"warnings":[],"waived":[],"inputDigest":"","bundleDigest":"","gates":["policy"]}`,
			PolicyInfo{Source: "decision.json", Allow: false, InputSHA256: "aa", BundleSHA256: "bb", Violations: []Finding{{RuleID: "X", Severity: "deny", Message: "m"}}},
			[]string{"decision.json and run.json disagree on allow", "decision.json allows with unwaived violations; treated as deny"}},
		// Shapes nothing writes are refused, not guessed at.
		{"older shape (waived count)", `{"allow":true,"violations":[],"warnings":[],"waived":3,"gates":["builtin"]}`,
			PolicyInfo{Source: "none", Allow: true, InputSHA256: "aa", BundleSHA256: "bb", WaivedCount: 2},
			[]string{`decision.json: malformed run record: line 1, column 54: member "waived": JSON number where an array is required`}},
		{"unknown member", `{"allow":true,"violations":[],"warnings":[],"waived":[],"verdict":"ok"}`,
			PolicyInfo{Source: "none", Allow: true, InputSHA256: "aa", BundleSHA256: "bb", WaivedCount: 2},
			[]string{`decision.json: malformed run record: line 1, column 72: json: unknown field "verdict"`}},
		{"corrupt", "{\n \"allow\": tru\n}", PolicyInfo{Source: "none", Allow: true, InputSHA256: "aa", BundleSHA256: "bb", WaivedCount: 2},
			[]string{"decision.json: malformed run record: line 2, column 14: invalid character '\\n' in literal true (expecting 'e')"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			if tt.file != "" {
				writeFile(t, filepath.Join(dir, record.DecisionFile), []byte(tt.file))
			}
			var problems []string
			got := readDecision(dir, &record.Run{Decision: ref}, &problems)
			for _, f := range []*[]Finding{&tt.want.Violations, &tt.want.Warnings, &tt.want.Waived} {
				if *f == nil {
					*f = []Finding{}
				}
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("policy (-want +got):\n%s", d)
			}
			if strings.Join(problems, "|") != strings.Join(tt.problems, "|") {
				t.Errorf("problems = %q, want %q", problems, tt.problems)
			}
		})
	}
}
