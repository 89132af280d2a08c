package main

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/owenrumney/go-sarif/v2/sarif"
)

// bin is the pinline binary built once by TestMain.
var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "pinline-scenario")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	bin = filepath.Join(dir, "pinline")
	// Both binaries, side by side as installed: pinline execs pinline-full
	// for the commands it does not run itself.
	out, err := exec.Command("go", "build", "-o", dir+string(filepath.Separator), ".", "../pinline-full").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "build pinline: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(3)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type result struct {
	code           int
	stdout, stderr string
}

// pinline runs the built binary in dir with a clean environment.
func pinline(t *testing.T, dir string, args ...string) result {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "NO_COLOR=1"}
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errOut.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run pinline: %v", err)
	}
	return r
}

func repo(name string) string { return filepath.Join("..", "..", "testdata", "repos", name) }

func abs(t *testing.T, p string) string {
	t.Helper()
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// writeRepo creates a repository from name → content.
func writeRepo(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

type jsonOut struct {
	Allow    bool `json:"allow"`
	Failed   bool `json:"failed"`
	Findings []struct {
		RuleID   string `json:"ruleId"`
		Severity string `json:"severity"`
		File     string `json:"file"`
		Line     int    `json:"line"`
		Column   int    `json:"column"`
	} `json:"findings"`
	Waived []struct {
		RuleID string `json:"ruleId"`
		Reason string `json:"reason"`
	} `json:"waived"`
}

func decodeJSON(t *testing.T, s string) jsonOut {
	t.Helper()
	var j jsonOut
	if err := json.Unmarshal([]byte(s), &j); err != nil {
		t.Fatalf("decode JSON report: %v\n%s", err, s)
	}
	return j
}

func (j jsonOut) has(rule, file string, line int) bool {
	for _, f := range j.Findings {
		if f.RuleID == rule && f.File == file && f.Line == line {
			return true
		}
	}
	return false
}

func TestCheckExampleRepos(t *testing.T) {
	t.Parallel()
	tests := []struct {
		repo   string
		code   int
		stdout []string
		stderr []string
	}{
		{repo: "clean", code: 0, stdout: []string{"allowed: 0 violation(s), 0 warning(s)"}},
		{repo: "unpinned", code: 1, stdout: []string{
			"dagger.json\n", "PL001", "pinline.yaml\n", "pinline.yaml:11:9  deny  PL011", "pinline.yaml:14:9  deny  PL010", "denied: "}},
		{repo: "malformed-json", code: 2, stderr: []string{"dagger.json:10:7:"}},
		{repo: "malformed-yaml", code: 2, stderr: []string{"pinline.yaml:6"}},
	}
	for _, tc := range tests {
		t.Run(tc.repo, func(t *testing.T) {
			t.Parallel()
			r := pinline(t, repo(tc.repo), "check")
			if r.code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, tc.code, r.stdout, r.stderr)
			}
			for _, s := range tc.stdout {
				if !strings.Contains(r.stdout, s) {
					t.Errorf("stdout lacks %q:\n%s", s, r.stdout)
				}
			}
			for _, s := range tc.stderr {
				if !strings.Contains(r.stderr, s) {
					t.Errorf("stderr lacks %q:\n%s", s, r.stderr)
				}
			}
			if strings.Contains(r.stderr, "panic") || strings.Contains(r.stderr, "goroutine") {
				t.Errorf("panic:\n%s", r.stderr)
			}
		})
	}
}

