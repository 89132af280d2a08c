package render

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/owenrumney/go-sarif/v2/sarif"
	"github.com/pinline/pinline/inventory"
	"github.com/pinline/pinline/policy"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

var update = flag.Bool("update", false, "rewrite golden files")

// report evaluates the real default policy over a small inventory with a
// deny, a warning, a user-less waiver and an expired waiver.
func report(t *testing.T) Report {
	t.Helper()
	ctx := context.Background()
	e, err := policy.Load(ctx, policy.Options{})
	if err != nil {
		t.Fatal(err)
	}
	p := func(f string, l, c int) inventory.Position { return inventory.Position{File: f, Line: l, Column: c} }
	inv := &inventory.Inventory{
		Modules: []inventory.Module{{Pos: p("dagger.json", 1, 1), Format: "dagger.json", Name: "app", EngineVersion: "latest",
			EngineVerPos: p("dagger.json", 3, 20),
			Dependencies: []inventory.Dependency{{Pos: p("dagger.json", 6, 7), Kind: "dependency", Name: "lint",
				Source: "github.com/acme/lint@main", Remote: &inventory.RemoteRef{Host: "github.com", Repo: "acme/lint", Ref: "main", RefKind: "branch"}}}}},
		Images: []inventory.ImageRef{
			{Pos: p("ci/main.go", 12, 14), Origin: "go", Via: "from", Ref: "alpine", Registry: "docker.io", Repository: "library/alpine"},
			{Pos: p("ci/legacy.py", 4, 7), Origin: "python", Ref: "golang:1.26", Registry: "docker.io", Repository: "library/golang", Tag: "1.26"},
		},
	}
	cfg, err := policy.ParseConfig(policy.ConfigPath, []byte(`waivers:
  - {rule: PL006, path: ci/legacy.py, reason: vendor image, expires: 2026-07-01}
  - {rule: PL001, ref: nothing, reason: old, expires: 2020-01-01}
`))
	if err != nil {
		t.Fatal(err)
	}
	d, err := e.Evaluate(ctx, policy.BuildInput(inv, policy.InputOptions{Tier: "local"}),
		policy.EvalOptions{Waivers: cfg.Waivers, Now: time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	return Report{Decision: d, Rules: e.Rules(), ToolVersion: "test"}
}

var digestRE = regexp.MustCompile(`sha256:[0-9a-f]{64}`)

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	got = digestRE.ReplaceAll(got, []byte("sha256:<digest>"))
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", name, diff)
	}
}

func TestGolden(t *testing.T) {
	t.Parallel()
	r := report(t)
	for _, tc := range []struct {
		format, file string
		color        bool
	}{
		{"text", "check.txt", false},
		{"text", "check.color.txt", true},
		{"json", "check.json", false},
		{"sarif", "check.sarif", false},
		{"junit", "check.junit.xml", false},
	} {
		var buf bytes.Buffer
		if err := Write(&buf, tc.format, r, Options{Color: tc.color}); err != nil {
			t.Fatal(err)
		}
		golden(t, tc.file, buf.Bytes())
	}
}

