package report_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pinline/pinline/pipeline"
	"github.com/pinline/pinline/policy"
	"github.com/pinline/pinline/record"
	"github.com/pinline/pinline/report"
	"github.com/pinline/pinline/spec"
)

// A denied run never reaches the engine, so this is a real pipeline run
// without one (tier local, whose repository policy data applies): the gate
// waives PL001 on dagger.json and denies a pinline.yaml image without a
// digest (PL021, an executor rule no waiver can suppress).
var (
	// waiverExpires is within the 90-day cap of the evaluation time.
	waiverExpires = time.Now().AddDate(0, 0, 30).Format(time.DateOnly)
	waiverYAML    = "waivers:\n  - rule: PL001\n    path: dagger.json\n    reason: upstream has no tags yet\n    expires: " + waiverExpires + "\n"
)

const (
	deniedSpec = "version: 1\nname: w\nimages:\n  bb: busybox:1.36\ndefaultImage: bb\ntasks:\n  a:\n    run: [\"true\"]\n"
	unpinned   = `{"name": "w", "engineVersion": "v0.19.10", "sdk": "go",
  "dependencies": [{"name": "lint", "source": "github.com/acme/lint@v1.0.0"}]}
`
)

func deniedRun(t *testing.T) (runsDir, runDir string) {
	t.Helper()
	root := t.TempDir()
	for name, body := range map[string]string{"pinline.yaml": deniedSpec, "dagger.json": unpinned, policy.ConfigPath: waiverYAML} {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s, err := spec.Parse("pinline.yaml", []byte(deniedSpec))
	if err != nil {
		t.Fatal(err)
	}
	runsDir = filepath.Join(root, ".pinline", "runs")
	res, err := pipeline.Run(context.Background(), pipeline.Options{
		Spec: s, Root: root, RunsDir: runsDir, Tier: "local", Backend: pipeline.BackendDagger,
		// An engine that does not exist: a run that got past the gate
		// would fail with an engine error, not a denial.
		Engine: pipeline.Engine{Address: "unix://" + filepath.Join(root, "no-engine.sock"), CLI: filepath.Join(root, "no-dagger")},
		Gate:   pipeline.PolicyGate{},
		Now:    func() time.Time { return time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC) },
	})
	if !errors.Is(err, pipeline.ErrDenied) {
		t.Fatalf("run: %v, want denied", err)
	}
	return runsDir, res.Dir
}

func TestPipelineDecisionCarriesWaivers(t *testing.T) {
	t.Parallel()
	runsDir, dir := deniedRun(t)

	b, err := os.ReadFile(filepath.Join(dir, record.DecisionFile))
	if err != nil {
		t.Fatal(err)
	}
	// decision.json decodes as policy.Decision plus gates, nothing else.
	var d struct {
		policy.Decision
		Gates []string `json:"gates"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		t.Fatalf("decision.json is not policy.Decision + gates: %v\n%s", err, b)
	}
	if d.Allow || !strings.HasPrefix(d.InputDigest, "sha256:") || !strings.HasPrefix(d.BundleDigest, "sha256:") {
		t.Errorf("allow %v, digests %q %q", d.Allow, d.InputDigest, d.BundleDigest)
	}
	if diff := cmp.Diff([]string{"policy"}, d.Gates); diff != "" {
		t.Errorf("gates (-want +got):\n%s", diff)
	}
	var builtin *policy.Finding
	for i, v := range d.Violations {
		if v.RuleID == "PL021" {
			builtin = &d.Violations[i]
		}
	}
	if builtin == nil || builtin.Severity != policy.SeverityDeny || builtin.Source != "default" ||
		builtin.Help == "" || builtin.Pos.File != "pinline.yaml" || builtin.Pos.Line != 4 {
		t.Errorf("built-in violation = %+v, in %+v", builtin, d.Violations)
	}
	if len(d.Waived) != 1 {
		t.Fatalf("waived = %+v, want one PL001", d.Waived)
	}
	w := d.Waived[0]
	if w.RuleID != "PL001" || w.Pos.File != "dagger.json" || w.Waiver.Reason != "upstream has no tags yet" ||
		w.Waiver.Expires != waiverExpires || w.Waiver.Pos.File != policy.ConfigPath || w.Waiver.Pos.Line != 2 {
		t.Errorf("waived finding = %+v", w)
	}

	run, err := report.ReadRun(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := record.DecisionRef{Allow: false, Violations: len(d.Violations), Warnings: len(d.Warnings), Waived: 1,
		InputSHA256: strings.TrimPrefix(d.InputDigest, "sha256:"), BundleSHA256: strings.TrimPrefix(d.BundleDigest, "sha256:")}
	if diff := cmp.Diff(want, run.Decision); diff != "" {
		t.Errorf("run.json decision (-want +got):\n%s", diff)
	}
	if run.Status != record.StatusDenied {
		t.Errorf("status %q, want denied", run.Status)
	}

	rep, err := report.Build(context.Background(), report.Options{RunsDir: runsDir, Now: time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Runs) != 1 {
		t.Fatalf("report runs = %d, errors %+v", len(rep.Runs), rep.Errors)
	}
	pi := rep.Runs[0].Policy
	wantWaived := []report.Finding{{RuleID: "PL001", Severity: policy.SeverityDeny, Message: w.Message, File: "dagger.json",
		Line: w.Pos.Line, Column: w.Pos.Column, Expires: waiverExpires, Reason: "upstream has no tags yet"}}
	if diff := cmp.Diff(wantWaived, pi.Waived); diff != "" {
		t.Errorf("report waived (-want +got):\n%s", diff)
	}
	if pi.Source != record.DecisionFile || pi.Allow || pi.WaivedCount != 1 || len(pi.Violations) != len(d.Violations) {
		t.Errorf("report policy = %+v", pi)
	}
	if len(rep.Summary.Waivers) != 1 || rep.Summary.Waivers[0].Reason != "upstream has no tags yet" {
		t.Errorf("summary waivers = %+v", rep.Summary.Waivers)
	}
	var md bytes.Buffer
	if err := report.Render(&md, rep, "md"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(md.String(), "upstream has no tags yet") || !strings.Contains(md.String(), waiverExpires) {
		t.Errorf("markdown report does not list the waiver:\n%s", md.String())
	}
}