func TestCheckFormats(t *testing.T) {
	t.Parallel()
	out := t.TempDir()
	dir := repo("unpinned")
	r := pinline(t, dir, "check", "--format", "json")
	if r.code != 1 {
		t.Fatalf("json: exit %d\n%s", r.code, r.stderr)
	}
	j := decodeJSON(t, r.stdout)
	if j.Allow || !j.Failed || !j.has("PL001", "dagger.json", 8) || !j.has("PL010", "pinline.yaml", 14) || !j.has("PL009", "dagger.lock", 5) {
		t.Errorf("json report misses findings: %+v", j)
	}
	sarifFile := filepath.Join(out, "check.sarif")
	if r := pinline(t, dir, "check", "--format", "sarif", "-o", sarifFile); r.code != 1 || r.stdout != "" {
		t.Fatalf("sarif: exit %d, stdout %q", r.code, r.stdout)
	}
	log, err := sarif.Open(sarifFile)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, res := range log.Runs[0].Results {
		loc := res.Locations[0].PhysicalLocation
		if *res.RuleID == "PL011" && *loc.ArtifactLocation.URI == "pinline.yaml" && *loc.Region.StartLine == 11 && *loc.Region.StartColumn == 9 {
			found = true
		}
	}
	if !found {
		t.Error("SARIF lacks PL011 at pinline.yaml:11:9")
	}
	r = pinline(t, dir, "check", "--format", "junit")
	var suites struct {
		Failures int `xml:"failures,attr"`
	}
	if err := xml.Unmarshal([]byte(r.stdout), &suites); err != nil || r.code != 1 || suites.Failures == 0 {
		t.Errorf("junit: exit %d, err %v, failures %d", r.code, err, suites.Failures)
	}
	if r := pinline(t, dir, "check", "--format", "yaml"); r.code != 2 || !strings.Contains(r.stderr, "valid formats") {
		t.Errorf("bad format: exit %d, %s", r.code, r.stderr)
	}
}

