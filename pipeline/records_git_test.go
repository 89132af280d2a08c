package pipeline

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// gitInfo runs its three git commands at once; the answers are those of
// the repository whatever order they finish in.
func TestGitInfo(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatal("git is needed: ", err)
	}
	ctx := context.Background()
	env := []string{"HOME=" + t.TempDir(), "PATH=" + os.Getenv("PATH")}
	if c, dirty, uri := gitInfo(ctx, t.TempDir(), env); c != "" || dirty || uri != "" {
		t.Errorf("not a repository: %q %v %q", c, dirty, uri)
	}
	root := t.TempDir()
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", root, "-c", "user.email=t@t", "-c", "user.name=t"}, args...)...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	run("init", "-q")
	if err := os.WriteFile(filepath.Join(root, "a"), []byte("a"), 0o644); err != nil {
		t.Fatal(err)
	}
	run("add", "a")
	run("commit", "-qm", "a")
	run("remote", "add", "origin", "https://example.test/org/repo.git")
	head := run("rev-parse", "HEAD")
	head = head[:len(head)-1]
	for i := 0; i < 5; i++ {
		c, dirty, uri := gitInfo(ctx, root, env)
		if c != head || dirty || uri != "https://example.test/org/repo.git" {
			t.Fatalf("clean: %q %v %q, want %s", c, dirty, uri, head)
		}
	}
	if err := os.WriteFile(filepath.Join(root, "a"), []byte("b"), 0o644); err != nil {
		t.Fatal(err)
	}
	if c, dirty, _ := gitInfo(ctx, root, env); c != head || !dirty {
		t.Errorf("edited: %q dirty %v, want %s dirty", c, dirty, head)
	}
}
