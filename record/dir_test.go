package record

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestValidRunID(t *testing.T) {
	t.Parallel()
	for _, id := range []string{"20261122T163255Z-1a2b3c4d", "a", "run_1-x", strings.Repeat("a", 128)} {
		if !ValidRunID(id) {
			t.Errorf("ValidRunID(%q) = false", id)
		}
	}
	for _, id := range []string{"", "..", ".", "../x", "a/b", `a\b`, "/abs", ".hidden", "-flag", "a b", "a\x00", "a.b", "é", strings.Repeat("a", 129)} {
		if ValidRunID(id) {
			t.Errorf("ValidRunID(%q) = true", id)
		}
	}
}

func TestReadRunAndListRuns(t *testing.T) {
	t.Parallel()
	runs := t.TempDir()
	put := func(dir, body string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Join(runs, dir), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(runs, dir, RunFile), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	put("r1", `{"id":"r1","status":"succeeded"}`)
	if err := os.Mkdir(filepath.Join(runs, "r2"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := WriteRun(openRoot(t, filepath.Join(runs, "r2")), &Run{ID: "r2", Status: StatusFailed}); err != nil {
		t.Fatal(err)
	}
	tests := map[string]struct{ body, want string }{
		"bad-json":  {"{\n \"id\": x}", "line 2, column 8"},
		"no-id":     {`{"status":"succeeded"}`, `missing "id"`},
		"other-dir": {`{"id":"r1"}`, `id "r1" is not the directory's name "other-dir"`},
		"escape":    {`{"id":"../../etc"}`, "invalid id"},
	}
	for dir, tt := range tests {
		put(dir, tt.body)
		_, err := ReadRun(filepath.Join(runs, dir))
		if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), filepath.Join(runs, dir, RunFile)) {
			t.Errorf("%s: err = %v, want ErrMalformed naming the file and %q", dir, err, tt.want)
		}
	}
	if err := os.Mkdir(filepath.Join(runs, "empty"), 0o755); err != nil {
		t.Fatal(err)
	}
	got, err := ListRuns(runs)
	if len(got) != 2 || got[0].ID != "r2" || got[1].ID != "r1" {
		t.Errorf("ListRuns = %+v, want r2, r1", got)
	}
	if !errors.Is(err, ErrMalformed) || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("ListRuns err = %v, want the malformed records and the empty directory", err)
	}
	if got, err := ListRuns(filepath.Join(runs, "nope")); got != nil || err != nil {
		t.Errorf("missing runs dir: %v, %v; want nothing", got, err)
	}
	if _, err := RunDirs(filepath.Join(runs, "nope")); !errors.Is(err, ErrNoRunsDir) {
		t.Errorf("RunDirs: %v, want ErrNoRunsDir", err)
	}
}

func TestDecisionRoundTrip(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	d := &Decision{Allow: true, InputDigest: "sha256:aa,sha256:bb", Gates: []string{"policy"},
		Waived: []WaivedFinding{{Finding: Finding{RuleID: "PL001", Pos: Pos{File: "dagger.json", Line: 3}}, Waiver: Waiver{Rule: "PL001", Expires: "2999-01-01"}}}}
	if err := WriteDecision(openRoot(t, dir), d); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, DecisionFile))
	if !strings.Contains(string(b), `"violations": []`) || strings.Contains(string(b), "null") {
		t.Errorf("nil lists must be written as []:\n%s", b)
	}
	got, err := ReadDecision(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got.Ref() != (DecisionRef{Allow: true, Waived: 1, InputSHA256: "aa,bb"}) || got.Waived[0].Pos.Where() != "dagger.json:3" {
		t.Errorf("round trip: %+v", got)
	}
	// Fail closed: allow with a violation summarises as a deny.
	if (&Decision{Allow: true, Violations: []Finding{{RuleID: "X"}}}).Ref().Allow {
		t.Error("Ref allows a decision with a violation")
	}
	if err := os.WriteFile(filepath.Join(dir, DecisionFile), []byte(`{"allow":true,"waived":2}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadDecision(dir); !errors.Is(err, ErrMalformed) {
		t.Errorf("a waived count (a shape nothing writes): %v, want ErrMalformed", err)
	}
}

func openRoot(t *testing.T, dir string) *os.Root {
	t.Helper()
	r, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// WriteFile stays inside the root: a symlink committed or created in the
// run directory cannot send a record elsewhere, and no temporary file is
// left behind.
func TestWriteFileStaysInRoot(t *testing.T) {
	t.Parallel()
	dir, outside := t.TempDir(), t.TempDir()
	if err := os.Symlink(outside, filepath.Join(dir, "logs")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outside, "victim"), filepath.Join(dir, RunFile)); err != nil {
		t.Fatal(err)
	}
	root := openRoot(t, dir)
	if err := WriteFile(root, "logs/a.log", []byte("x")); err == nil {
		t.Error("wrote through a symlinked directory")
	}
	// run.json as a symlink is replaced by the rename, never followed.
	if err := WriteRun(root, &Run{ID: "x"}); err != nil {
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir(outside); len(ents) != 0 {
		t.Errorf("files written outside the run directory: %v", ents)
	}
	if fi, err := os.Lstat(filepath.Join(dir, RunFile)); err != nil || !fi.Mode().IsRegular() {
		t.Errorf("run.json is %v, %v; want a regular file", fi, err)
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.Contains(e.Name(), ".pinline-") {
			t.Errorf("temporary file left: %s", e.Name())
		}
	}
}
