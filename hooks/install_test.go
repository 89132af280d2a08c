package hooks

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

var gitEnv = []string{
	"GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1",
	"GIT_AUTHOR_NAME=pinline", "GIT_AUTHOR_EMAIL=pinline@example.invalid",
	"GIT_COMMITTER_NAME=pinline", "GIT_COMMITTER_EMAIL=pinline@example.invalid",
}

func git(t testing.TB, dir string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), gitEnv...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func mustGit(t testing.TB, dir string, args ...string) string {
	t.Helper()
	out, err := git(t, dir, args...)
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return out
}

func scratchRepo(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	mustGit(t, dir, "init", "-q", "-b", "main")
	return dir
}

func writeFile(t testing.TB, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
}

func TestScriptQuoting(t *testing.T) {
	t.Parallel()
	s := Script("/opt/my tools/pinline", []string{"check", "--policy", "it's"}, false)
	for _, want := range []string{Marker, `pinline='/opt/my tools/pinline'`, `check --policy 'it'\''s' --`, ChainedName, "--cached"} {
		if !strings.Contains(s, want) {
			t.Errorf("script lacks %q:\n%s", want, s)
		}
	}
	if !strings.HasPrefix(s, "#!/bin/sh\n") {
		t.Error("no shebang")
	}
	if def := Script("", nil, false); !strings.Contains(def, "pinline=pinline") || !strings.Contains(def, " check --") {
		t.Errorf("defaults:\n%s", def)
	}
	if all := Script("", nil, true); strings.Contains(all, "xargs") || !strings.Contains(all, `"$pinline" check`+"\n") {
		t.Errorf("all files:\n%s", all)
	}
}

func TestInstallIdempotentChainsAndUninstalls(t *testing.T) {
	t.Parallel()
	dir := scratchRepo(t)
	hook := filepath.Join(dir, ".git", "hooks", "pre-commit")
	foreign := "#!/bin/sh\necho foreign\n"
	writeFile(t, hook, foreign, 0o755)

	ctx := t.Context()
	res, err := Install(ctx, Options{Dir: dir, Bin: "pinline"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Action != "installed" || res.Chained == "" {
		t.Fatalf("first install: %+v", res)
	}
	kept, _ := os.ReadFile(filepath.Join(dir, ".git", "hooks", ChainedName))
	if string(kept) != foreign {
		t.Errorf("foreign hook not kept: %q", kept)
	}
	first, _ := os.ReadFile(hook)
	res, err = Install(ctx, Options{Dir: dir, Bin: "pinline"})
	if err != nil || res.Action != "unchanged" {
		t.Fatalf("second install: %+v %v", res, err)
	}
	second, _ := os.ReadFile(hook)
	if string(first) != string(second) {
		t.Error("second install changed the hook")
	}
	res, err = Install(ctx, Options{Dir: dir, Bin: "/other/pinline"})
	if err != nil || res.Action != "updated" {
		t.Fatalf("install with another binary: %+v %v", res, err)
	}
	if st, _ := os.Stat(hook); st.Mode().Perm()&0o111 == 0 {
		t.Error("hook not executable")
	}

	res, err = Uninstall(ctx, Options{Dir: dir})
	if err != nil || res.Action != "removed" {
		t.Fatalf("uninstall: %+v %v", res, err)
	}
	back, _ := os.ReadFile(hook)
	if string(back) != foreign {
		t.Errorf("foreign hook not restored: %q", back)
	}
	res, err = Uninstall(ctx, Options{Dir: dir})
	if err != nil || res.Action != "not-installed" {
		t.Fatalf("second uninstall: %+v %v", res, err)
	}
	if b, _ := os.ReadFile(hook); string(b) != foreign {
		t.Error("uninstall touched a foreign hook")
	}
}

func TestInstallRefusesToLoseAHook(t *testing.T) {
	t.Parallel()
	dir := scratchRepo(t)
	hooksDir := filepath.Join(dir, ".git", "hooks")
	writeFile(t, filepath.Join(hooksDir, "pre-commit"), "#!/bin/sh\necho a\n", 0o755)
	writeFile(t, filepath.Join(hooksDir, ChainedName), "#!/bin/sh\necho b\n", 0o755)
	_, err := Install(t.Context(), Options{Dir: dir})
	if !errors.Is(err, ErrChainOccupied) {
		t.Fatalf("err = %v, want ErrChainOccupied", err)
	}
	if b, _ := os.ReadFile(filepath.Join(hooksDir, "pre-commit")); string(b) != "#!/bin/sh\necho a\n" {
		t.Error("pre-commit overwritten")
	}
}

func TestInstallOutsideRepository(t *testing.T) {
	t.Parallel()
	if _, err := Install(t.Context(), Options{Dir: t.TempDir()}); !errors.Is(err, ErrNotRepository) {
		t.Fatalf("install outside a git repository: %v, want ErrNotRepository", err)
	}
}

func TestInstallHonoursHooksPath(t *testing.T) {
	t.Parallel()
	dir := scratchRepo(t)
	mustGit(t, dir, "config", "core.hooksPath", ".githooks")
	res, err := Install(t.Context(), Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if res.Hook != filepath.Join(dir, ".githooks", "pre-commit") {
		t.Errorf("hook at %s", res.Hook)
	}
}
