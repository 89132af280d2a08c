package policy

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// hostileCase is the part of testdata/hostile/<case>/hostile.yaml that the
// gate alone decides (the suite harness also runs each case through run and
// the gateway).
type hostileCase struct {
	Untrusted, Local struct {
		Exit  int    `yaml:"exit"`
		Rule  string `yaml:"rule"`
		Error string `yaml:"error"`
	}
}

// TestHostilePolicyCases runs the policy-* and waiver-* repositories of
// the hostile suite through Check in both tiers, without the harness: in
// tier untrusted the repository's own policy data is never applied (and is
// reported as PL020); in tier local it is applied, and bad policy data is
// a positioned error.
func TestHostilePolicyCases(t *testing.T) {
	t.Parallel()
	dirs, _ := filepath.Glob("../testdata/hostile/policy-*")
	more, _ := filepath.Glob("../testdata/hostile/waiver-*")
	dirs = append(dirs, more...)
	if len(dirs) < 4 {
		t.Fatalf("found %d policy/waiver cases", len(dirs))
	}
	// The evaluation time is the wall clock, as in the CLI: the cap is
	// relative to it.
	at := time.Now()
	for _, dir := range dirs {
		raw, err := os.ReadFile(filepath.Join(dir, "hostile.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		var hc hostileCase
		if err := yaml.Unmarshal(raw, &hc); err != nil {
			t.Fatalf("%s: %v", dir, err)
		}
		t.Run(filepath.Base(dir), func(t *testing.T) {
			t.Parallel()
			for _, tc := range []struct {
				tier              string
				exit              int
				rule, errContains string
			}{
				{"untrusted", hc.Untrusted.Exit, hc.Untrusted.Rule, hc.Untrusted.Error},
				{"local", hc.Local.Exit, hc.Local.Rule, hc.Local.Error},
			} {
				res, err := Check(context.Background(), CheckOptions{Root: dir, Tier: tc.tier, Now: at})
				switch tc.exit {
				case 0, 1:
					if err != nil {
						t.Fatalf("tier %s: %v", tc.tier, err)
					}
					d := res.Decision
					if d.Allow != (tc.exit == 0) || (tc.rule != "" && !hasRule(d.Violations, tc.rule)) {
						t.Errorf("tier %s: allow %v, violations %v; want exit %d with %s", tc.tier, d.Allow, ids(d.Violations), tc.exit, tc.rule)
					}
					if tc.tier != TierLocal {
						if len(d.Waived) != 0 {
							t.Errorf("tier %s: repository waivers applied: %+v", tc.tier, d.Waived)
						}
						if !hasRule(d.Warnings, RuleRepoPolicyIgnored) {
							t.Errorf("tier %s: no %s notice in %v", tc.tier, RuleRepoPolicyIgnored, ids(d.Warnings))
						}
					}
				case 2:
					var pe *ParseError
					if !errors.As(err, &pe) || !strings.Contains(err.Error(), tc.errContains) {
						t.Errorf("tier %s: err = %v, want a ParseError containing %q", tc.tier, err, tc.errContains)
					}
				default:
					t.Fatalf("unknown exit %d", tc.exit)
				}
			}
		})
	}
}

func hasRule(fs []Finding, id string) bool {
	return slices.ContainsFunc(fs, func(f Finding) bool { return f.RuleID == id })
}

func ids(fs []Finding) []string {
	out := make([]string, 0, len(fs))
	for _, f := range fs {
		out = append(out, f.RuleID)
	}
	return out
}

// Outside tier local the operator's policy data applies only from outside
// the repository, also when the path reaches the repository through a
// symlink.
func TestOperatorPolicyData(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	repo := "../testdata/hostile/policy-repo-waiver"
	op := filepath.Join(t.TempDir(), "operator.yaml")
	if err := os.WriteFile(op, []byte("waivers:\n  - {rule: PL001, ref: \"github.com/attacker/daggerverse/tool@main\", reason: reviewed, expires: 2026-07-31}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	res, err := Check(ctx, CheckOptions{Root: repo, Tier: "untrusted", ConfigFile: op, Now: now(t)})
	if err != nil {
		t.Fatal(err)
	}
	if d := res.Decision; !d.Allow || len(d.Waived) != 1 || d.Waived[0].Waiver.Pos.File != filepath.ToSlash(op) || !hasRule(d.Warnings, RuleRepoPolicyIgnored) {
		t.Errorf("operator waiver: %+v", d)
	}

	// The repository's own file named as --policy-data, directly or
	// through a link outside the repository that points back in.
	link := filepath.Join(t.TempDir(), "policy.yaml")
	abs, _ := filepath.Abs(filepath.Join(repo, ConfigPath))
	if err := os.Symlink(abs, link); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{filepath.Join(repo, ConfigPath), link} {
		_, err := Check(ctx, CheckOptions{Root: repo, Tier: "untrusted", ConfigFile: f, Now: now(t)})
		var pe *ParseError
		if !errors.As(err, &pe) || !strings.Contains(pe.Msg, "inside the repository") {
			t.Errorf("--policy-data %s: %v, want inside-the-repository error", f, err)
		}
	}
	// Tier local may name any file.
	if _, err := Check(ctx, CheckOptions{Root: repo, Tier: TierLocal, ConfigFile: op, Now: now(t)}); err != nil {
		t.Errorf("tier local with operator data: %v", err)
	}
}

// Policies read the time from input.evaluation, which Check sets from Now.
func TestEvaluationTimeInInput(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 7, 1, 12, 0, 0, 5, time.UTC)
	res, err := Check(context.Background(), CheckOptions{Root: "../testdata/repos/clean", Now: at})
	if err != nil {
		t.Fatal(err)
	}
	if ev := res.Input.Evaluation; ev.Time != "2026-07-01T12:00:00Z" || ev.TimeNs != at.UnixNano() {
		t.Errorf("evaluation = %+v", ev)
	}
}

// In tier local the repository's policy data is read through os.Root: a
// .pinline that links out of the repository is never read through; with
// nothing behind the link there is simply no policy data.
func TestRepoPolicyDataLinkedOut(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	outside := t.TempDir()
	repo := t.TempDir()
	if err := os.WriteFile(filepath.Join(repo, "dagger.json"), []byte(`{"name": "x", "engineVersion": "v0.19.10", "sdk": "go"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(repo, ".pinline")); err != nil {
		t.Fatal(err)
	}
	if _, err := Check(ctx, CheckOptions{Root: repo, Tier: TierLocal, Now: now(t)}); err != nil {
		t.Errorf("nothing behind the link: %v", err)
	}
	if err := os.WriteFile(filepath.Join(outside, "policy.yaml"), []byte("waivers: []\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Check(ctx, CheckOptions{Root: repo, Tier: TierLocal, Now: now(t)})
	var pe *ParseError
	if !errors.As(err, &pe) || pe.File != ConfigPath {
		t.Errorf("policy data behind a link out of the repository: %v, want a ParseError", err)
	}
}
