package report

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pinline/pinline/record"
)

func buildFixtureReport(t *testing.T, verifiers []Verifier) *Report {
	t.Helper()
	rep, err := Build(t.Context(), Options{RunsDir: filepath.Join("testdata", "runs"), Verifiers: verifiers, Now: fixtureNow, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func TestGolden(t *testing.T) {
	t.Parallel()
	rep := buildFixtureReport(t, fixtureVerifiers(t))
	for _, format := range []string{"md", "json", "html"} {
		t.Run(format, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			if err := Render(&buf, rep, format); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", "golden", "report."+format)
			if *update {
				writeFile(t, golden, buf.Bytes())
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(string(want), buf.String()); d != "" {
				t.Errorf("%s differs from golden (-want +got), rerun with -update if intended:\n%s", golden, d)
			}
		})
	}
}

func TestVerdicts(t *testing.T) {
	t.Parallel()
	byID := func(rep *Report) map[string]RunReport {
		m := map[string]RunReport{}
		for _, r := range rep.Runs {
			m[r.ID] = r
		}
		return m
	}
	tests := []struct {
		name      string
		verifiers []Verifier
		want      map[string]string
	}{
		{"fixture key", fixtureVerifiers(t), map[string]string{
			"20261102T090000Z-a1b2c3": VerdictVerified,
			"20261103T090000Z-b2c3d4": VerdictUnsigned, // failed run: no provenance
			"20261104T090000Z-c3d4e5": VerdictUnsigned, // denied
			"20261105T090000Z-d4e5f6": VerdictInvalid,  // payload tampered after signing
			"20261106T090000Z-e5f6a7": VerdictUnsigned, // envelope without signatures
		}},
		{"no key", nil, map[string]string{
			"20261102T090000Z-a1b2c3": VerdictUnchecked,
			"20261105T090000Z-d4e5f6": VerdictUnchecked,
		}},
		{"wrong key", verifiersOf(t, newKey(t)), map[string]string{
			"20261102T090000Z-a1b2c3": VerdictInvalid,
			"20261105T090000Z-d4e5f6": VerdictInvalid,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := byID(buildFixtureReport(t, tt.verifiers))
			for id, want := range tt.want {
				if v := got[id].Provenance.Verdict; v != want {
					t.Errorf("%s: verdict %q, want %q", id, v, want)
				}
			}
		})
	}
}

func TestSLSA(t *testing.T) {
	t.Parallel()
	rep := buildFixtureReport(t, fixtureVerifiers(t))
	want := map[string][3]string{
		"20261102T090000Z-a1b2c3": {SLSAMet, SLSAMet, SLSANotMet},
		"20261104T090000Z-c3d4e5": {SLSANotMet, SLSANotMet, SLSANotMet},
		"20261105T090000Z-d4e5f6": {SLSAMet, SLSANotMet, SLSANotMet},
		"20261106T090000Z-e5f6a7": {SLSAMet, SLSANotMet, SLSANotMet},
	}
	for _, r := range rep.Runs {
		w, ok := want[r.ID]
		if !ok {
			continue
		}
		for i, l := range r.SLSA {
			if l.Status != w[i] {
				t.Errorf("%s %s: %q, want %q", r.ID, l.Level, l.Status, w[i])
			}
		}
	}
}

func TestCorruptRunReported(t *testing.T) {
	t.Parallel()
	rep := buildFixtureReport(t, nil)
	if len(rep.Errors) != 1 {
		t.Fatalf("errors = %v, want one", rep.Errors)
	}
	e := rep.Errors[0]
	if !strings.HasSuffix(e.Path, filepath.Join("20261107T090000Z-f6a7b8", "run.json")) || !strings.Contains(e.Error, "line 4, column 13") {
		t.Errorf("error = %+v, want the run.json path and line 4", e)
	}
	if rep.Summary.Runs != 5 {
		t.Errorf("runs = %d, want 5", rep.Summary.Runs)
	}
}

func TestBuildErrors(t *testing.T) {
	t.Parallel()
	_, err := Build(t.Context(), Options{RunsDir: filepath.Join(t.TempDir(), "nope")})
	if !errors.Is(err, record.ErrNoRunsDir) {
		t.Errorf("err = %v, want ErrNoRunsDir", err)
	}
	if err := Render(&bytes.Buffer{}, &Report{}, "pdf"); err == nil || !strings.Contains(err.Error(), `"html"`) {
		t.Errorf("unknown format: err = %v", err)
	}
}

// A task's exec cache state from run.json reaches every format: hit, ran,
// or unknown when the record does not say.
func TestTaskExecCache(t *testing.T) {
	t.Parallel()
	yes, no := true, false
	run := &record.Run{ID: "r1", Status: record.StatusSucceeded, Tasks: []record.Task{
		{Name: "served", Status: record.StatusSucceeded, Cached: &yes},
		{Name: "executed", Status: record.StatusSucceeded, Cached: &no},
		{Name: "unsaid", Status: record.StatusSucceeded},
	}}
	rr := newRunReport("runs/r1", run)
	want := map[string]string{"served": "hit", "executed": "ran", "unsaid": "unknown"}
	for _, ti := range rr.Tasks {
		if got := ti.ExecCache(); got != want[ti.Name] {
			t.Errorf("%s: ExecCache = %q, want %q", ti.Name, got, want[ti.Name])
		}
	}
	rep := &Report{Schema: Schema, Runs: []RunReport{*rr}}
	for _, format := range []string{"md", "html", "json"} {
		var b strings.Builder
		if err := Render(&b, rep, format); err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		for name, w := range want {
			row := map[string]string{
				"md":   "| " + name + " | succeeded | 0 | +0 ms | 0 ms | " + w + " |",
				"html": "<th scope=\"row\">" + name + "</th>",
				"json": `"name": "` + name + `"`,
			}[format]
			if !strings.Contains(b.String(), row) {
				t.Errorf("%s report lacks %q", format, row)
			}
		}
		if format == "json" && !strings.Contains(b.String(), `"cached": true`) || format == "json" && !strings.Contains(b.String(), `"cached": null`) {
			t.Errorf("json report lacks cached true/null:\n%s", b.String())
		}
		if format == "html" && (!strings.Contains(b.String(), "<td>hit</td>") || !strings.Contains(b.String(), "<td>ran</td>")) {
			t.Error("html report lacks the exec cache cells")
		}
	}
}
