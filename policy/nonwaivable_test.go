package policy

import (
	"context"
	"testing"

	"github.com/pinline/pinline/spec"
)

// A waiver naming a non-waivable rule (PL015, PL010) never suppresses it,
// however broad, even when it slips past Check's CheckWaivers; the same
// waiver still applies to a waivable rule (PL001).
func TestNonWaivableRuleIgnoresWaivers(t *testing.T) {
	t.Parallel()
	cfg, err := ParseConfig("policy.yaml", []byte(`waivers:
  - {rule: PL015, path: "**", reason: x, expires: 2026-12-31}
  - {rule: PL010, path: "**", reason: x, expires: 2026-12-31}
  - {rule: PL001, path: "**", reason: x, expires: 2026-12-31}
`))
	if err != nil {
		t.Fatal(err)
	}
	inv := cleanInventory()
	inv.Modules[0].Dependencies[0].Pin = ""
	sec := &inv.Specs[0].Spec.Tasks[0].Secrets[0]
	sec.From, sec.Value = spec.SecretSource{Command: []string{"id"}}, "literal"
	d, err := loadDefault(t).Evaluate(context.Background(), BuildInput(inv, InputOptions{Tier: "untrusted"}),
		EvalOptions{Waivers: cfg.Waivers, Now: now(t)})
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(d.Violations); d.Allow || len(got) != 2 || got[0] != "PL010" || got[1] != "PL015" {
		t.Fatalf("violations = %v, want PL010 and PL015", got)
	}
	if len(d.Waived) != 1 || d.Waived[0].RuleID != "PL001" {
		t.Fatalf("waived = %+v, want PL001 only", d.Waived)
	}
}
