package inventory

import (
	"regexp"
	"strings"
)

var (
	reCommit = regexp.MustCompile(`^[0-9a-f]{40}([0-9a-f]{24})?$`)
	// A version-looking ref, optionally prefixed by a module path inside a
	// monorepo (k3s/v0.11.1, go/v0.9.0) or refs/tags/.
	reVersion = regexp.MustCompile(`^(?:[A-Za-z0-9._-]+/)*v?[0-9]+(?:\.[0-9]+)*(?:[-+][0-9A-Za-z.+-]+)?$`)
)

// IsCommit reports whether s is a full git commit id (40 hex, or 64 hex
// for sha256 repositories).
func IsCommit(s string) bool { return reCommit.MatchString(s) }

// RefKind classifies what follows @ in a module source: "commit" (full
// hex id), "tag" (looks like a version: v1.2.3, 2.0.10, k3s/v0.11.1,
// refs/tags/...), "branch" (anything else) or "none" (empty).
func RefKind(ref string) string {
	switch {
	case ref == "":
		return "none"
	case IsCommit(ref):
		return "commit"
	case strings.HasPrefix(ref, "refs/tags/"):
		return "tag"
	case strings.HasPrefix(ref, "refs/heads/"):
		return "branch"
	case reVersion.MatchString(ref):
		return "tag"
	}
	return "branch"
}

// IsRemoteSource reports whether a module source names a git remote
// rather than a path in the same repository. The rule follows the Dagger
// CLI: explicit schemes and git@host: are remote; "." / ".." / "/"
// prefixes are local; otherwise the source is remote when its first path
// element looks like a host (contains a dot, e.g. github.com/...) or the
// source carries an @ref; bare names ("gh", "deps/golang") are local
// child directories.
func IsRemoteSource(src string) bool {
	switch {
	case src == "":
		return false
	case strings.Contains(src, "://"), strings.HasPrefix(src, "git@"):
		return true
	case strings.HasPrefix(src, "."), strings.HasPrefix(src, "/"):
		return false
	}
	first, _, _ := strings.Cut(src, "/")
	first, _, _ = strings.Cut(first, "@")
	return strings.Contains(first, ".") || strings.Contains(src, "@")
}

// ParseRemoteRef parses a remote module source such as
// github.com/org/repo/sub/path@v1.2.3, https://host/org/repo.git/sub@ref or
// git@host:org/repo@ref. The repository is the path up to a ".git"
// element, otherwise the first two path elements.
func ParseRemoteRef(src string) *RemoteRef {
	r := &RemoteRef{}
	s := src
	scheme := "https://"
	if i := strings.Index(s, "://"); i >= 0 {
		scheme = s[:i+3]
		s = s[i+3:]
		if at := strings.IndexByte(s, '@'); at >= 0 && at < strings.IndexByte(s+"/", '/') {
			s = s[at+1:] // user@host
		}
	} else if strings.HasPrefix(s, "git@") {
		scheme = "ssh://git@"
		s = strings.Replace(s[len("git@"):], ":", "/", 1)
	}
	if i := strings.LastIndexByte(s, '@'); i >= 0 {
		r.Ref = s[i+1:]
		s = s[:i]
	}
	r.RefKind = RefKind(r.Ref)
	parts := strings.Split(strings.Trim(s, "/"), "/")
	r.Host = parts[0]
	parts = parts[1:]
	n := 2
	for i, p := range parts {
		if strings.HasSuffix(p, ".git") {
			n = i + 1
			break
		}
	}
	if n > len(parts) {
		n = len(parts)
	}
	r.Repo = strings.TrimSuffix(strings.Join(parts[:n], "/"), ".git")
	r.Subpath = strings.Join(parts[n:], "/")
	if strings.HasPrefix(scheme, "ssh://") {
		r.CloneURL = scheme + r.Host + "/" + r.Repo + ".git"
	} else {
		r.CloneURL = scheme + r.Host + "/" + r.Repo
	}
	return r
}

// pinned reports whether a remote source is pinned to a commit: a pin
// field holding a commit id, or an @<commit> ref.
func pinned(remote *RemoteRef, pin string) bool {
	return remote != nil && (IsCommit(pin) || remote.RefKind == "commit")
}

// newDependency classifies a module source.
func newDependency(pos Position, kind, name, src, pin string, legacy bool) Dependency {
	d := Dependency{Pos: pos, Kind: kind, Name: name, Source: src, Pin: pin, Legacy: legacy}
	if IsRemoteSource(src) {
		d.Remote = ParseRemoteRef(src)
		d.Pinned = pinned(d.Remote, pin)
		if d.Name == "" {
			d.Name = lastElem(d.Remote.Subpath, d.Remote.Repo)
		}
	} else {
		d.Local = true
		if d.Name == "" {
			d.Name = lastElem(src, src)
		}
	}
	return d
}

func lastElem(p, fallback string) string {
	p = strings.Trim(p, "/")
	if p == "" {
		p = strings.Trim(fallback, "/")
	}
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[i+1:]
	}
	return p
}
