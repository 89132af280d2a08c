package policy

import (
	"context"
	"testing"

	"github.com/pinline/pinline/spec"
)

// A waiver naming a non-waivable rule (PL015) never suppresses it, however
// broad; the same waiver still applies to a waivable rule.
func TestNonWaivableRuleIgnoresWaivers(t *testing.T) {
	t.Parallel()
	cfg, err := ParseConfig("policy.yaml", []byte(`waivers:
  - {rule: PL015, path: "**", reason: x, expires: 2026-12-31}
  - {rule: PL010, path: "**", reason: x, expires: 2026-12-31}
`))
	if err != nil {
		t.Fatal(err)
	}
	inv := cleanInventory()
	sec := &inv.Specs[0].Spec.Tasks[0].Secrets[0]
	sec.From, sec.Value = spec.SecretSource{Command: []string{"id"}}, "literal"
	d, err := loadDefault(t).Evaluate(context.Background(), BuildInput(inv, InputOptions{Tier: "untrusted"}),
		EvalOptions{Waivers: cfg.Waivers, Now: now(t)})
	if err != nil {
		t.Fatal(err)
	}
	if d.Allow || len(d.Violations) != 1 || d.Violations[0].RuleID != "PL015" {
		t.Fatalf("violations = %+v, want exactly PL015", d.Violations)
	}
	if len(d.Waived) != 1 || d.Waived[0].RuleID != "PL010" {
		t.Fatalf("waived = %+v, want PL010 only", d.Waived)
	}
}
