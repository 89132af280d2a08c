package pin

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"strings"

	"github.com/pinline/pinline/inventory"
)

// GitResolver lists the refs of git repositories and answers ancestry
// questions.
type GitResolver interface {
	// ListRefs returns the refs of the repository at cloneURL (full ref
	// name, and HEAD, to commit), annotated tags peeled to their commit.
	ListRefs(ctx context.Context, cloneURL string) (map[string]string, error)
	// IsAncestor reports whether commit ancestor is reachable from the
	// fullRef of the repository at cloneURL.
	IsAncestor(ctx context.Context, cloneURL, fullRef, ancestor string) (bool, error)
}

// Resolved is a ref resolved to a commit.
type Resolved struct {
	Commit string
	// FullRef is the ref that matched (refs/tags/v1, refs/heads/main, HEAD).
	FullRef string
	// Kind is "tag", "branch", "commit" or "ref".
	Kind string
}

// Rewrite maps clone URLs starting with From to To, like git's
// url.<To>.insteadOf = <From>. The longest matching From wins.
type Rewrite struct {
	From, To string
}

// Git resolves refs with the git CLI (git ls-remote; git fetch into a
// temporary bare repository for ancestry). git's own configuration,
// including url.*.insteadOf, applies as well.
type Git struct {
	// Bin is the git executable; empty means "git" from PATH.
	Bin string
	// Rewrites are applied to clone URLs before git sees them.
	Rewrites []Rewrite
	// Env is added to git's environment.
	Env []string
}

// RewriteURL applies the rewrites to u.
func (g *Git) RewriteURL(u string) string {
	best := -1
	for i, r := range g.Rewrites {
		if strings.HasPrefix(u, r.From) && (best < 0 || len(r.From) > len(g.Rewrites[best].From)) {
			best = i
		}
	}
	if best < 0 {
		return u
	}
	return g.Rewrites[best].To + strings.TrimPrefix(u, g.Rewrites[best].From)
}

func (g *Git) run(ctx context.Context, dir string, args ...string) ([]byte, error) {
	bin := g.Bin
	if bin == "" {
		bin = "git"
	}
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), "GIT_TERMINAL_PROMPT=0"), g.Env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if i := strings.LastIndex(msg, "\n"); i >= 0 {
			msg = msg[i+1:]
		}
		return out, fmt.Errorf("git %s: %w: %s", args[0], err, msg)
	}
	return out, nil
}

// ListRefs implements GitResolver with git ls-remote.
func (g *Git) ListRefs(ctx context.Context, cloneURL string) (map[string]string, error) {
	out, err := g.run(ctx, "", "ls-remote", "--", g.RewriteURL(cloneURL))
	if err != nil {
		return nil, &NetworkError{Ref: cloneURL, Host: hostOf(cloneURL), Err: err}
	}
	m := map[string]string{}
	peeled := map[string]string{}
	for _, line := range strings.Split(string(out), "\n") {
		sha, ref, ok := strings.Cut(strings.TrimSpace(line), "\t")
		if !ok {
			continue
		}
		if base, isPeeled := strings.CutSuffix(ref, "^{}"); isPeeled {
			peeled[base] = sha
			continue
		}
		m[ref] = sha
	}
	for ref, sha := range peeled {
		m[ref] = sha
	}
	return m, nil
}

// resolveRef finds ref among refs. ref may be empty (the default branch),
// a tag or branch name, a full ref name (refs/...) or a commit. Tags win
// over branches of the same name.
func resolveRef(refs map[string]string, cloneURL, ref string) (Resolved, error) {
	if inventory.IsCommit(ref) {
		return Resolved{Commit: ref, FullRef: ref, Kind: "commit"}, nil
	}
	var cands []string
	switch {
	case ref == "" || ref == "HEAD":
		cands = []string{"HEAD"}
	case strings.HasPrefix(ref, "refs/"):
		cands = []string{ref}
	default:
		cands = []string{"refs/tags/" + ref, "refs/heads/" + ref, "refs/" + ref}
	}
	for _, c := range cands {
		if sha, ok := refs[c]; ok {
			return Resolved{Commit: sha, FullRef: c, Kind: refKind(c)}, nil
		}
	}
	return Resolved{}, fmt.Errorf("ref %q in %s: %w", ref, cloneURL, ErrNotFound)
}

func refKind(full string) string {
	switch {
	case strings.HasPrefix(full, "refs/tags/"):
		return "tag"
	case strings.HasPrefix(full, "refs/heads/"), full == "HEAD":
		return "branch"
	}
	return "ref"
}

// IsAncestor implements GitResolver by fetching fullRef (commits only,
// --filter=tree:0 where the server allows it) into a temporary bare
// repository and asking git merge-base --is-ancestor.
func (g *Git) IsAncestor(ctx context.Context, cloneURL, fullRef, ancestor string) (bool, error) {
	if !inventory.IsCommit(ancestor) {
		return false, nil
	}
	dir, err := os.MkdirTemp("", "pinline-verify-")
	if err != nil {
		return false, err
	}
	defer os.RemoveAll(dir)
	if _, err := g.run(ctx, dir, "init", "-q", "--bare", "."); err != nil {
		return false, err
	}
	if _, err := g.run(ctx, dir, "fetch", "-q", "--no-tags", "--filter=tree:0", g.RewriteURL(cloneURL), "+"+fullRef+":refs/pinline/target"); err != nil {
		return false, &NetworkError{Ref: cloneURL + "@" + fullRef, Host: hostOf(cloneURL), Err: err}
	}
	_, err = g.run(ctx, dir, "merge-base", "--is-ancestor", ancestor, "refs/pinline/target")
	if err == nil {
		return true, nil
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		// 1: not an ancestor; 128: the pinned commit is not in the history.
		return false, nil
	}
	return false, err
}

func hostOf(cloneURL string) string {
	if u, err := url.Parse(cloneURL); err == nil && u.Host != "" {
		return u.Host
	}
	if u, err := url.Parse(cloneURL); err == nil && u.Scheme == "file" {
		return "localhost"
	}
	return cloneURL
}
