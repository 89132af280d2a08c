package cli

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"text/template"

	"gopkg.in/yaml.v3"

	"github.com/pinline/pinline/record"
)

// The hostile-repository suite: every directory under testdata/hostile/ is
// a small repository (symlinks committed as symlinks) plus hostile.yaml
// saying what it tries and what each tier must answer (format:
// testdata/hostile/README.md). Every case runs through `check`, through
// `run` on the real engine and through the gateway with a pull-request
// certificate (tier untrusted), and through `check` and `run` in tier
// local. After every invocation the harness proves the absence of side
// effects: victim files unchanged, marker files absent (untrusted), no
// canary (victim content, the key password) in the repository, the run
// directory, the victim directory or the output.
const hostileDir = "../../../testdata/hostile"

type hostileExpect struct {
	Exit int    `yaml:"exit"`
	Rule string `yaml:"rule"`
	// Error is a substring of the error for exit 2 (and any exit when set).
	Error string `yaml:"error"`
	// CheckExit, when set, is what `check` answers instead of Exit: for
	// escapes only the executor can see (an earlier output's symlink).
	CheckExit *int `yaml:"checkExit"`
}

type hostileCase struct {
	Description string        `yaml:"description"`
	Spec        string        `yaml:"spec"`
	Untrusted   hostileExpect `yaml:"untrusted"`
	Local       hostileExpect `yaml:"local"`
	Victims     []string      `yaml:"victims"`
	Markers     []string      `yaml:"markers"`
	// LogContains are (templated) strings the task logs of an allowed run
	// must contain: evidence of what the task saw.
	LogContains []string `yaml:"logContains"`

	name, dir string
}

func loadHostileCases(t *testing.T) []*hostileCase {
	t.Helper()
	entries, err := os.ReadDir(hostileDir)
	if err != nil {
		t.Fatal(err)
	}
	var cases []*hostileCase
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		dir := filepath.Join(hostileDir, e.Name())
		b, err := os.ReadFile(filepath.Join(dir, "hostile.yaml"))
		if err != nil {
			t.Fatalf("%s: %v", e.Name(), err)
		}
		c := &hostileCase{name: e.Name(), dir: dir, Spec: "pinline.yaml"}
		dec := yaml.NewDecoder(bytes.NewReader(b))
		dec.KnownFields(true)
		if err := dec.Decode(c); err != nil {
			t.Fatalf("%s/hostile.yaml: %v", e.Name(), err)
		}
		if c.Description == "" || c.Untrusted.Exit == 1 && c.Untrusted.Rule == "" && c.Untrusted.Error == "" ||
			c.Untrusted.Exit == 2 && c.Untrusted.Error == "" {
			t.Fatalf("%s/hostile.yaml: needs a description and, for exit 1 a rule, for exit 2 an error", e.Name())
		}
		cases = append(cases, c)
	}
	if len(cases) < 10 {
		t.Fatalf("only %d hostile cases found under %s", len(cases), hostileDir)
	}
	return cases
}

// hostileRepo is one fresh copy of a case: base/repo (the repository),
// base/victim (host files outside it), base/home ($HOME).
type hostileRepo struct {
	c                  *hostileCase
	base, repo, victim string
	home               string
	victims            map[string]string // path -> canary content
	markers            []string
	logContains        []string
	cosign             string // canary value of COSIGN_PASSWORD
}

