package cli

import (
	"os"
	"path/filepath"
	"testing"
)

// keys generate writes fresh files: 0600 for the private key whatever an
// overwritten file's mode was, and a symlink at the path (dangling or not)
// is replaced, never followed.
func TestKeysGenerateNeverFollowsSymlinks(t *testing.T) {
	t.Parallel()
	pw := map[string]string{"COSIGN_PASSWORD": "pw"}
	dir := t.TempDir()
	victimDir := t.TempDir()
	p := func(n string) string { return filepath.Join(dir, n) }

	// An existing world-readable key file keeps neither its mode nor inode.
	write(t, p("old.key"), "old")
	if err := os.Chmod(p("old.key"), 0o666); err != nil {
		t.Fatal(err)
	}
	if code, _, e := runCLIEnv(t, pw, "keys", "generate", "--output-key-prefix", p("old"), "--force"); code != 0 {
		t.Fatalf("--force over a 0666 file: %d %s", code, e)
	}
	assertMode(t, p("old.key"), 0o600)
	assertMode(t, p("old.pub"), 0o644)

	// A dangling symlink is an existing entry: refused without --force,
	// replaced (its target never created) with it.
	dangling := filepath.Join(victimDir, "created-by-pinline")
	if err := os.Symlink(dangling, p("dang.key")); err != nil {
		t.Fatal(err)
	}
	if code, _, _ := runCLIEnv(t, pw, "keys", "generate", "--output-key-prefix", p("dang")); code != 2 {
		t.Errorf("dangling symlink without --force: exit %d, want 2", code)
	}
	if code, _, e := runCLIEnv(t, pw, "keys", "generate", "--output-key-prefix", p("dang"), "--force"); code != 0 {
		t.Fatalf("dangling symlink with --force: %d %s", code, e)
	}
	if _, err := os.Lstat(dangling); !os.IsNotExist(err) {
		t.Errorf("symlink target was created: %v", err)
	}
	assertMode(t, p("dang.key"), 0o600)

	// A symlink to an existing victim file: the victim is unchanged.
	victim := filepath.Join(victimDir, "victim")
	write(t, victim, "victim")
	if err := os.Symlink(victim, p("v.key")); err != nil {
		t.Fatal(err)
	}
	if code, _, e := runCLIEnv(t, pw, "keys", "generate", "--output-key-prefix", p("v"), "--force"); code != 0 {
		t.Fatalf("symlink to victim with --force: %d %s", code, e)
	}
	if b, err := os.ReadFile(victim); err != nil || string(b) != "victim" {
		t.Errorf("victim changed: %q %v", b, err)
	}
	assertMode(t, p("v.key"), 0o600)
	left, _ := filepath.Glob(p(".*pinline-*"))
	if len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

func assertMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	st, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	if !st.Mode().IsRegular() || st.Mode().Perm() != want {
		t.Errorf("%s: mode %v, want a regular file %v", path, st.Mode(), want)
	}
}
