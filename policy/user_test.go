package policy

import (
	"context"
	"errors"
	"os"
	"strings"
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
	// A module-source image (PL006, waivable; a pinline.yaml image would
	// be PL021, which is not).
	inv.Images[0].Origin, inv.Images[0].Digest = "go", ""
	inv.Modules[0].Dependencies[0].Pin = ""
	in := BuildInput(inv, InputOptions{Tier: "local"})
	cfg, err := ParseConfig(ConfigPath, []byte(`
waivers:
  - rule: PL006
    path: "*.yaml"
    reason: vendor image, SEC-12
    expires: 2026-12-31
  - rule: PL001
    ref: github.com/acme/lint@v1.0.0
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
		// "/" boundaries: a prefix of a directory name is not that directory.
		{"ci/legacy/**", "ci/legacy-evil/pinline.yaml", false},
		{"ci/legacy/", "ci/legacy-evil/pinline.yaml", false},
		{"ci/legacy/**", "ci/legacy/pinline.yaml", true},
		{"ci/legacy/**", "ci/legacy", true},
		{"**/dagger.json", "dagger.json", true},
		{"**/dagger.json", "a/b/dagger.json", true},
		{"**/dagger.json", "a/b/dagger.jsonx", false},
		{"a/**/b/*.json", "a/x/y/b/c.json", true},
		{"a/**/b/*.json", "a/b/c.json", true},
		{"a/**/b/*.json", "a/b/c/d.json", false},
		{"*", "a/b", false},
		{"**", "a/b", true},
		{"ci/*", "", false},
	}
	for _, tc := range tests {
		if got := pathMatches(tc.pattern, tc.file); got != tc.want {
			t.Errorf("pathMatches(%q, %q) = %v, want %v", tc.pattern, tc.file, got, tc.want)
		}
	}
}

// A waiver never matches on message text: a look-alike reference that
// contains the waived one stays denied, and only the exact ref is waived.
func TestWaiverRefIsExact(t *testing.T) {
	t.Parallel()
	e := loadDefault(t)
	inv := cleanInventory()
	good := "docker.io/library/golang:1.26"
	evil := "docker.io/library/golang:1.26-evil"
	inv.Images[0].Origin, inv.Images[0].Ref, inv.Images[0].Digest = "go", good, ""
	look := inv.Images[0]
	look.Ref, look.Pos = evil, pos("pinline.yaml", 5)
	inv.Images = append(inv.Images, look)
	cfg, err := ParseConfig("operator.yaml", []byte("waivers:\n  - {rule: PL006, ref: \""+good+"\", reason: vendor, expires: 2026-06-30}\n"))
	if err != nil {
		t.Fatal(err)
	}
	d, err := e.Evaluate(context.Background(), BuildInput(inv, InputOptions{Tier: "untrusted"}), EvalOptions{Waivers: cfg.Waivers, Now: now(t)})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Waived) != 1 || d.Waived[0].Ref != good {
		t.Errorf("waived = %+v, want only %s", d.Waived, good)
	}
	if d.Allow || len(d.Violations) != 1 || d.Violations[0].RuleID != "PL006" || d.Violations[0].Ref != evil {
		t.Errorf("violations = %+v, want PL006 on %s", d.Violations, evil)
	}
}

// Rules the catalog marks not waivable cannot be waived: the waiver is bad
// policy data, and the finding stays even if a waiver slips through.
func TestNotWaivable(t *testing.T) {
	t.Parallel()
	e := loadDefault(t)
	ws := []Waiver{{Rule: RuleExpiredWaiver, Path: "**", Pos: Pos{File: "op.yaml", Line: 3, Column: 5}}}
	var pe *ParseError
	if err := e.CheckWaivers(ws); !errors.As(err, &pe) || pe.Line != 3 || !strings.Contains(pe.Msg, "not waivable") {
		t.Fatalf("CheckWaivers = %v, want a positioned not-waivable error", err)
	}
	notice := Finding{RuleID: RuleRepoPolicyIgnored, Severity: SeverityWarn, Source: "default", Pos: Pos{File: ConfigPath, Line: 1, Column: 1}}
	waiver := Waiver{Rule: RuleRepoPolicyIgnored, Path: "**", until: now(t).AddDate(0, 0, 1)}
	d := &Decision{}
	e.applyWaivers(d, []Finding{notice}, EvalOptions{Waivers: []Waiver{waiver}, Now: now(t)})
	if len(d.Waived) != 0 || len(d.Warnings) != 1 {
		t.Errorf("non-waivable finding waived: %+v", d)
	}
	for _, r := range e.Rules() {
		notWaivable := map[string]bool{"PL010": true, "PL013": true, RuleExpiredWaiver: true, "PL015": true, RuleRepoPolicyIgnored: true, "PL021": true, "PL023": true}
		if want := notWaivable[r.ID]; r.NonWaivable != want && (r.ID <= "PL015" || r.ID >= "PL020" && r.ID <= "PL024") {
			t.Errorf("%s nonWaivable = %v, want %v", r.ID, r.NonWaivable, want)
		}
	}
}

func TestUserBooleanAndObjectForms(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e, err := Load(ctx, Options{UserDirs: []string{"testdata/user/bool"}})
	if err != nil {
		t.Fatal(err)
	}
	d, err := e.Evaluate(ctx, BuildInput(cleanInventory(), InputOptions{Tier: "local"}), EvalOptions{Now: now(t)})
	if err != nil || !d.Allow || len(d.Warnings) != 0 {
		t.Fatalf("tier local: %+v, %v", d, err)
	}
	d, err = e.Evaluate(ctx, BuildInput(cleanInventory(), InputOptions{Tier: "untrusted"}), EvalOptions{Now: now(t)})
	if err != nil {
		t.Fatal(err)
	}
	if d.Allow || len(d.Violations) != 1 || d.Violations[0].RuleID != "user.tiers" ||
		d.Violations[0].Message != "denied by data.pinline.user.tiers" {
		t.Errorf("violations = %+v", d.Violations)
	}
	if len(d.Warnings) != 1 || d.Warnings[0].Message != "object without id or pos" || d.Warnings[0].Pos != (Pos{}) {
		t.Errorf("warnings = %+v", d.Warnings)
	}
}

func TestUserDataErrors(t *testing.T) {
	t.Parallel()
	for name, files := range map[string]map[string]string{
		"malformed":  {"d.yaml": "a: [\n"},
		"not object": {"d.json": "[1, 2]"},
		"duplicate":  {"a.json": `{"x": 1}`, "b.yaml": "x: 2\n"},
		"reserved":   {"a.json": `{"pinline": {"gate": {}}}`},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			for f, body := range files {
				if err := os.WriteFile(dir+"/"+f, []byte(body), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			_, err := Load(context.Background(), Options{UserDirs: []string{dir}})
			var pe *ParseError
			if !errors.As(err, &pe) || !strings.HasPrefix(pe.File, dir+"/") {
				t.Fatalf("err = %v, want ParseError naming a file in %s", err, dir)
			}
		})
	}
}