func (c *hostileCase) setup(t *testing.T, busybox string) *hostileRepo {
	t.Helper()
	base := t.TempDir()
	h := &hostileRepo{c: c, base: base, repo: filepath.Join(base, "repo"), victim: filepath.Join(base, "victim"),
		home: filepath.Join(base, "home"), victims: map[string]string{}, cosign: "cosign-canary-" + hexNonce(t)}
	for _, d := range []string{h.victim, h.home} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	data := map[string]string{"Victim": h.victim, "Home": h.home, "Busybox": busybox}
	render := func(s string) string {
		tpl, err := template.New(c.name).Option("missingkey=error").Parse(s)
		if err != nil {
			t.Fatalf("%s: template: %v", c.name, err)
		}
		var b strings.Builder
		if err := tpl.Execute(&b, data); err != nil {
			t.Fatalf("%s: template: %v", c.name, err)
		}
		return b.String()
	}
	err := filepath.WalkDir(c.dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(c.dir, p)
		if rel == "hostile.yaml" {
			return nil
		}
		to := filepath.Join(h.repo, rel)
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(render(target), to)
		case d.IsDir():
			return os.MkdirAll(to, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(to, []byte(render(string(b))), 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range c.Victims {
		p := render(v)
		if !filepath.IsAbs(p) {
			p = filepath.Join(h.victim, p)
		}
		content := "victim-canary-" + hexNonce(t) + "\n"
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		h.victims[p] = content
	}
	for _, m := range c.Markers {
		h.markers = append(h.markers, render(m))
	}
	for _, l := range c.LogContains {
		h.logContains = append(h.logContains, render(l))
	}
	return h
}

func (h *hostileRepo) spec() string { return filepath.Join(h.repo, h.c.Spec) }

func (h *hostileRepo) env(extra map[string]string) map[string]string {
	env := map[string]string{"HOME": h.home, EnvCosignPassword.Name: h.cosign}
	for k, v := range extra {
		env[k] = v
	}
	return env
}

// verify checks the answer of one invocation and its side effects.
func (h *hostileRepo) verify(t *testing.T, what string, want hostileExpect, isCheck, untrusted bool, code int, out, errOut string) {
	t.Helper()
	if code == 0 && !isCheck {
		t.Logf("%s: allowed, output:\n%s%s", what, out, errOut)
		logs, _ := filepath.Glob(filepath.Join(h.repo, ".pinline", "runs", "*", "logs", "*.log"))
		var all []byte
		for _, l := range logs {
			b, _ := os.ReadFile(l)
			all = append(all, b...)
		}
		for _, want := range h.logContains {
			if !bytes.Contains(all, []byte(want)) {
				t.Errorf("%s: task logs lack %q:\n%s", what, want, all)
			}
		}
	}
	wantExit := want.Exit
	if isCheck && want.CheckExit != nil {
		wantExit = *want.CheckExit
	}
	if code != wantExit {
		t.Errorf("%s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", what, code, wantExit, out, errOut)
	}
	if wantExit == want.Exit {
		if want.Rule != "" && code == 1 && !strings.Contains(out+errOut, want.Rule) {
			t.Errorf("%s: rule %s not reported\nstdout:\n%s\nstderr:\n%s", what, want.Rule, out, errOut)
		}
		if want.Error != "" && code != 0 && !strings.Contains(out+errOut, want.Error) {
			t.Errorf("%s: error %q not reported\nstdout:\n%s\nstderr:\n%s", what, want.Error, out, errOut)
		}
	}
	for p, content := range h.victims {
		got, err := os.ReadFile(p)
		if err != nil || string(got) != content {
			t.Errorf("%s: victim %s changed (%q, %v)", what, p, got, err)
		}
	}
	if untrusted {
		for _, m := range h.markers {
			if _, err := os.Lstat(m); err == nil {
				t.Errorf("%s: marker %s exists: something ran or was written on the host", what, m)
			}
		}
	}
	canaries := []string{h.cosign}
	for _, c := range h.victims {
		canaries = append(canaries, strings.TrimSpace(c))
	}
	for _, c := range canaries {
		if strings.Contains(out+errOut, c) {
			t.Errorf("%s: canary %q in the output", what, c)
		}
	}
	// The repository copy holds the run directory; the victim directory
	// may hold what a tier-local secret command wrote (never the key
	// password).
	for _, dir := range []string{h.repo, h.victim} {
		_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || !d.Type().IsRegular() {
				return nil
			}
			b, _ := os.ReadFile(p)
			for _, c := range canaries {
				if _, isVictim := h.victims[p]; isVictim {
					continue
				}
				if dir == h.victim && c != h.cosign {
					continue
				}
				if bytes.Contains(b, []byte(c)) {
					t.Errorf("%s: canary %q found in %s", what, c, p)
				}
			}
			return nil
		})
	}
}

func hexNonce(t *testing.T) string {
	t.Helper()
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b[:])
}

