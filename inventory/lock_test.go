package inventory

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestParseLockGolden parses lockfiles of every format (version 2 as
// Dagger writes it, version 1 with policies, the workspace-beta kinds) and
// compares entries and images with testdata/lock/<name>.json (-update
// rewrites).
func TestParseLockGolden(t *testing.T) {
	t.Parallel()
	files, _ := filepath.Glob("testdata/lock/*.lock")
	if len(files) < 3 {
		t.Fatalf("lock goldens missing: %v", files)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		entries, imgs, err := ParseLock("dagger.lock", data)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		checkGolden(t, strings.TrimSuffix(f, ".lock")+".json", f, map[string]any{"entries": entries, "images": imgs})
	}
}

func TestParseLockFloating(t *testing.T) {
	t.Parallel()
	floating := map[string][]string{
		"v2.lock":   {"registry.example.invalid/tools/lint:latest", "https://github.com/example/tagged"},
		"v1.lock":   {"docker.io/library/nginx:1.27", "https://github.com/example/mod"},
		"beta.lock": {"github.com/example/tagonly"},
	}
	for name, want := range floating {
		data, err := os.ReadFile(filepath.Join("testdata/lock", name))
		if err != nil {
			t.Fatal(err)
		}
		entries, _, err := ParseLock("dagger.lock", data)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range entries {
			if e.Floating {
				got = append(got, e.Key[0])
			}
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("%s floating entries (-want +got):\n%s", name, d)
		}
	}
}

func TestLockGitPin(t *testing.T) {
	t.Parallel()
	c := strings.Repeat("ab", 20)
	tests := []struct {
		e                      LockEntry
		remote, selector, want string
	}{
		{LockEntry{Kind: "git.ref", Key: []string{"https://github.com/a/b.git", "refs/tags/v1"}, Value: c}, "github.com/a/b", "refs/tags/v1", c},
		{LockEntry{Kind: "git.head", Key: []string{"https://github.com/a/b"}, Value: c}, "github.com/a/b", "HEAD", c},
		{LockEntry{Kind: "git.branch", Key: []string{"ssh://git@github.com/a/b", "main"}, Value: c}, "github.com/a/b", "refs/heads/main", c},
		{LockEntry{Kind: "git.tag", Key: []string{"https://github.com/a/b/", "v2"}, Value: c}, "github.com/a/b", "refs/tags/v2", c},
		{LockEntry{Kind: "git-sha", Key: []string{"github.com/a/b", "refs/heads/x"}, Value: c}, "github.com/a/b", "refs/heads/x", c},
		{LockEntry{Kind: "git.ref", Key: []string{"https://github.com/a/b", "main"}, Value: "main"}, "", "", ""},
		{LockEntry{Kind: "container.from", Key: []string{"alpine", "linux/amd64"}, Value: c}, "", "", ""},
	}
	for _, tt := range tests {
		r, s, got, ok := tt.e.GitPin()
		if r != tt.remote || s != tt.selector || got != tt.want || ok != (tt.want != "") {
			t.Errorf("%+v: GitPin() = %q %q %q %v", tt.e, r, s, got, ok)
		}
	}
}

func TestParseLockCorpus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file                                 string
		entries, floating, images, withParam int
	}{
		{"kpenfound__greetings-api__dagger.lock", 31, 0, 8, 2},
		{"DensoSVIC__carla__dagger.lock", 3, 0, 3, 0},
	}
	for _, tt := range tests {
		entries, imgs, err := ParseLock("dagger.lock", readCorpus(t, tt.file))
		if err != nil {
			t.Fatalf("%s: %v", tt.file, err)
		}
		var floating, params int
		for _, e := range entries {
			if e.Floating {
				floating++
			}
			if len(e.Params) > 0 {
				params++
			}
			if e.Pos.Line < 5 || e.Pos.Column != 1 {
				t.Errorf("%s: entry %v at %+v", tt.file, e.Key, e.Pos)
			}
		}
		if len(entries) != tt.entries || floating != tt.floating || len(imgs) != tt.images || params != tt.withParam {
			t.Errorf("%s: entries=%d floating=%d images=%d params=%d, want %d %d %d %d", tt.file,
				len(entries), floating, len(imgs), params, tt.entries, tt.floating, tt.images, tt.withParam)
		}
		for _, img := range imgs {
			if img.Digest == "" || img.Origin != "lock" || img.Via != "oci-sha" || img.Registry != "docker.io" && img.Registry != "mcr.microsoft.com" {
				t.Errorf("%s: image %+v", tt.file, img)
			}
		}
	}
}