func TestSARIFStructure(t *testing.T) {
	t.Parallel()
	r := report(t)
	var buf bytes.Buffer
	if err := SARIF(&buf, r); err != nil {
		t.Fatal(err)
	}
	log, err := sarif.FromBytes(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if log.Version != "2.1.0" || len(log.Runs) != 1 {
		t.Fatalf("version %s, %d runs", log.Version, len(log.Runs))
	}
	run := log.Runs[0]
	if len(run.Tool.Driver.Rules) != len(r.Rules) {
		t.Errorf("%d rules, want %d", len(run.Tool.Driver.Rules), len(r.Rules))
	}
	for _, rule := range run.Tool.Driver.Rules {
		if rule.HelpURI == nil || !strings.HasSuffix(*rule.HelpURI, "#"+rule.ID) || rule.Help == nil || rule.Help.Text == nil {
			t.Errorf("rule %s lacks help", rule.ID)
		}
	}
	var sawPL001 bool
	for _, res := range run.Results {
		if *res.RuleID == "PL001" {
			sawPL001 = true
			reg := res.Locations[0].PhysicalLocation.Region
			if *reg.StartLine != 6 || *reg.StartColumn != 7 || *res.Level != "error" ||
				*res.Locations[0].PhysicalLocation.ArtifactLocation.URI != "dagger.json" {
				t.Errorf("PL001 result = %+v", res)
			}
		}
	}
	if !sawPL001 {
		t.Error("no PL001 result")
	}
}

func TestJUnitStructure(t *testing.T) {
	t.Parallel()
	r := report(t)
	for _, failOnWarn := range []bool{false, true} {
		r.FailOnWarn = failOnWarn
		var buf bytes.Buffer
		if err := JUnit(&buf, r); err != nil {
			t.Fatal(err)
		}
		var got junitSuites
		if err := xml.Unmarshal(buf.Bytes(), &got); err != nil {
			t.Fatal(err)
		}
		// Violations: PL001, PL006 (ci/main.go), PL014 (policy.yaml);
		// warnings: PL005 (dagger.json), PL008 (ci/main.go).
		want := 3
		if failOnWarn {
			want = 5
		}
		if got.Failures != want || got.Suites[0].Failures != want {
			t.Errorf("failOnWarn=%v: %d failures, want %d", failOnWarn, got.Failures, want)
		}
	}
}

func TestJSONIsStable(t *testing.T) {
	t.Parallel()
	r := report(t)
	var a, b bytes.Buffer
	if err := JSON(&a, r); err != nil {
		t.Fatal(err)
	}
	if err := JSON(&b, report(t)); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("JSON output differs between two identical evaluations")
	}
	var m map[string]any
	if err := json.Unmarshal(a.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	if m["allow"] != false || m["schemaVersion"] != float64(1) {
		t.Errorf("allow/schemaVersion = %v/%v", m["allow"], m["schemaVersion"])
	}
}

func TestUnknownFormat(t *testing.T) {
	t.Parallel()
	err := Write(&bytes.Buffer{}, "yaml", report(t), Options{})
	if err == nil || !strings.Contains(err.Error(), `"sarif"`) || CheckFormat("yaml") == nil || CheckFormat("junit") != nil {
		t.Fatalf("err = %v", err)
	}
}

// TestSARIFSchema validates the SARIF log against the SARIF 2.1.0 objects
// pinline writes (testdata/schema, written from the OASIS specification),
// and checks that each finding is one result and that the waived finding
// carries its suppression.
func TestSARIFSchema(t *testing.T) {
	t.Parallel()
	r := report(t)
	var buf bytes.Buffer
	if err := SARIF(&buf, r); err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	sch, err := c.Compile("testdata/schema/sarif-2.1.0-subset.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(doc); err != nil {
		t.Errorf("SARIF log is not valid: %v", err)
	}
	log, err := sarif.FromBytes(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	results := log.Runs[0].Results
	want := len(r.Decision.Violations) + len(r.Decision.Warnings) + len(r.Decision.Waived)
	if len(results) != want {
		t.Errorf("%d results for %d findings", len(results), want)
	}
	seen := map[string]bool{}
	suppressed := 0
	for _, res := range results {
		loc := res.Locations[0].PhysicalLocation
		k := fmt.Sprintf("%s %s:%d:%d %s", *res.RuleID, *loc.ArtifactLocation.URI, *loc.Region.StartLine, *loc.Region.StartColumn, *res.Message.Text)
		if seen[k] {
			t.Errorf("result listed twice: %s", k)
		}
		seen[k] = true
		if len(res.Suppressions) > 0 {
			suppressed++
			s := res.Suppressions[0]
			if s.Kind != "external" || s.Status == nil || *s.Status != "accepted" || s.Justification == nil || *s.Justification != "vendor image" {
				t.Errorf("suppression = %+v", s)
			}
		}
	}
	if suppressed != len(r.Decision.Waived) || suppressed == 0 {
		t.Errorf("%d suppressed results, want %d", suppressed, len(r.Decision.Waived))
	}

	// The schema is strict enough to fail: an unknown level is rejected.
	bad := bytes.Replace(buf.Bytes(), []byte(`"level": "error"`), []byte(`"level": "fatal"`), 1)
	doc, _ = jsonschema.UnmarshalJSON(bytes.NewReader(bad))
	if sch.Validate(doc) == nil {
		t.Error("schema accepts level \"fatal\"")
	}
}