// checkReportsRule confirms, from check's JSON report, that the rule is a
// violation (not only a string in a message).
func checkReportsRule(t *testing.T, what, out, rule string) {
	t.Helper()
	var rep struct {
		Findings []struct {
			RuleID   string `json:"ruleId"`
			Severity string `json:"severity"`
		} `json:"findings"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Errorf("%s: report is not JSON: %v", what, err)
		return
	}
	var ids []string
	for _, f := range rep.Findings {
		if f.Severity == "deny" {
			ids = append(ids, f.RuleID)
		}
	}
	if !slices.Contains(ids, rule) {
		t.Errorf("%s: denies %v, want %s among them", what, ids, rule)
	}
}

// TestHostileCheck runs `pinline check` on every case, in tier untrusted
// and in tier local (no engine needed).
func TestHostileCheck(t *testing.T) {
	t.Parallel()
	for _, c := range loadHostileCases(t) {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			for _, tier := range []string{"untrusted", "local"} {
				want := c.Untrusted
				if tier == "local" {
					want = c.Local
				}
				h := c.setup(t, pinnedBusybox)
				what := "check --tier " + tier
				code, out, errOut := runCLIEnv(t, h.env(nil), "check", "--tier", tier, "--format", "json", h.repo)
				h.verify(t, what, want, true, tier == "untrusted", code, out, errOut)
				if code == 1 && want.Rule != "" && (want.CheckExit == nil || *want.CheckExit == 1) {
					checkReportsRule(t, what, out, want.Rule)
				}
			}
		})
	}
}

// TestHostileRun runs every case with `pinline run` on the real engine, in
// tier untrusted and in tier local.
func TestHostileRun(t *testing.T) {
	t.Parallel()
	sock, cli, bb := needEngine(t)
	for _, c := range loadHostileCases(t) {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			for _, tier := range []string{"untrusted", "local"} {
				want := c.Untrusted
				if tier == "local" {
					want = c.Local
				}
				h := c.setup(t, bb)
				eng := filepath.Join(h.base, "engine.json")
				if err := os.WriteFile(eng, []byte(fmt.Sprintf(`{"engine": {"address": "unix://%s"}}`, sock)), 0o644); err != nil {
					t.Fatal(err)
				}
				code, out, errOut := runCLICtx(context.Background(), h.env(map[string]string{EnvDaggerCLI.Name: cli}),
					"run", "-f", h.spec(), "--tier", tier, "--engine-config", eng)
				h.verify(t, "run --tier "+tier, want, false, tier == "untrusted", code, out, errOut)
			}
		})
	}
}

// TestHostileGateway runs every case through `pinline engine gateway` with
// a pull-request certificate: the gateway decides the tier (untrusted).
func TestHostileGateway(t *testing.T) {
	t.Parallel()
	f := startGatewayFixture(t)
	for _, c := range loadHostileCases(t) {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			h := c.setup(t, f.busybox)
			env := h.env(map[string]string{EnvDaggerCLI.Name: f.env[EnvDaggerCLI.Name]})
			code, out, errOut := runCLICtx(context.Background(), env,
				"run", "-f", h.spec(), "--engine-config", filepath.Join(f.dir, "engine-pr.json"))
			h.verify(t, "run via gateway (pr certificate)", c.Untrusted, false, true, code, out, errOut)
			// Every record the run left says the gateway's tier.
			recs, _ := filepath.Glob(filepath.Join(h.repo, ".pinline", "runs", "*", record.RunFile))
			if c.Untrusted.Exit != 2 && len(recs) == 0 {
				t.Errorf("no run record")
			}
			for _, p := range recs {
				var r record.Run
				b, _ := os.ReadFile(p)
				if err := json.Unmarshal(b, &r); err != nil || r.Tier != "untrusted" {
					t.Errorf("%s: tier %q (%v), want untrusted", p, r.Tier, err)
				}
			}
		})
	}
}
