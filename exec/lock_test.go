package exec

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const testDigest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadConfig(t *testing.T) {
	t.Parallel()
	good := "version: 1\npresets:\n  py312:\n    image: 127.0.0.1:5123/me/python@" + testDigest + "\n    file: main.py\n    run: [python3, main.py]\n    packages: python\n"
	l, err := LoadConfig(writeFile(t, "ok.yaml", good))
	if err != nil {
		t.Fatal(err)
	}
	if p := l.Presets["py312"]; p.Name != "py312" || p.File != "main.py" {
		t.Errorf("preset = %+v", p)
	}
	for _, tc := range []struct{ name, content, want string }{
		{"tag only", "version: 1\npresets:\n  py:\n    image: example.test/python:3.12\n    file: main.py\n    run: [python3, main.py]\n", ":3: preset \"py\": image \"example.test/python:3.12\" is not pinned by digest"},
		{"short digest", "version: 1\npresets:\n  py:\n    image: r/p@sha256:abc\n    file: main.py\n    run: [python3]\n", "not pinned by digest"},
		{"unknown field", "version: 1\npresets:\n  py:\n    image: r/p@" + testDigest + "\n    file: main.py\n    run: [python3]\n    shell: true\n", "field shell not found"},
		{"file with dirs", "version: 1\npresets:\n  py:\n    image: r/p@" + testDigest + "\n    file: ../x.py\n    run: [python3]\n", "plain file name"},
		{"no run", "version: 1\npresets:\n  py:\n    image: r/p@" + testDigest + "\n    file: x.py\n", "run is required"},
		{"bad packages", "version: 1\npresets:\n  py:\n    image: r/p@" + testDigest + "\n    file: x.py\n    run: [x]\n    packages: cobol\n", "unknown packages kind \"cobol\""},
		{"bad version", "version: 2\npresets: {}\n", "version 2"},
		{"not yaml", "version: [\n", "ok"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := LoadConfig(writeFile(t, "c.yaml", tc.content))
			if err == nil || !errors.Is(err, ErrInvalid) {
				t.Fatalf("want ErrInvalid, got %v", err)
			}
			if tc.want != "ok" && !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not contain %q", err, tc.want)
			}
		})
	}
}

func TestReadLock(t *testing.T) {
	t.Parallel()
	ok := `{"version":1,"presets":{"bash":{"image":"r/b@` + testDigest + `","file":"main.sh","run":["bash","main.sh"]}}}`
	l, err := ReadLock(writeFile(t, "l.json", ok))
	if err != nil || l.Presets["bash"].Name != "bash" {
		t.Fatalf("ReadLock: %+v %v", l, err)
	}
	for _, bad := range []string{
		`{"version":1,"presets":{"bash":{"image":"r/b:latest","file":"main.sh","run":["bash"]}}}`,
		`{"version":1,"presets":{},"extra":1}`,
		`{"version":1`,
	} {
		if _, err := ReadLock(writeFile(t, "l.json", bad)); !errors.Is(err, ErrInvalid) {
			t.Errorf("ReadLock(%s): want ErrInvalid, got %v", bad, err)
		}
	}
	merged := Merge(l, Lock{Presets: map[string]Preset{"bash": {Name: "bash", File: "x.sh"}, "zsh": {Name: "zsh"}}})
	if merged["bash"].File != "x.sh" || len(merged) != 2 {
		t.Errorf("Merge = %+v", merged)
	}
}

func TestBuiltinPresetsValid(t *testing.T) {
	t.Parallel()
	want := []string{"bash", "go", "java", "javascript", "perl", "php", "python", "ruby", "rust", "typescript"}
	b := Builtin()
	if len(b) != len(want) {
		t.Errorf("builtin presets: %d, want %d", len(b), len(want))
	}
	for _, n := range want {
		p, ok := b[n]
		if !ok {
			t.Errorf("missing preset %s", n)
			continue
		}
		p.Image = "r/x@" + testDigest
		if err := p.Validate(); err != nil {
			t.Errorf("%s: %v", n, err)
		}
	}
}