func TestCheckUserPolicies(t *testing.T) {
	t.Parallel()
	pol := func(name string) string { return abs(t, filepath.Join("testdata", "policies", name)) }
	clean := repo("clean")
	r := pinline(t, clean, "check")
	if r.code != 0 {
		t.Fatalf("clean without user policy: exit %d", r.code)
	}
	// The clean repo's module source uses an image outside the mirror.
	r = pinline(t, clean, "check", "--policy", pol("deny"), "--format", "json")
	if r.code != 1 {
		t.Fatalf("user deny: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if j := decodeJSON(t, r.stdout); len(j.Findings) == 0 || j.Findings[0].RuleID != "TEAM001" {
		t.Errorf("user deny findings = %+v", j.Findings)
	}
	r = pinline(t, clean, "check", "--policy", pol("broken"))
	if want := filepath.Join(pol("broken"), "bad.rego") + ":5:"; r.code != 2 || !strings.Contains(r.stderr, want) {
		t.Errorf("broken policy: exit %d, stderr %q, want %q", r.code, r.stderr, want)
	}
	r = pinline(t, clean, "check", "--policy", pol("evalerr"))
	if r.code != 3 || strings.Contains(r.stdout, "allowed") || !strings.Contains(r.stderr, "refusing to allow") {
		t.Errorf("eval error: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	r = pinline(t, clean, "check", "--policy", pol("missing"))
	if r.code != 2 {
		t.Errorf("missing policy dir: exit %d, %s", r.code, r.stderr)
	}
}

const unpinnedDagger = `{
  "name": "w",
  "engineVersion": "v0.19.10",
  "sdk": "go",
  "dependencies": [
    {"name": "lint", "source": "github.com/acme/lint@v1.0.0"}
  ]
}
`

func TestCheckWaivers(t *testing.T) {
	t.Parallel()
	applied := writeRepo(t, map[string]string{
		"dagger.json":          unpinnedDagger,
		".pinline/policy.yaml": "waivers:\n  - rule: PL001\n    path: dagger.json\n    reason: upstream has no tags yet\n    expires: " + inDays(30) + "\n",
	})
	r := pinline(t, applied, "check", "--format", "json")
	j := decodeJSON(t, r.stdout)
	if r.code != 0 || !j.Allow || len(j.Waived) != 1 || j.Waived[0].Reason != "upstream has no tags yet" {
		t.Errorf("applied waiver: exit %d, %+v", r.code, j)
	}
	expired := writeRepo(t, map[string]string{
		"dagger.json":          unpinnedDagger,
		".pinline/policy.yaml": "waivers:\n  - rule: PL001\n    path: dagger.json\n    reason: upstream has no tags yet\n    expires: 2020-01-01\n",
	})
	r = pinline(t, expired, "check", "--format", "json")
	j = decodeJSON(t, r.stdout)
	if r.code != 1 || !j.has("PL014", ".pinline/policy.yaml", 2) || !j.has("PL001", "dagger.json", 6) {
		t.Errorf("expired waiver: exit %d, %+v", r.code, j)
	}
	bad := writeRepo(t, map[string]string{
		"dagger.json":          unpinnedDagger,
		".pinline/policy.yaml": "waivers:\n  - rule: PL001\n    path: dagger.json\n",
	})
	if r := pinline(t, bad, "check"); r.code != 2 || !strings.Contains(r.stderr, ".pinline/policy.yaml:2:5") {
		t.Errorf("waiver without reason: exit %d, %s", r.code, r.stderr)
	}
}

// inDays is the date n days from now (waivers expire at most 90 days after
// the evaluation time).
func inDays(n int) string { return time.Now().AddDate(0, 0, n).Format(time.DateOnly) }

// Outside tier local the repository's own policy data is never applied and
// is reported (PL020) in every output format; the operator's file applies
// only from outside the repository; the expiry cap is the operator's.
func TestCheckPolicyDataTrust(t *testing.T) {
	t.Parallel()
	waiver := "waivers:\n  - rule: PL001\n    path: dagger.json\n    reason: upstream has no tags yet\n    expires: " + inDays(30) + "\n"
	repo := writeRepo(t, map[string]string{"dagger.json": unpinnedDagger, ".pinline/policy.yaml": waiver})
	for _, format := range []string{"text", "json", "sarif", "junit"} {
		r := pinline(t, repo, "check", "--tier", "untrusted", "--format", format)
		if r.code != 1 || !strings.Contains(r.stdout, "PL001") || !strings.Contains(r.stdout, "PL020") ||
			!strings.Contains(r.stdout, "ignored outside tier local") {
			t.Errorf("%s, tier untrusted: exit %d, want 1 with PL001 and the PL020 notice\n%s%s", format, r.code, r.stdout, r.stderr)
		}
	}
	if r := pinline(t, repo, "check", "--tier", "untrusted", "--policy-data", ".pinline/policy.yaml"); r.code != 2 ||
		!strings.Contains(r.stderr, "inside the repository") {
		t.Errorf("--policy-data inside the repository: exit %d, %s", r.code, r.stderr)
	}
	op := filepath.Join(t.TempDir(), "operator.yaml")
	if err := os.WriteFile(op, []byte(waiver), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := pinline(t, repo, "check", "--tier", "untrusted", "--policy-data", op, "--format", "json"); r.code != 0 || len(decodeJSON(t, r.stdout).Waived) != 1 {
		t.Errorf("operator policy data: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := pinline(t, repo, "check", "--waiver-max-age", "7d"); r.code != 2 || !strings.Contains(r.stderr, ".pinline/policy.yaml:2:5") ||
		!strings.Contains(r.stderr, "more than 7d after") {
		t.Errorf("waiver beyond --waiver-max-age: exit %d, %s", r.code, r.stderr)
	}
	if r := pinline(t, repo, "check", "--waiver-max-age", "soon"); r.code != 2 || !strings.Contains(r.stderr, "--waiver-max-age") {
		t.Errorf("bad --waiver-max-age: exit %d, %s", r.code, r.stderr)
	}
}

func TestCheckFailOnWarn(t *testing.T) {
	t.Parallel()
	dir := writeRepo(t, map[string]string{"dagger.json": `{"name": "w", "sdk": "go"}`})
	if r := pinline(t, dir, "check"); r.code != 0 || !strings.Contains(r.stdout, "PL005") {
		t.Errorf("warning only: exit %d\n%s", r.code, r.stdout)
	}
	if r := pinline(t, dir, "check", "--fail-on-warn"); r.code != 1 {
		t.Errorf("--fail-on-warn: exit %d", r.code)
	}
}

func TestPolicyTest(t *testing.T) {
	t.Parallel()
	r := pinline(t, ".", "policy", "test")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "PASS: ") {
		t.Errorf("default bundle: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = pinline(t, ".", "policy", "test", filepath.Join("testdata", "policies", "tests-fail"))
	if r.code != 1 || !strings.Contains(r.stdout, "FAIL data.pinline.user.p_test.test_fails") || !strings.Contains(r.stdout, "PASS: 1/2") {
		t.Errorf("failing user test: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = pinline(t, ".", "policy", "test", filepath.Join("testdata", "policies", "broken"))
	if r.code != 2 || !strings.Contains(r.stderr, "bad.rego:5:") {
		t.Errorf("broken policy: exit %d\n%s", r.code, r.stderr)
	}
}
