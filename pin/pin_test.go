package pin

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pinline/pinline/inventory"
)

var update = flag.Bool("update", false, "rewrite golden files")

var cases = []string{"spec", "spec-default", "lock", "lock-v2", "lock-v1", "toml", "daggerjson", "daggerjson-minified", "gosrc", "pysrc", "tssrc"}

// readTree returns the files under dir with the registry host replaced by
// REGISTRY again.
func readTree(t *testing.T, dir, host string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		m[filepath.ToSlash(rel)] = strings.ReplaceAll(string(data), host, "REGISTRY")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, diff)
	}
}

// TestGolden pins each fixture and compares every file and the report with
// testdata/golden/<case>/; a second run must change nothing.
func TestGolden(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	for _, name := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := e.copyCase(t, name)
			before := readTree(t, dir, e.host)
			rep, err := Run(t.Context(), e.options(dir))
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Changes) == 0 || !rep.Written {
				t.Fatalf("nothing pinned: %+v", rep)
			}
			after := readTree(t, dir, e.host)
			for rel, content := range after {
				golden(t, filepath.Join("testdata", "golden", name, rel), []byte(content))
			}
			js, _ := json.MarshalIndent(rep, "", "  ")
			golden(t, filepath.Join("testdata", "golden", name+".report.json"), []byte(strings.ReplaceAll(string(js), e.host, "REGISTRY")+"\n"))

			// Idempotence: nothing left to pin, nothing rewritten.
			rep2, err := Run(t.Context(), e.options(dir))
			if err != nil {
				t.Fatal(err)
			}
			if len(rep2.Changes) != 0 || rep2.Written {
				t.Errorf("second run changed: %+v", rep2.Changes)
			}
			if diff := cmp.Diff(after, readTree(t, dir, e.host)); diff != "" {
				t.Errorf("second run rewrote files:\n%s", diff)
			}
			if diff := cmp.Diff(before, after); diff == "" {
				t.Error("files did not change")
			}
		})
	}
}

// TestCheckAndDiffWriteNothing: --check and --diff report the same changes
// as a real run and leave the files alone; the diff is a unified diff.
func TestCheckAndDiffWriteNothing(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	dir := e.copyCase(t, "spec")
	before := readTree(t, dir, e.host)
	o := e.options(dir)
	o.Check = true
	rep, err := Run(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Changes) != 4 || rep.Written {
		t.Errorf("check: %d changes, written=%v; want 4, false", len(rep.Changes), rep.Written)
	}
	var out bytes.Buffer
	o = e.options(dir)
	o.Diff, o.Out = true, &out
	if _, err := Run(t.Context(), o); err != nil {
		t.Fatal(err)
	}
	golden(t, filepath.Join("testdata", "golden", "spec.diff"), []byte(strings.ReplaceAll(out.String(), e.host, "REGISTRY")))
	if diff := cmp.Diff(before, readTree(t, dir, e.host)); diff != "" {
		t.Errorf("check/diff wrote files:\n%s", diff)
	}
	// Offline check lists the same entries without resolving.
	o = e.options(dir)
	o.Check, o.Offline, o.Images, o.Git = true, true, failingImages{}, &Git{Bin: "/nonexistent/git"}
	rep, err = Run(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Changes) != 4 || rep.Changes[0].Pin != "" {
		t.Errorf("offline check: %+v", rep.Changes)
	}
}

// TestTOMLInlineTables: tables of their own get their pin key replaced
// or added once; a dependency written as an inline table (inventory
// records no position inside it) is left alone with a note, instead of
// getting a second pin key or a line inside the table.
func TestTOMLInlineTables(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	dir := t.TempDir()
	src := "name = \"m\"\n[runtime]\nsource = \"go\"\n[[dependencies]]\nname = \"t\"\nsource = \"github.com/acme/tools@v1.0.0\"\n" +
		"[[toolchains]]\nname = \"l\"\nsource = \"github.com/acme/tools@main\"\npin = \"\"\n"
	inline := "name = \"m\"\ndependencies = [{name = \"t\", source = \"github.com/acme/tools@v1.0.0\"}]\n"
	for name, content := range map[string]string{"a/dagger-module.toml": src, "b/dagger-module.toml": inline} {
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	rep, err := Run(t.Context(), e.options(dir))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "b/dagger-module.toml"))
	if string(b) != inline {
		t.Errorf("the inline table was rewritten:\n%s", b)
	}
	noted := false
	for _, n := range rep.Notes {
		noted = noted || n.Pos.File == "b/dagger-module.toml" && strings.Contains(n.Reason, "pin it by hand")
	}
	if !noted {
		t.Errorf("no note for the inline table: %+v", rep.Notes)
	}
	a, _ := os.ReadFile(filepath.Join(dir, "a/dagger-module.toml"))
	if strings.Count(string(a), "pin = ") != 2 || strings.Contains(string(a), `pin = ""`) {
		t.Errorf("pins not written once each:\n%s", a)
	}
	if _, err := inventory.ParseModuleTOML("a/dagger-module.toml", a); err != nil {
		t.Errorf("rewritten file no longer parses: %v\n%s", err, a)
	}
}
