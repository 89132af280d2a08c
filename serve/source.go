package serve

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/pinline/pinline/inventory"
	"github.com/pinline/pinline/pipeline"
	"github.com/pinline/pinline/spec"
)

var (
	fullCommit = regexp.MustCompile(`^[0-9a-f]{40}$`)
	taskName   = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$`)
)

// Limits of a submission.
const (
	maxTasks    = 64
	maxURLBytes = 2048
)

// checkSubmission validates what a client may choose, before anything is
// fetched: a repository URL under one of the tier's prefixes, a full
// 40-hex commit, a relative spec path that stays in the repository, task
// names. Errors are for the client (4xx).
func checkSubmission(t *Tier, req *SubmitRequest) error {
	if req.Repository == "" {
		return fmt.Errorf("repository: missing")
	}
	if len(req.Repository) > maxURLBytes {
		return fmt.Errorf("repository: longer than %d bytes", maxURLBytes)
	}
	u, err := url.Parse(req.Repository)
	if err != nil {
		return fmt.Errorf("repository: %v", err)
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return fmt.Errorf("repository: %q: want an http(s) URL without user, query or fragment", req.Repository)
	}
	if u.String() != req.Repository || path.Clean(u.Path) != strings.TrimSuffix(u.Path, "/") && path.Clean(u.Path) != u.Path {
		return fmt.Errorf("repository: %q is not in canonical form (no dot segments, escapes or double slashes)", req.Repository)
	}
	if strings.Contains(u.Path, "//") || slices.Contains(strings.Split(u.Path, "/"), "..") {
		return fmt.Errorf("repository: %q: no dot segments or double slashes", req.Repository)
	}
	allowed := false
	for _, p := range t.Repositories {
		if strings.HasPrefix(req.Repository, p) && len(req.Repository) > len(p) {
			allowed = true
			break
		}
	}
	if !allowed {
		return fmt.Errorf("repository: %q is not under a repository prefix tier %q may build from", req.Repository, t.Name)
	}
	if !fullCommit.MatchString(req.Commit) {
		return fmt.Errorf("commit: %q is not a full 40-hex commit id (branches, tags and short ids are refused: the server builds exactly the commit named)", req.Commit)
	}
	if err := checkSpecPath(req.Spec); err != nil {
		return err
	}
	if len(req.Tasks) > maxTasks {
		return fmt.Errorf("tasks: at most %d", maxTasks)
	}
	for _, n := range req.Tasks {
		if !taskName.MatchString(n) {
			return fmt.Errorf("tasks: %q is not a task name", n)
		}
	}
	return nil
}

// checkSpecPath refuses a spec path that is absolute, has dot segments or
// backslashes, or is not a plain relative slash path.
func checkSpecPath(p string) error {
	if p == "" {
		return fmt.Errorf("spec: missing")
	}
	if len(p) > 1024 || strings.ContainsAny(p, "\\\x00") || path.IsAbs(p) || path.Clean(p) != p || p == "." ||
		slices.Contains(strings.Split(p, "/"), "..") {
		return fmt.Errorf("spec: %q must be a clean relative path inside the repository", p)
	}
	return nil
}

// gitEnv is the whole environment of the server's git: no global or
// system configuration (HOME is the empty workspace parent), no prompts.
func gitEnv(home string) []string {
	return []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null",
		"GIT_TERMINAL_PROMPT=0", "GIT_ASKPASS=/bin/false", "SSH_ASKPASS=/bin/false", "LC_ALL=C"}
}

// gitHardening are the options of the server's git besides
// pipeline.GitSafety: only http(s) transports, no submodules, checked
// objects.
var gitHardening = []string{"-c", "protocol.allow=never", "-c", "protocol.https.allow=always", "-c", "protocol.http.allow=always",
	"-c", "submodule.recurse=false", "-c", "transfer.fsckObjects=true", "-c", "core.symlinks=true",
	"-c", "http.followRedirects=false", "-c", "credential.helper="}

// fetchSource fetches exactly commit from repo into dir (which must exist
// and be empty) and checks it out. The remote origin is set to repo so the
// run record names it.
func fetchSource(ctx context.Context, dir, repo, commit string) error {
	home := filepath.Dir(dir)
	git := func(args ...string) error {
		full := append(append(append(pipeline.GitSafety(), gitHardening...), "-C", dir), args...)
		cmd := exec.CommandContext(ctx, "git", full...)
		cmd.Env = gitEnv(home)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			msg := strings.TrimSpace(stderr.String())
			if len(msg) > 400 {
				msg = msg[:400] + "…"
			}
			return fmt.Errorf("git %s: %v: %s", args[0], err, msg)
		}
		return nil
	}
	if err := git("init", "-q"); err != nil {
		return err
	}
	if err := git("remote", "add", "origin", repo); err != nil {
		return err
	}
	// Fetch the commit by id (protocol v2 servers allow it); a server that
	// refuses wants by id gets a fetch of its refs instead, and the commit
	// must then be among them.
	if err := git("fetch", "-q", "--no-tags", "--depth=1", "origin", commit); err != nil {
		if err2 := git("fetch", "-q", "--no-tags", "origin", "+refs/heads/*:refs/remotes/origin/*", "+refs/tags/*:refs/tags/*"); err2 != nil {
			return err2
		}
	}
	if err := git("-c", "advice.detachedHead=false", "checkout", "-q", "--detach", commit+"^{commit}"); err != nil {
		return fmt.Errorf("commit %s is not in %s: %w", commit, repo, err)
	}
	out, err := exec.CommandContext(ctx, "git", append(pipeline.GitSafety(), "-C", dir, "rev-parse", "HEAD")...).Output()
	if err != nil {
		return fmt.Errorf("git rev-parse: %w", err)
	}
	if got := strings.TrimSpace(string(out)); got != commit {
		return fmt.Errorf("checked out %s, want %s", got, commit)
	}
	return nil
}

// loadSpec checks the spec path inside the checkout after resolving
// symlinks, parses it and checks the requested tasks against it.
func loadSpec(root, rel string, tasks []string) (*spec.Spec, error) {
	real, inside := inventory.ResolveIn(root, rel)
	if !inside {
		return nil, fmt.Errorf("spec: %s resolves outside the repository (a symlink)", rel)
	}
	fi, err := os.Lstat(real)
	if err != nil {
		return nil, fmt.Errorf("spec: %s: not in the repository at this commit", rel)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("spec: %s is not a regular file", rel)
	}
	if fi.Size() > 1<<20 {
		return nil, fmt.Errorf("spec: %s is larger than 1 MiB", rel)
	}
	// The spec is loaded from its place in the tree (its directory is the
	// repository root of the run, as for pinline run -f).
	sp, err := spec.Load(filepath.Join(root, rel))
	if err != nil {
		return nil, fmt.Errorf("spec: %w", err)
	}
	if err := pipeline.CheckPlan(sp, tasks); err != nil {
		return nil, err
	}
	return sp, nil
}
