package inventory

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// addFiles seeds a fuzzer with every file matching glob.
func addFiles(f *testing.F, glob string) {
	f.Helper()
	matches, err := filepath.Glob(glob)
	if err != nil {
		f.Fatal(err)
	}
	for _, m := range matches {
		data, err := os.ReadFile(m)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
}

// checkErr asserts the parser contract: errors are *ParseError naming the
// file with a position inside the input.
func checkErr(t *testing.T, data []byte, err error) {
	t.Helper()
	if err == nil {
		return
	}
	var pe *ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("error %T %v is not a *ParseError", err, err)
	}
	if pe.File != "f" || pe.Line < 0 || pe.Line > bytes.Count(data, []byte("\n"))+1 || pe.Column < 0 {
		t.Fatalf("error position out of range: %v", err)
	}
}

// checkPos asserts that every position points into the input.
func checkPos(t *testing.T, data []byte, ps ...Position) {
	t.Helper()
	lines := bytes.Count(data, []byte("\n")) + 1
	for _, p := range ps {
		if p.File != "f" || p.Line < 1 || p.Line > lines || p.Column < 1 {
			t.Fatalf("position %+v out of range (%d lines)", p, lines)
		}
	}
}

func FuzzDaggerJSON(f *testing.F) {
	addFiles(f, "testdata/corpus/dagger-json/*dagger.json")
	f.Fuzz(func(t *testing.T, data []byte) {
		m, imgs, err := ParseDaggerJSON("f", data)
		checkErr(t, data, err)
		if err != nil {
			return
		}
		checkPos(t, data, m.Pos)
		for _, d := range m.Dependencies {
			checkPos(t, data, d.Pos)
			if d.Local == (d.Remote != nil) {
				t.Fatalf("dependency %q is both or neither local and remote", d.Source)
			}
			if d.Pinned && d.Remote == nil {
				t.Fatalf("local dependency %q marked pinned", d.Source)
			}
		}
		for _, i := range imgs {
			checkPos(t, data, i.Pos)
		}
	})
}

func FuzzLock(f *testing.F) {
	addFiles(f, "testdata/corpus/dagger-lock-and-toml/*.lock")
	addFiles(f, "testdata/lock/*.lock")
	f.Fuzz(func(t *testing.T, data []byte) {
		entries, imgs, err := ParseLock("f", data)
		checkErr(t, data, err)
		for _, e := range entries {
			checkPos(t, data, e.Pos)
			if len(e.Key) == 0 {
				t.Fatal("entry without key")
			}
		}
		floating := map[int]bool{}
		for _, e := range entries {
			floating[e.Pos.Line] = e.Floating
		}
		for _, i := range imgs {
			if i.Digest == "" && !floating[i.Pos.Line] {
				t.Fatal("pinned lock image without digest")
			}
			if _, err := ParseImageRef(i.Ref); err != nil {
				t.Fatalf("lock image %q does not parse: %v", i.Ref, err)
			}
		}
	})
}

func FuzzModuleTOML(f *testing.F) {
	addFiles(f, "testdata/corpus/dagger-lock-and-toml/*.toml")
	addFiles(f, "testdata/repos/workspace/dagger.toml")
	addFiles(f, "testdata/userconfig.toml")
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseModuleTOML("f", data)
		checkErr(t, data, err)
		if err == nil {
			for _, d := range m.Dependencies {
				checkPos(t, data, d.Pos)
			}
		}
		m, err = ParseWorkspaceTOML("f", data)
		checkErr(t, data, err)
		if err == nil {
			for _, d := range m.Dependencies {
				checkPos(t, data, d.Pos)
			}
			for _, e := range m.Envs {
				checkPos(t, data, e.Pos)
				for _, d := range e.Modules {
					checkPos(t, data, d.Pos)
				}
				if _, err := m.ApplyEnv(e.Name); err != nil {
					checkErr(t, data, err)
				}
			}
		}
		ov, err := ParseUserConfig("f", data)
		checkErr(t, data, err)
		for _, o := range ov {
			checkPos(t, data, o.Pos)
		}
	})
}

func fuzzScanner(f *testing.F, glob string, scan func(string, []byte) ([]ImageRef, []Unresolved, error)) {
	addFiles(f, glob)
	f.Fuzz(func(t *testing.T, data []byte) {
		imgs, un, err := scan("f", data)
		checkErr(t, data, err)
		for _, i := range imgs {
			checkPos(t, data, i.Pos)
			if _, err := ParseImageRef(i.Ref); err != nil {
				t.Fatalf("image %q does not parse: %v", i.Ref, err)
			}
		}
		for _, u := range un {
			checkPos(t, data, u.Pos)
		}
	})
}

func FuzzScanGo(f *testing.F) {
	fuzzScanner(f, "testdata/fuzz/seeds/*.go", ScanGo)
}

func FuzzScanPython(f *testing.F) {
	fuzzScanner(f, "testdata/fuzz/seeds/*.py", ScanPython)
}

func FuzzScanTypeScript(f *testing.F) {
	fuzzScanner(f, "testdata/fuzz/seeds/*.ts", ScanTypeScript)
}

func FuzzParseImageRef(f *testing.F) {
	for _, s := range []string{"alpine", "alpine:3", "127.0.0.1:5000/a/b:1@sha256:" + hex64, "a@b", ":", "/", "a//b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseImageRef(s)
		if err != nil {
			return
		}
		// The normalised form parses to the same name.
		again, err := ParseImageRef(n.String())
		if err != nil || again != n {
			t.Fatalf("%q -> %q -> %+v, %v", s, n.String(), again, err)
		}
	})
}

func FuzzParseRemoteRef(f *testing.F) {
	for _, s := range []string{"github.com/o/r/sub@v1", "git@h:o/r@x", "https://u@h/o/r.git/s@" + sha40, "@", "a@", "://"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r := ParseRemoteRef(s)
		if r.RefKind == "commit" && !IsCommit(r.Ref) {
			t.Fatalf("%q: commit kind for %q", s, r.Ref)
		}
		_ = RefKind(s)
		_ = IsRemoteSource(s)
	})
}
