package pipeline

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pinline/pinline/record"
	"github.com/pinline/pinline/spec"
)

const testRemote = "https://git.example.test/org/app.git"

func pushSpec() *spec.Spec {
	tk := task("release")
	tk.Workdir = "/src"
	tk.Push = &spec.Push{Remote: testRemote, Branch: "main", Pos: spec.Pos{Line: 7, Column: 5}}
	return testSpec(tk)
}

func secretsFile(t *testing.T, body string) *spec.SecretsFile {
	t.Helper()
	f, err := spec.ParseSecretsFile("/etc/pinline/secrets.yaml", []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestPolicyGateServicesAndPush: service images follow the digest rules
// of task images (PL021, any tier), and outside tier local a push goes
// only to a remote on the operator's list (PL016).
func TestPolicyGateServicesAndPush(t *testing.T) {
	t.Parallel()
	tagged := testSpec(task("a"))
	tagged.Services = map[string]spec.Service{"web": {Name: "web", Image: "127.0.0.1:5000/pinline/busybox:1.37", Pos: spec.Pos{Line: 5, Column: 3}}}
	tagged.Tasks[0].Services = []spec.Binding{{Name: "web"}}
	pinned := testSpec(task("a"))
	pinned.Services = map[string]spec.Service{"web": {Name: "web", Image: "bb"}}
	pinned.Tasks[0].Services = []spec.Binding{{Name: "web"}}
	tests := []struct {
		name    string
		s       *spec.Spec
		tier    string
		remotes []string
		rules   []string
	}{
		{"service image by tag outside local", tagged, "ci", nil, []string{"PL021"}},
		{"service image by tag in local", tagged, "local", nil, []string{"PL021"}},
		{"service image by name", pinned, "ci", nil, nil},
		{"push without operator list", pushSpec(), "release", nil, []string{"PL016"}},
		{"push to another remote", pushSpec(), "release", []string{"https://git.example.test/org/other.git"}, []string{"PL016"}},
		{"push under a prefix", pushSpec(), "release", []string{"https://git.example.test/org/"}, nil},
		{"push in local", pushSpec(), "local", nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			root := t.TempDir()
			s := *tc.s
			s.Path = filepath.Join(root, "ci", "build.yaml")
			d, err := Gates{PolicyGate{}}.Evaluate(context.Background(), GateInput{Root: root, Spec: &s, Tier: tc.tier, Backend: BackendDagger, PushRemotes: tc.remotes})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, v := range d.Violations {
				got = append(got, v.RuleID)
				if v.Pos.File != "ci/build.yaml" || v.Pos.Line == 0 {
					t.Errorf("finding %s at %+v, want a line of ci/build.yaml", v.RuleID, v.Pos)
				}
			}
			if d.Allow != (len(tc.rules) == 0) || !slices.Equal(got, tc.rules) {
				t.Fatalf("allow %v, violations %v; want %v", d.Allow, got, tc.rules)
			}
		})
	}
}

// TestRunDeniesUnlistedPushBeforeConnecting: outside tier local a push to
// a remote the operator did not list stops the run at the gate; the engine
// (an address nothing listens on) is never dialled.
func TestRunDeniesUnlistedPushBeforeConnecting(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	s := pushSpec()
	s.Path = filepath.Join(root, "e2e.yaml") // not parsed by the repository walk
	if err := os.WriteFile(s.Path, []byte("# stub\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), Options{Spec: s, Root: root, Tier: "release", Backend: BackendDagger,
		Engine: Engine{Address: "unix://" + filepath.Join(root, "no-engine.sock")}, Gate: PolicyGate{},
		Secrets: secretsFile(t, "version: 1\ntiers: {release: {}}\nremotes:\n  release:\n    - url: https://git.example.test/org/other.git\n")})
	if !errors.Is(err, ErrDenied) {
		t.Fatalf("err = %v, want ErrDenied", err)
	}
	if res == nil || res.Record.Status != record.StatusDenied || len(res.Record.Tasks) != 1 || res.Record.Tasks[0].Status != record.StatusSkipped {
		t.Fatalf("record = %+v", res.Record)
	}
	b, _ := os.ReadFile(filepath.Join(res.Dir, record.DecisionFile))
	if !strings.Contains(string(b), "PL016") {
		t.Errorf("decision.json does not name PL016:\n%s", b)
	}
}

// TestResolvePushes: the executor's own check (outside local, listed
// remotes only), the credential read from the operator's source for the
// tier and redacted, never chosen by the spec.
func TestResolvePushes(t *testing.T) {
	t.Parallel()
	f := secretsFile(t, `version: 1
tiers:
  release:
    git-push: {env: RELEASE_GIT_TOKEN}
remotes:
  release:
    - {url: "https://git.example.test/org/", credential: git-push, username: bot}
  local:
    - {url: "https://git.example.test/org/app.git"}
`)
	env := func(k string) (string, bool) {
		return map[string]string{"RELEASE_GIT_TOKEN": "s3cr3t-token"}[k], k == "RELEASE_GIT_TOKEN"
	}
	ctx := context.Background()
	p, err := newPlan(pushSpec(), nil)
	if err != nil {
		t.Fatal(err)
	}
	red := &redactor{}
	got, err := resolvePushes(ctx, &Options{Spec: pushSpec(), Tier: "release", Secrets: f, LookupEnv: env}, p, red)
	if err != nil {
		t.Fatal(err)
	}
	pt := got["release"]
	if pt.password != "s3cr3t-token" || pt.entry.Username != "bot" || pt.dir != "/src" || pt.push.Ref() != "refs/heads/main" {
		t.Errorf("push target = %+v", pt)
	}
	if red.scrub("token s3cr3t-token") != "token ***" {
		t.Error("the credential is not redacted")
	}
	// Another tier without the remote: denied; tier local: no credential.
	if _, err := resolvePushes(ctx, &Options{Spec: pushSpec(), Tier: "ci", Secrets: f, LookupEnv: env}, p, &redactor{}); !errors.Is(err, ErrDenied) {
		t.Errorf("tier ci: err = %v, want ErrDenied", err)
	}
	got, err = resolvePushes(ctx, &Options{Spec: pushSpec(), Tier: "local", LookupEnv: env}, p, &redactor{})
	if err != nil || got["release"].password != "" {
		t.Errorf("tier local: %+v, %v", got, err)
	}
	// A credential that is not a secret of its tier is bad operator input.
	if _, err := spec.ParseSecretsFile("s.yaml", []byte("version: 1\ntiers: {ci: {t: {env: X}}}\nremotes:\n  release:\n    - {url: \"https://h/r.git\", credential: t}\n")); err == nil ||
		!strings.Contains(err.Error(), `s.yaml:5:7: remote https://h/r.git: credential "t" is not a secret of tier release`) {
		t.Errorf("credential of another tier: %v", err)
	}
	if _, err := spec.ParseSecretsFile("s.yaml", []byte("version: 1\nremotes:\n  release:\n    - {url: \"https://u:p@h/r.git\"}\n")); err == nil ||
		!strings.Contains(err.Error(), "must not carry credentials") {
		t.Errorf("remote with credentials: %v", err)
	}
}