func TestParseLockEntry(t *testing.T) {
	t.Parallel()
	in := "[[\"version\",\"2\"]]\n  [\"\",\"git-latest\",[\"github.com/dagger/node\",[\"version\",\"v0.2.0\"]],\"refs/tags/v0.2.0\"]\n"
	entries, _, err := ParseLock("dagger.lock", []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	e := entries[0]
	if e.Kind != "git-latest" || !e.Floating || e.Key[0] != "github.com/dagger/node" || e.Params["version"] != "v0.2.0" ||
		e.Value != "refs/tags/v0.2.0" || e.Pos.Line != 2 || e.Pos.Column != 3 {
		t.Errorf("entry = %+v", e)
	}
}

func TestParseLockErrors(t *testing.T) {
	t.Parallel()
	const h = "[[\"version\",\"2\"]]\n"
	tests := []struct{ in, want string }{
		{"", `dagger.lock:1:1: dagger.lock has no [["version","2"]] header`},
		{"# only a comment\n", `dagger.lock:1:1: dagger.lock has no [["version","2"]] header`},
		{"[[\"version\",\"3\"]]\n", "dagger.lock:1:13: unsupported dagger.lock version 3 (want 1 or 2)"},
		{"[\"\",\"oci-sha\",[\"x\"],\"y\"]\n", `dagger.lock:1:1: dagger.lock must start with [["version","2"]]`},
		{h + "[\"\",\"oci-sha\",[\"x\"]]\n", "dagger.lock:2:1: lock entry must be a 4-element array [namespace, operation, inputs, value]"},
		{"[[\"version\",\"1\"]]\n[\"\",\"git.ref\",[\"x\",\"y\"],\"z\"]\n", "dagger.lock:2:1: version 1 lock entry must be a 5-element array [namespace, operation, inputs, value, policy]"},
		{"[[\"version\",\"1\"]]\n[\"\",\"git.ref\",[\"x\",\"y\"],\"z\",\"always\"]\n", `dagger.lock:2:29: lock entry policy must be "pin" or "float"`},
		{h + "[\"\",\"\",[\"x\"],\"y\"]\n", "dagger.lock:2:5: lock entry operation must be a non-empty string"},
		{h + "[1,\"git.ref\",[\"x\"],\"y\"]\n", "dagger.lock:2:2: lock entry namespace must be a string"},
		{h + "[\"\",\"git-sha\",\"x\",\"y\"]\n", "dagger.lock:2:15: lock entry inputs must be an array"},
		{h + "[\"\",\"git.ref\",[],\"y\"]\n", "dagger.lock:2:15: git.ref entry needs the remote as its first input"},
		{h + "[\"\",\"container.from\",[],\"y\"]\n", "dagger.lock:2:22: container.from entry needs the image reference as its first input"},
		{h + "[\"\",\"git-sha\",[\"x\"],1]\n", "dagger.lock:2:21: lock entry value must be a string or a {sha, ref} object"},
		{h + "[\"\",\"git.ref\",[\"x\",\"y\"],{\"ref\":\"m\"}]\n", "dagger.lock:2:25: lock entry value object must be {\"sha\": string, \"ref\": string}"},
		{h + "[\"\",\"git-sha\",[{\"a\":1}],\"y\"]\n", "dagger.lock:2:16: lock entry inputs must not hold objects (their order is undefined)"},
		{h + "[\"\",\"container.from\",[\"Alpine:3\",\"linux/amd64\"],\"sha256:abc\"]\n", `dagger.lock:2:22: container.from entry: invalid repository component "Alpine"`},
		{h + "\n[\"\",\"git-sha\",[\"x\"],\"y\"\n", "dagger.lock:3:24: invalid JSON: unexpected end of input"},
	}
	for _, tt := range tests {
		_, _, err := ParseLock("dagger.lock", []byte(tt.in))
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Errorf("%q: error %v is not a *ParseError", tt.in, err)
			continue
		}
		if err.Error() != tt.want {
			t.Errorf("%q:\n got %s\nwant %s", tt.in, err, tt.want)
		}
	}
}
