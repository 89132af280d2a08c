package spec

import (
	"net/url"
	"path"
	"strings"

	"gopkg.in/yaml.v3"
)

// Push publishes, from inside the engine, the commit checked out in a git
// repository of the task's finished container: HEAD of Dir is pushed to
// Branch or Tag (exactly one) of Remote. The host checkout is never
// touched. Remote must be on the operator's list for the run's tier (the
// secrets file's remotes, docs/secrets.md), which also gives the
// credential; outside tier local a remote not on it is denied by the gate
// (PL016) before anything runs. The pushed commit is a run output of type
// "git".
type Push struct {
	Remote string `json:"remote"`
	// Dir is the repository's work tree in the container (default: the
	// task's workdir).
	Dir    string `json:"dir,omitempty"`
	Branch string `json:"branch,omitempty"`
	Tag    string `json:"tag,omitempty"`
	Pos    Pos    `json:"pos"`
}

// Ref is the full ref the push updates: refs/heads/<branch> or
// refs/tags/<tag>.
func (p *Push) Ref() string {
	if p.Tag != "" {
		return "refs/tags/" + p.Tag
	}
	return "refs/heads/" + p.Branch
}

func (p *parser) push(n *yaml.Node, what string) *Push {
	ps := &Push{Pos: posOf(n)}
	what += " push"
	p.fields(n, what,
		val("remote", func(v *yaml.Node) {
			ps.Remote = p.str(v, what+" remote")
			if p.err == nil {
				if msg := CheckRemote(ps.Remote); msg != "" {
					p.fail(v, "%s remote %q %s", what, ps.Remote, msg)
				}
			}
		}),
		val("dir", func(v *yaml.Node) {
			ps.Dir = p.str(v, what+" dir")
			if p.err == nil && !path.IsAbs(ps.Dir) {
				p.fail(v, "%s dir %q must be an absolute path in the container", what, ps.Dir)
			}
		}),
		val("branch", func(v *yaml.Node) { ps.Branch = p.refName(v, what+" branch") }),
		val("tag", func(v *yaml.Node) { ps.Tag = p.refName(v, what+" tag") }),
	)
	switch {
	case p.err != nil:
	case ps.Remote == "":
		p.fail(n, "%s needs a remote", what)
	case (ps.Branch == "") == (ps.Tag == ""):
		p.fail(n, "%s needs exactly one of branch and tag", what)
	}
	return ps
}

func (p *parser) refName(n *yaml.Node, what string) string {
	s := p.str(n, what)
	if p.err == nil && !validRefName(s) {
		p.fail(n, "%s %q is not a valid git ref name", what, s)
	}
	return s
}

// validRefName is git check-ref-format's rules for a branch or tag name,
// restricted to a safe character set.
func validRefName(s string) bool {
	if s == "" || len(s) > 200 || strings.HasPrefix(s, "-") || strings.HasPrefix(s, "/") ||
		strings.HasSuffix(s, "/") || strings.HasSuffix(s, ".") || strings.HasSuffix(s, ".lock") ||
		strings.Contains(s, "..") || strings.Contains(s, "//") || strings.Contains(s, "@{") || s == "@" {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("._/-+", c)) {
			return false
		}
	}
	for _, e := range strings.Split(s, "/") {
		if strings.HasPrefix(e, ".") {
			return false
		}
	}
	return true
}

// CheckRemote checks a push remote (in a spec or in the operator's list):
// an http or https URL without credentials, query or fragment, whose path
// is clean and not percent-encoded, so that a prefix match on the text is a
// match on the repository. It returns "" when it is acceptable, else the
// reason.
func CheckRemote(remote string) string {
	if strings.ContainsAny(remote, "%\\ \t\r\n\x00") {
		return "must not contain %, backslashes or white space"
	}
	u, err := url.Parse(remote)
	switch {
	case err != nil:
		return "is not a URL"
	case u.Scheme != "http" && u.Scheme != "https":
		return "must be an http:// or https:// URL"
	case u.User != nil:
		return "must not carry credentials (the operator's remotes give them)"
	case u.Host == "" || u.Opaque != "":
		return "has no host"
	case u.RawQuery != "" || u.Fragment != "" || strings.ContainsAny(remote, "?#"):
		return "must not have a query or fragment"
	case u.Path == "" || u.Path == "/":
		return "must name a repository path"
	case path.Clean(u.Path) != strings.TrimSuffix(u.Path, "/") || strings.Contains(u.Path, "/./"):
		return `must have a clean path (no ".", ".." or empty elements)`
	}
	return ""
}

// RemoteAllowed reports whether remote is covered by an operator entry:
// equal to it, or under it when the entry ends in "/".
func RemoteAllowed(entry, remote string) bool {
	if strings.HasSuffix(entry, "/") {
		return strings.HasPrefix(remote, entry)
	}
	return entry == remote
}
