package policy

import (
	"context"
	"strings"
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

// The call rules (PL030, PL031) are not waivable: a waiver of every path
// leaves each problem of a call denied, once, naming its argument; Check
// refuses such a waiver outright (CheckWaivers).
func TestCallRulesIgnoreWaivers(t *testing.T) {
	t.Parallel()
	cfg, err := ParseConfig("policy.yaml", []byte(`waivers:
  - {rule: PL030, path: "**", reason: x, expires: 2026-12-31}
  - {rule: PL031, path: "**", reason: x, expires: 2026-12-31}
`))
	if err != nil {
		t.Fatal(err)
	}
	e := loadDefault(t)
	if err := e.CheckWaivers(cfg.Waivers); err == nil {
		t.Error("CheckWaivers accepted a waiver of PL030")
	}
	call := InCall{Pos: Pos{File: "pinline.yaml", Line: 3, Column: 5}, Task: "c", FromSpec: true, Module: "ci", ModuleOutside: "path escapes the repository",
		Args: []InCallArg{
			{Name: "src", Arg: "--src=../..", Reaches: "path", Outside: "path escapes the repository: resolves to /"},
			{Name: "docker", Arg: "--docker=unix:///var/run/docker.sock", Reaches: "socket"},
			{Name: "token", Arg: "--token=***", Secret: true, Reaches: "path", Outside: "path escapes the repository: resolves to /etc/shadow"},
			{Arg: "export", Reaches: "write"},
			{Name: "name", Arg: "--name=x", Reaches: "path"},
		}}
	d, err := e.Evaluate(context.Background(), BuildInput(cleanInventory(), InputOptions{Tier: "trusted", Run: &RunInfo{Backend: "dagger", Calls: []InCall{call}}}),
		EvalOptions{Waivers: cfg.Waivers, Now: now(t)})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{ // one finding per problem, by what it names
		`module "ci"`:                              "PL030",
		"argument --src=../..":                     "PL030",
		"argument --docker=unix://":                "PL031",
		"argument --token=*** reads a host secret": "PL031", // the repository's secret outside local: PL031 only
		`argument "export" would write`:            "PL030",
	}
	if d.Allow || len(d.Waived) != 0 || len(d.Violations) != len(want) {
		t.Fatalf("allow %v, waived %+v, violations %+v; want %d violations", d.Allow, d.Waived, d.Violations, len(want))
	}
	for what, rule := range want {
		n := 0
		for _, v := range d.Violations {
			if strings.Contains(v.Message, what) {
				n++
				if v.RuleID != rule || v.Pos.File != "pinline.yaml" || v.Pos.Line != 3 {
					t.Errorf("%s: %+v, want %s at pinline.yaml:3", what, v, rule)
				}
			}
		}
		if n != 1 {
			t.Errorf("%d findings name %s, want 1: %+v", n, what, d.Violations)
		}
	}
}
