package policy

import (
	"context"
	"errors"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
	"github.com/open-policy-agent/opa/v1/ast"

	imono "github.com/pinline/pinline/internal/monorepo"
	"github.com/pinline/pinline/inventory"
)

func TestSplitDecision(t *testing.T) {
	t.Parallel()
	const rules = "\ndeny contains 1 if true\nwarn contains 2 if true\n"
	tests := []struct {
		name string
		src  string // modules of package pinline.gate, one per element
		more string // a second module
		want bool
	}{
		{"exact", `decision := {"deny": deny, "warn": warn}`, "", true},
		{"keys in the other order", `decision := {"warn": warn, "deny": deny}`, "", true},
		{"conditional", `decision := {"deny": deny, "warn": warn} if input.x`, "", false},
		{"never", `decision := {"deny": deny, "warn": warn} if false`, "", false},
		{"swapped", `decision := {"deny": warn, "warn": deny}`, "", false},
		{"extra key", `decision := {"deny": deny, "warn": warn, "x": 1}`, "", false},
		{"missing key", `decision := {"deny": deny}`, "", false},
		{"other values", `decision := {"deny": set(), "warn": warn}`, "", false},
		{"default", "default decision := {\"deny\": set(), \"warn\": set()}\ndecision := {\"deny\": deny, \"warn\": warn}", "", false},
		{"else", "decision := {\"deny\": deny, \"warn\": warn} if input.x\nelse := {\"deny\": deny, \"warn\": warn}", "", false},
		{"ref head", `decision.deny := deny`, "", false},
		{"second definition in another file", `decision := {"deny": deny, "warn": warn}`,
			"package pinline.gate\ndecision := {\"deny\": deny, \"warn\": warn} if false", false},
		{"import that could rebind warn", "import data.other as warn\ndecision := {\"deny\": deny, \"warn\": warn}", "", false},
		{"package below the gate", `decision := {"deny": deny, "warn": warn}`, "package pinline.gate.decision\nx := 1", false},
		{"no decision", `y := 1`, "", false},
	}
	for _, tt := range tests {
		mods := map[string]*ast.Module{}
		src := "package pinline.gate\n" + tt.src
		if tt.src != `y := 1` {
			src += rules
		}
		m, err := ast.ParseModuleWithOpts("a.rego", src, ast.ParserOptions{RegoVersion: ast.RegoV1})
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		mods["a.rego"] = m
		if tt.more != "" {
			if mods["b.rego"], err = ast.ParseModuleWithOpts("b.rego", tt.more, ast.ParserOptions{RegoVersion: ast.RegoV1}); err != nil {
				t.Fatalf("%s: %v", tt.name, err)
			}
		}
		if got := splitDecision(mods); got != tt.want {
			t.Errorf("%s: splitDecision = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestSplitMatchesDecisionQuery evaluates the embedded policies both ways,
// the decision as one query and as two concurrent halves, on repositories
// with every kind of finding, with user policies and waivers.
func TestSplitMatchesDecisionQuery(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	mono := t.TempDir()
	if err := imono.Generate(mono, imono.Options{Modules: 40, SourceFiles: 120}); err != nil {
		t.Fatal(err)
	}
	var invs []*inventory.Inventory
	for _, root := range []string{"../testdata/repos/clean", "../testdata/repos/unpinned", mono} {
		inv, err := inventory.Collect(ctx, inventory.Options{Root: root})
		if err != nil {
			t.Fatal(err)
		}
		invs = append(invs, inv)
	}
	cfg, err := ParseConfig(ConfigPath, []byte("moduleAllowlist: [github.com/dagger/]\nregistryAllowlist: [docker.io/library]\n"+
		"waivers:\n  - {rule: PL001, path: \"**/dagger.json\", reason: r, expires: 2099-01-01}\n  - {rule: PL005, path: \"**\", reason: r, expires: 2000-01-01}\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, opts := range []Options{{}, {UserDirs: []string{"testdata/user/deny"}}} {
		split, err := Load(ctx, opts)
		if err != nil {
			t.Fatal(err)
		}
		one, err := load(ctx, opts, false)
		if err != nil {
			t.Fatal(err)
		}
		if !split.split || one.split {
			t.Fatalf("split = %v and %v, want the embedded bundle split and the other not", split.split, one.split)
		}
		for i, inv := range invs {
			for _, c := range []*Config{nil, cfg} {
				in := BuildInput(inv, InputOptions{Tier: "trusted", Run: &RunInfo{Backend: "host"}, Config: c})
				eo := EvalOptions{Now: now(t)}
				if c != nil {
					eo.Waivers = c.Waivers
				}
				want, err := one.Evaluate(ctx, in, eo)
				if err != nil {
					t.Fatal(err)
				}
				got, err := split.Evaluate(ctx, in, eo)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(want, got, cmp.AllowUnexported(Waiver{})); diff != "" {
					t.Errorf("inventory %d, user %v, config %v: split decision differs (-one query +split):\n%s", i, opts.UserDirs, c != nil, diff)
				}
				if len(want.Violations) == 0 && i > 0 {
					t.Errorf("inventory %d: no violations; the comparison proves little", i)
				}
			}
		}
	}
}

// TestSplitEvalErrors: an evaluation error in either half is an
// *EvalError, never a decision.
func TestSplitEvalErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, half := range []string{"deny", "warn"} {
		bundle := fstest.MapFS{"gate.rego": {Data: []byte("package pinline.gate\n" +
			"decision := {\"deny\": deny, \"warn\": warn}\n" +
			"deny contains 1 if true\nwarn contains 2 if true\n" +
			half + " contains x if { x := 1 / count(input.modules) }\n")}}
		e, err := Load(ctx, Options{Bundle: bundle})
		if err != nil {
			t.Fatal(err)
		}
		if !e.split {
			t.Fatal("test bundle not split")
		}
		d, err := e.Evaluate(ctx, BuildInput(&inventory.Inventory{}, InputOptions{}), EvalOptions{Now: now(t)})
		var ee *EvalError
		if !errors.As(err, &ee) || d != nil {
			t.Errorf("%s: decision %+v, err %v: want EvalError", half, d, err)
		}
	}
}
