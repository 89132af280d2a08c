package servetest

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/pinline/pinline/internal/gitserver"
)

// ModuleGitAddr is where module git servers listen: Dagger v0.19.10 drops
// the port of http:// module refs, so a module dependency is served on
// port 80.
const ModuleGitAddr = "127.0.0.1:80"

// ModuleGitServer starts a git server on ModuleGitAddr (root: a temporary
// directory), closed at the end of the test. Another test (or engineer)
// may hold the port: it retries while the address is in use, for up to
// wait, then fails the test.
func ModuleGitServer(t testing.TB, wait time.Duration) *gitserver.Server {
	t.Helper()
	root := t.TempDir()
	deadline := time.Now().Add(wait)
	for {
		srv, err := gitserver.Start(ModuleGitAddr, root)
		if err == nil {
			t.Cleanup(func() { _ = srv.Close() })
			return srv
		}
		if !errors.Is(err, syscall.EADDRINUSE) || time.Now().After(deadline) {
			t.Fatalf("git server on %s: %v", ModuleGitAddr, err)
		}
		time.Sleep(2 * time.Second)
	}
}

// DepModule publishes a Go SDK module "dep" (function Greet(name) returns
// "hi <name> from dep") on srv as dep.git, tagged v1.0.0, and returns its
// commit. marker makes its source unique, so that nothing of an earlier
// test run is cached.
func DepModule(t testing.TB, srv *gitserver.Server, marker string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range map[string]string{
		"dagger.json": `{"name": "dep", "engineVersion": "v0.19.10", "sdk": {"source": "go"}}` + "\n",
		"main.go": "package main\n\ntype Dep struct{}\n\n// Greet greets (dep " + marker + ").\n" +
			"func (m *Dep) Greet(name string) string { return \"hi \" + name + \" from dep\" }\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	gitCommit(t, dir, "v1.0.0")
	c, err := srv.Publish("dep", dir)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// gitCommit makes dir a git repository (branch main) with one commit of
// everything in it, tagged tag: a fixed identity, no global or system git
// configuration.
func gitCommit(t testing.TB, dir, tag string) {
	t.Helper()
	git := func(args ...string) {
		cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.test", "GIT_COMMITTER_NAME=t",
			"GIT_COMMITTER_EMAIL=t@example.test", "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	git("init", "-q", "-b", "main")
	git("add", "-A")
	git("commit", "-q", "-m", "test")
	git("tag", tag)
}
