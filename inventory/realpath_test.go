package inventory

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestResolveIn(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	root := filepath.Join(base, "repo")
	outside := filepath.Join(base, "victim")
	for _, d := range []string{root + "/src/sub", outside} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	links := map[string]string{
		"hostroot":   "/",
		"up":         "..",
		"victim":     outside,
		"rel-victim": "../victim",
		"inner":      "src/sub",
		"chain":      "inner",
		"dangling":   "/nonexistent-pinline-target",
		"loop-a":     "loop-b",
		"loop-b":     "loop-a",
		"src/back":   "../..",
		"src/self":   ".",
	}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(root, name)); err != nil {
			t.Fatal(err)
		}
	}
	real := func(p string) string { r, _ := filepath.EvalSymlinks(p); return r }
	rr := real(root)
	for _, tc := range []struct {
		rel, want string
		inside    bool
	}{
		{".", rr, true},
		{"src", rr + "/src", true},
		{"src/sub/../sub", rr + "/src/sub", true},
		{"missing/dir", rr + "/missing/dir", true},
		{"inner", rr + "/src/sub", true},
		{"chain/../..", rr, true},
		{"src/self/self/sub", rr + "/src/sub", true},
		{"hostroot", "/", false},
		{"hostroot/etc", "/etc", false},
		{"up", filepath.Dir(rr), false},
		{"victim", real(outside), false},
		{"rel-victim", real(outside), false},
		{"src/back", filepath.Dir(rr), false},
		{"dangling", "/nonexistent-pinline-target", false},
		{"dangling/x", "/nonexistent-pinline-target/x", false},
		{"..", filepath.Dir(rr), false},
		{"/etc", "/etc", false},
		{"a\x00b", "", false},
	} {
		got, inside := ResolveIn(root, tc.rel)
		if inside != tc.inside || tc.want != "" && got != tc.want {
			t.Errorf("ResolveIn(%q) = %q, %v; want %q, %v", tc.rel, got, inside, tc.want, tc.inside)
		}
	}
	if _, inside := ResolveIn(root, "loop-a"); inside {
		t.Error("a symlink loop resolves inside")
	}
}

func FuzzResolveIn(f *testing.F) {
	root := f.TempDir()
	_ = os.MkdirAll(filepath.Join(root, "d"), 0o755)
	_ = os.Symlink("/", filepath.Join(root, "hostroot"))
	_ = os.Symlink("..", filepath.Join(root, "d", "up"))
	for _, s := range []string{".", "d", "hostroot", "d/up/d", "../x", "d/../..", "/etc", "a\x00"} {
		f.Add(s)
	}
	rr, _ := filepath.EvalSymlinks(root)
	f.Fuzz(func(t *testing.T, rel string) {
		got, inside := ResolveIn(root, rel)
		if inside && got != rr && !strings.HasPrefix(got, rr+"/") {
			t.Fatalf("ResolveIn(%q) = %q inside, root %q", rel, got, rr)
		}
	})
}
