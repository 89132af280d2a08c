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
		{"no allow is deny", `{"violations":[]}`, PolicyInfo{Source: "decision.json", InputSHA256: "aa", BundleSHA256: "bb"},
			[]string{`decision.json: no "allow" field; treated as deny`, "decision.json and run.json disagree on allow"}},
		{"policy.Decision", `{"allow":false,"violations":[{"ruleId":"PL001","severity":"deny","message":"m","pos":{"file":"dagger.json","line":2,"column":3},"source":"default"}],
			"waived":[{"ruleId":"PL002","message":"w","pos":{"file":"f"},"waiver":{"rule":"PL002","reason":"r","expires":"2026-12-01"}}],
			"inputDigest":"sha256:cc","bundleDigest":"sha256:dd"}`,
			PolicyInfo{Source: "decision.json", InputSHA256: "cc", BundleSHA256: "dd", WaivedCount: 1,
				Violations: []Finding{{RuleID: "PL001", Severity: "deny", Message: "m", File: "dagger.json", Line: 2, Column: 3}},
				Waived:     []Finding{{RuleID: "PL002", Message: "w", File: "f", Expires: "2026-12-01", Reason: "r"}}},
			[]string{"decision.json and run.json disagree on allow"}},
		{"older pinline run (waived count)", `{"allow":true,"violations":[],"warnings":[{"rule":"pinline.exec.image_digest","message":"m","file":"pinline.yaml","line":4}],"waived":3,"gates":["builtin"]}`,
			PolicyInfo{Source: "decision.json", Allow: true, InputSHA256: "aa", BundleSHA256: "bb", WaivedCount: 3,
				Warnings: []Finding{{RuleID: "pinline.exec.image_digest", Message: "m", File: "pinline.yaml", Line: 4}}}, nil},
		{"allow with violations", `{"allow":true,"violations":[{"ruleId":"X","message":"m"}]}`,
			PolicyInfo{Source: "decision.json", Allow: true, InputSHA256: "aa", BundleSHA256: "bb", Violations: []Finding{{RuleID: "X", Message: "m"}}},
			[]string{"decision.json allows with unwaived violations"}},
		{"bad waived", `{"allow":true,"waived":"lots"}`, PolicyInfo{Source: "decision.json", Allow: true, InputSHA256: "aa", BundleSHA256: "bb"},
			[]string{`decision.json: waived: want a list of findings or a count, got "lots"`}},
		{"corrupt", "{\n \"allow\": tru\n}", PolicyInfo{Source: "none", Allow: true, InputSHA256: "aa", BundleSHA256: "bb", WaivedCount: 2},
			[]string{"decision.json: line 2, column 14: invalid character '\\n' in literal true (expecting 'e')"}},
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
