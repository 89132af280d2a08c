package policy

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"
)

func TestUserPolicyDeniesAndWarns(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e, err := Load(ctx, Options{UserDirs: []string{"testdata/user/deny"}})
	if err != nil {
		t.Fatal(err)
	}
	inv := cleanInventory()
	d, err := e.Evaluate(ctx, BuildInput(inv, InputOptions{Tier: "local"}), EvalOptions{Now: now(t)})
	if err != nil {
		t.Fatal(err)
	}
	if d.Allow || len(d.Violations) != 1 || d.Violations[0].RuleID != "TEAM001" || d.Violations[0].Pos.Line != 4 ||
		d.Violations[0].Source != "data.pinline.user.team" {
		t.Fatalf("violations = %+v", d.Violations)
	}
	if len(d.Warnings) != 0 {
		t.Fatalf("warnings = %+v", d.Warnings)
	}
	inv.Specs[0].Spec.Name = ""
	inv.Images[0].Registry = "ghcr.io"
	d, err = e.Evaluate(ctx, BuildInput(inv, InputOptions{Tier: "local"}), EvalOptions{Now: now(t)})
	if err != nil {
		t.Fatal(err)
	}
	if !d.Allow || len(d.Warnings) != 1 || d.Warnings[0].RuleID != "user.team" {
		t.Fatalf("decision = %+v", d)
	}
	def := loadDefault(t)
	if def.BundleDigest() == e.BundleDigest() {
		t.Error("user policy did not change the bundle digest")
	}
}

func TestLoadFailsClosed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		opts     Options
		file     string
		line     int
		contains string
	}{
		{name: "undefined function", opts: Options{UserDirs: []string{"testdata/user/broken"}}, file: "testdata/user/broken/bad.rego", line: 4},
		{name: "user may not extend the gate", opts: Options{UserDirs: []string{"testdata/user/gate"}}, file: "testdata/user/gate/override.rego", line: 1},
		{name: "missing dir", opts: Options{UserDirs: []string{"testdata/nope"}}, file: "testdata/nope"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Load(context.Background(), tc.opts)
			var ce *CompileError
			var pe *ParseError
			switch {
			case errors.As(err, &ce):
				if ce.File != tc.file || ce.Line != tc.line {
					t.Fatalf("error at %s:%d, want %s:%d: %v", ce.File, ce.Line, tc.file, tc.line, err)
				}
			case errors.As(err, &pe):
				if pe.File != tc.file {
					t.Fatalf("error names %s, want %s: %v", pe.File, tc.file, err)
				}
			default:
				t.Fatalf("Load error = %v (%T), want CompileError or ParseError", err, err)
			}
		})
	}
}

func TestParseErrorInUserRego(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.WriteFile(dir+"/x.rego", []byte("package pinline.user.x\n\ndeny contains msg if {\n\tmsg := \n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(context.Background(), Options{UserDirs: []string{dir}})
	var ce *CompileError
	if !errors.As(err, &ce) || ce.File != dir+"/x.rego" || ce.Line == 0 {
		t.Fatalf("err = %v", err)
	}
}

func TestEvalErrorIsNotAllow(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e, err := Load(ctx, Options{UserDirs: []string{"testdata/user/evalerr"}})
	if err != nil {
		t.Fatal(err)
	}
	d, err := e.Evaluate(ctx, BuildInput(cleanInventory(), InputOptions{Tier: "local"}), EvalOptions{Now: now(t)})
	var ee *EvalError
	if !errors.As(err, &ee) || d != nil {
		t.Fatalf("decision %+v, err %v: want EvalError and no decision", d, err)
	}
}

func TestUndefinedDecisionIsNotAllow(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e, err := Load(ctx, Options{Bundle: os.DirFS("testdata/undefined")})
	if err != nil {
		t.Fatal(err)
	}
	d, err := e.Evaluate(ctx, BuildInput(cleanInventory(), InputOptions{Tier: "local"}), EvalOptions{Now: now(t)})
	if !errors.Is(err, ErrUndefined) || d != nil {
		t.Fatalf("decision %+v, err %v: want ErrUndefined", d, err)
	}
}

func TestWaivers(t *testing.T) {
	t.Parallel()
	e := loadDefault(t)
	inv := cleanInventory()
	inv.Images[0].Digest = ""
	inv.Modules[0].Dependencies[0].Pin = ""
	in := BuildInput(inv, InputOptions{Tier: "local"})
	cfg, err := ParseConfig(ConfigPath, []byte(`
waivers:
  - rule: PL006
    path: "*.yaml"
    reason: vendor image, SEC-12
    expires: 2026-12-31
  - rule: PL001
    match: acme/lint
    reason: pending upstream tag
    expires: "2026-05-31"
`))
	if err != nil {
		t.Fatal(err)
	}
	d, err := e.Evaluate(context.Background(), in, EvalOptions{Waivers: cfg.Waivers, Now: now(t)})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Waived) != 1 || d.Waived[0].RuleID != "PL006" || d.Waived[0].Waiver.Reason != "vendor image, SEC-12" {
		t.Errorf("waived = %+v", d.Waived)
	}
	var ids []string
	for _, v := range d.Violations {
		ids = append(ids, v.RuleID)
	}
	// The expired PL001 waiver does not apply and is a deny of its own.
	if d.Allow || len(ids) != 2 || ids[0] != "PL014" || ids[1] != "PL001" {
		t.Fatalf("violations = %v", d.Violations)
	}
	if p := d.Violations[0].Pos; p.File != ConfigPath || p.Line != 7 {
		t.Errorf("expired waiver position = %+v", p)
	}
	// On the last valid day the date-only waiver still applies.
	last := time.Date(2026, 5, 31, 23, 59, 0, 0, time.UTC)
	d, err = e.Evaluate(context.Background(), in, EvalOptions{Waivers: cfg.Waivers, Now: last})
	if err != nil {
		t.Fatal(err)
	}
	if !d.Allow || len(d.Waived) != 2 {
		t.Fatalf("on expiry day: %+v", d)
	}
}

func TestWaiverPathForms(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pattern, file string
		want          bool
	}{
		{"ci/", "ci/pinline.yaml", true},
		{"ci/**", "ci/a/b/dagger.json", true},
		{"ci/*.yaml", "ci/pinline.yaml", true},
		{"ci/*.yaml", "ci/a/pinline.yaml", false},
		{"dagger.json", "sub/dagger.json", false},
		{"dagger.json", "dagger.json", true},
	}
	for _, tc := range tests {
		if got := pathMatches(tc.pattern, tc.file); got != tc.want {
			t.Errorf("pathMatches(%q, %q) = %v, want %v", tc.pattern, tc.file, got, tc.want)
		}
	}
}
