package sbom

import (
	"path"
	"strings"

	cdx "github.com/CycloneDX/cyclonedx-go"
	"github.com/package-url/packageurl-go"

	"github.com/pinline/pinline/inventory"
)

// remoteModule is a Dagger module fetched from git.
type remoteModule struct {
	Name    string
	Host    string
	Repo    string // org/repo
	Subpath string
	Ref     string // tag, branch or commit as written
	Commit  string // resolved 40-hex commit, "" when unknown
	Clone   string // clone URL
	Kind    string // dependency, toolchain, sdk, workspace, lock, ...
	PinVia  string // where the commit came from: ref, pin, dagger.lock
}

func isCommit(s string) bool { return len(s) == 40 && isHex(s) }

// parseModuleSource parses host/org/repo[/sub/path][@ref] as written in
// dagger.json. ok is false for local paths.
func parseModuleSource(src string) (inventory.RemoteRef, bool) {
	src = strings.TrimPrefix(strings.TrimPrefix(src, "https://"), "git@")
	loc, ref, _ := strings.Cut(src, "@")
	loc = strings.TrimSuffix(strings.Replace(loc, ":", "/", 1), ".git")
	loc = strings.Trim(loc, "/")
	parts := strings.Split(loc, "/")
	bad := func(r rune) bool { return r <= ' ' || r == 0x7f || strings.ContainsRune("?#%\\\"'<>@", r) }
	if len(parts) < 3 || !strings.Contains(parts[0], ".") || strings.HasPrefix(src, ".") ||
		!validPath(loc) || strings.IndexFunc(loc, bad) >= 0 {
		return inventory.RemoteRef{}, false
	}
	r := inventory.RemoteRef{Host: parts[0], Repo: parts[1] + "/" + strings.TrimSuffix(parts[2], ".git"),
		Subpath: strings.Join(parts[3:], "/"), Ref: ref, RefKind: "none"}
	switch {
	case isCommit(ref):
		r.RefKind = "commit"
	case ref != "":
		r.RefKind = "tag"
	}
	r.CloneURL = "https://" + r.Host + "/" + r.Repo
	return r, true
}

func newRemoteModule(name, kind, pin string, r *inventory.RemoteRef, locks lockIndex) remoteModule {
	m := remoteModule{Name: name, Host: r.Host, Repo: r.Repo, Subpath: strings.Trim(r.Subpath, "/"),
		Ref: r.Ref, Clone: r.CloneURL, Kind: kind}
	if m.Clone == "" {
		m.Clone = "https://" + r.Host + "/" + r.Repo
	}
	switch {
	case isCommit(pin):
		m.Commit, m.PinVia = strings.ToLower(pin), "pin"
	case isCommit(r.Ref):
		m.Commit, m.PinVia = strings.ToLower(r.Ref), "ref"
	default:
		if c, ok := locks.commit(r.Host, r.Repo, m.Subpath, r.Ref); ok {
			m.Commit, m.PinVia = c, "dagger.lock"
		}
	}
	if m.Name == "" {
		m.Name = path.Base(r.Repo)
		if m.Subpath != "" {
			m.Name = path.Base(m.Subpath)
		}
	}
	return m
}

// purl is pkg:github/org/repo@commit#subpath for GitHub and
// pkg:generic/name@commit?vcs_url=git+https://host/org/repo@commit#subpath
// for other hosts.
func (m remoteModule) purl() string {
	version := m.Commit
	if version == "" {
		version = m.Ref
	}
	if strings.EqualFold(m.Host, "github.com") {
		org, repo, _ := strings.Cut(strings.ToLower(m.Repo), "/")
		return packageurl.NewPackageURL(packageurl.TypeGithub, org, repo, version, nil, m.Subpath).ToString()
	}
	vcs := "git+" + m.Clone
	if version != "" {
		vcs += "@" + version
	}
	return packageurl.NewPackageURL(packageurl.TypeGeneric, "", path.Base(m.Repo), version,
		packageurl.Qualifiers{{Key: "vcs_url", Value: vcs}}, m.Subpath).ToString()
}

func (m remoteModule) ref() string { return "module:" + m.purl() }

func (m remoteModule) component() *cdx.Component {
	version := m.Ref
	if version == "" {
		version = m.Commit
	}
	c := &cdx.Component{
		BOMRef: m.ref(), Type: cdx.ComponentTypeLibrary, Name: m.Name, Version: version,
		Group: m.Host + "/" + m.Repo, PackageURL: m.purl(),
		ExternalReferences: &[]cdx.ExternalReference{{Type: cdx.ERTypeVCS, URL: m.vcsURL()}},
	}
	addProp(c, "module:kind", m.Kind)
	addProp(c, "module:subpath", m.Subpath)
	addProp(c, "module:ref", m.Ref)
	addProp(c, "module:commit", m.Commit)
	addProp(c, "module:pinned-by", m.PinVia)
	if m.Commit == "" {
		addProp(c, "module:pinned", "false")
	}
	return c
}

func (m remoteModule) vcsURL() string {
	u := m.Clone
	if m.Commit != "" {
		u += "@" + m.Commit
	}
	if m.Subpath != "" {
		u += "#" + m.Subpath
	}
	return u
}

// localModule is the component of a module in the repository itself, at
// dir (relative to the inventory root, "." for the root).
func localModule(dir, name string) *cdx.Component {
	if name == "" {
		name = path.Base(dir)
	}
	c := &cdx.Component{BOMRef: "module:local:" + dir, Type: cdx.ComponentTypeLibrary, Name: name}
	addProp(c, "module:local", "true")
	addProp(c, "module:path", dir)
	return c
}

// lockIndex maps the git entries of dagger.lock files (git.ref of
// lockfile versions 1 and 2, git-sha of the workspace betas) to commits,
// by remote (host/org/repo) and selector.
type lockIndex map[[2]string]string

func newLockIndex(entries []inventory.LockEntry) lockIndex {
	li := lockIndex{}
	for _, e := range entries {
		if remote, sel, commit, ok := e.GitPin(); ok {
			li[[2]string{remote, sel}] = commit
		}
	}
	return li
}

func (li lockIndex) commit(host, repo, subpath, ref string) (string, bool) {
	urls := []string{host + "/" + repo}
	if subpath != "" {
		urls = append([]string{host + "/" + repo + "/" + subpath}, urls...)
	}
	if ref == "" {
		return "", false
	}
	refs := []string{ref, "refs/tags/" + ref, "refs/heads/" + ref}
	for _, u := range urls {
		for _, r := range refs {
			if c, ok := li[[2]string{u, r}]; ok {
				return c, true
			}
		}
	}
	return "", false
}
