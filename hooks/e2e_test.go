package hooks

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

var (
	buildOnce sync.Once
	binDir    string
	binErr    error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		_ = os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// pinlineBin builds the pinline binary once per test process. It reads
// every Go source of the module first, so that go test's result cache is
// invalidated when the binary's code changes.
func pinlineBin(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		_ = filepath.WalkDir("..", func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && (d.Name() == "testdata" || d.Name() == ".git") {
				return filepath.SkipDir
			}
			if !d.IsDir() && (strings.HasSuffix(p, ".go") || strings.HasSuffix(p, ".rego") || p == "../go.mod") {
				if b, err := os.ReadFile(p); err == nil {
					_ = b
				}
			}
			return nil
		})
		binDir, binErr = os.MkdirTemp("", "pinline-bin-")
		if binErr != nil {
			return
		}
		out, err := exec.Command("go", "build", "-o", filepath.Join(binDir, "pinline"), "github.com/pinline/pinline/cmd/pinline").CombinedOutput()
		if err != nil {
			binErr = err
			t.Logf("%s", out)
		}
	})
	if binErr != nil {
		t.Fatalf("build pinline: %v", binErr)
	}
	return filepath.Join(binDir, "pinline")
}

// requireCheck fails the test when the built binary has no working
// `pinline check`: the installed hook runs it by default, and a test of the
// hook must test that hook, never fall back to another command.
func requireCheck(t testing.TB, bin string) {
	t.Helper()
	if out, err := exec.Command(bin, "check", "--help").CombinedOutput(); err != nil {
		t.Fatalf("pinline check --help: %v\n%s", err, out)
	}
}

// upstream creates github.com/acme/tools as a local repository with tag
// v1.0.0 and returns the environment that makes git (and so `pinline
// pin`) fetch https://github.com/ from it, like url.<base>.insteadOf.
func upstream(t testing.TB) []string {
	t.Helper()
	root := t.TempDir()
	repo := filepath.Join(root, "acme", "tools")
	if err := os.MkdirAll(repo, 0o755); err != nil {
		t.Fatal(err)
	}
	mustGit(t, repo, "init", "-q", "-b", "main")
	writeFile(t, filepath.Join(repo, "dagger.json"), `{"name":"tools"}`+"\n", 0o644)
	mustGit(t, repo, "add", ".")
	mustGit(t, repo, "commit", "-q", "-m", "tools")
	mustGit(t, repo, "tag", "v1.0.0")
	return []string{"GIT_CONFIG_COUNT=1", "GIT_CONFIG_KEY_0=url.file://" + root + "/.insteadOf", "GIT_CONFIG_VALUE_0=https://github.com/"}
}

func run(t testing.TB, dir string, env []string, name string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), gitEnv...), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestHookBlocksUnpinnedModule installs the hook into a scratch repository
// with a foreign pre-commit hook, and checks that a commit adding an
// unpinned module is blocked, that the foreign hook still runs, and that
// the commit goes through after `pinline pin`.
func TestHookBlocksUnpinnedModule(t *testing.T) {
	t.Parallel()
	bin := pinlineBin(t)
	env := upstream(t)
	dir := scratchRepo(t)
	marker := filepath.Join(t.TempDir(), "foreign-ran")
	writeFile(t, filepath.Join(dir, ".git", "hooks", "pre-commit"), "#!/bin/sh\ntouch '"+marker+"'\n", 0o755)

	requireCheck(t, bin)
	args := []string{"hooks", "install"}
	if out, err := run(t, dir, env, bin, args...); err != nil || !strings.Contains(out, "installed") {
		t.Fatalf("hooks install: %v\n%s", err, out)
	}
	if out, err := run(t, dir, env, bin, args...); err != nil || !strings.Contains(out, "unchanged") {
		t.Fatalf("second hooks install: %v\n%s", err, out)
	}

	// Nothing pinline looks at: the hook lets the commit through.
	writeFile(t, filepath.Join(dir, "README.md"), "hello\n", 0o644)
	mustGit(t, dir, "add", "README.md")
	if out, err := run(t, dir, env, "git", "commit", "-q", "-m", "readme"); err != nil {
		t.Fatalf("commit without relevant files blocked: %v\n%s", err, out)
	}

	dj := `{
  "name": "app",
  "sdk": {"source": "github.com/acme/tools@v1.0.0"},
  "dependencies": [
    {
      "name": "tools",
      "source": "github.com/acme/tools@v1.0.0"
    },
    "github.com/acme/tools/legacy@v1.0.0"
  ]
}
`
	writeFile(t, filepath.Join(dir, "dagger.json"), dj, 0o644)
	mustGit(t, dir, "add", "dagger.json")
	_ = os.Remove(marker)
	out, err := run(t, dir, env, "git", "commit", "-q", "-m", "add tools")
	if err == nil {
		t.Fatalf("commit with an unpinned module was allowed:\n%s", out)
	}
	if !strings.Contains(out, "commit blocked") || !strings.Contains(out, "github.com/acme/tools@v1.0.0") {
		t.Errorf("block message does not name the module:\n%s", out)
	}
	if _, err := os.Stat(marker); err != nil {
		t.Error("chained foreign hook did not run")
	}

	if out, err := run(t, dir, env, bin, "pin"); err != nil {
		t.Fatalf("pinline pin: %v\n%s", err, out)
	}
	pinned, _ := os.ReadFile(filepath.Join(dir, "dagger.json"))
	if !strings.Contains(string(pinned), `"pin": "`) {
		t.Fatalf("dagger.json not pinned:\n%s", pinned)
	}
	mustGit(t, dir, "add", "dagger.json")
	if out, err := run(t, dir, env, "git", "commit", "-q", "-m", "add tools"); err != nil {
		t.Fatalf("commit after pinline pin blocked: %v\n%s", err, out)
	}

	// Only staged files count: an unpinned module that is not staged does
	// not block an unrelated commit.
	writeFile(t, filepath.Join(dir, "other", "dagger.json"), `{"name":"other","dependencies":[{"name":"t","source":"github.com/acme/tools@v1.0.0"}]}`, 0o644)
	writeFile(t, filepath.Join(dir, "dagger.json"), string(pinned)+"\n", 0o644)
	mustGit(t, dir, "add", "dagger.json")
	if out, err := run(t, dir, env, "git", "commit", "-q", "-m", "touch dagger.json"); err != nil {
		t.Fatalf("commit blocked by an unstaged file: %v\n%s", err, out)
	}

	// Uninstall puts the foreign hook back.
	if out, err := run(t, dir, env, bin, "hooks", "install", "--uninstall"); err != nil || !strings.Contains(out, "removed") {
		t.Fatalf("uninstall: %v\n%s", err, out)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, ".git", "hooks", "pre-commit")); !strings.Contains(string(b), marker) {
		t.Error("foreign hook not restored")
	}
}
