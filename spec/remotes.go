package spec

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// Remote is a git remote the operator lets a tier push to (the secrets
// file's remotes), with the credential the push uses.
//
//	remotes:
//	  release:
//	    - url: https://git.example.internal/org/   # a prefix (ends in /) or one repository
//	      credential: git-push                     # a secret of tiers.release
//	      username: pinline                        # default "pinline"
//	      tunnel: false                            # true: reach it through the pinline host
type Remote struct {
	// URL is one repository, or every repository under it when it ends
	// in "/".
	URL string
	// Credential is the logical secret (of the same tier) sent as the
	// HTTP password; "" pushes without one.
	Credential string
	Username   string
	// Tunnel reaches the remote through the pinline process (a Dagger
	// host service), for a git server the engine's network cannot reach,
	// such as one on the control plane's loopback.
	Tunnel bool
	Pos    Pos
}

// Remote returns the first of the tier's remotes that covers url.
func (f *SecretsFile) Remote(tier, url string) (Remote, bool) {
	if f == nil {
		return Remote{}, false
	}
	for _, r := range f.Remotes[tier] {
		if RemoteAllowed(r.URL, url) {
			return r, true
		}
	}
	return Remote{}, false
}

// RemoteURLs lists the tier's remote entries (the gate's PL016 list).
func (f *SecretsFile) RemoteURLs(tier string) []string {
	out := []string{}
	if f == nil {
		return out
	}
	for _, r := range f.Remotes[tier] {
		out = append(out, r.URL)
	}
	return out
}

func (p *parser) remoteTiers(f *SecretsFile, n *yaml.Node) {
	if !p.kind(n, yaml.MappingNode, "remotes", "a mapping of tier name to a list of remotes") {
		return
	}
	for i := 0; i+1 < len(n.Content) && p.err == nil; i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		tier := p.str(k, "tier name")
		switch {
		case p.err != nil:
			return
		case f.Remotes[tier] != nil:
			p.fail(k, "duplicate tier %q in remotes", tier)
			return
		case !validName(tier):
			p.fail(k, "tier name %q must match [A-Za-z0-9][A-Za-z0-9._-]*", tier)
			return
		}
		list := []Remote{}
		p.list(v, "remotes "+tier, func(e *yaml.Node) { list = append(list, p.remote(e, tier)) })
		f.Remotes[tier] = list
	}
}

func (p *parser) remote(n *yaml.Node, tier string) Remote {
	r := Remote{Username: "pinline", Pos: posOf(n)}
	what := "remotes " + tier + " entry"
	p.fields(n, what,
		val("url", func(v *yaml.Node) {
			r.URL = p.str(v, what+" url")
			if p.err == nil {
				if msg := CheckRemote(r.URL); msg != "" {
					p.fail(v, "%s url %q %s", what, r.URL, msg)
				}
			}
		}),
		p.strField(what+" ", "credential", &r.Credential),
		val("username", func(v *yaml.Node) {
			r.Username = p.str(v, what+" username")
			if p.err == nil && (r.Username == "" || strings.ContainsAny(r.Username, ":@/ \t\r\n")) {
				p.fail(v, "%s username %q must be non-empty without ':', '@', '/' or white space", what, r.Username)
			}
		}),
		val("tunnel", func(v *yaml.Node) { r.Tunnel = p.bool(v, what+" tunnel") }),
	)
	if p.err == nil && r.URL == "" {
		p.fail(n, "%s needs a url", what)
	}
	return r
}

// checkRemoteCredentials checks, once the whole file is read, that each
// remote's credential is a secret of its tier.
func (f *SecretsFile) checkRemoteCredentials() error {
	for _, tier := range slices.Sorted(maps.Keys(f.Remotes)) {
		for _, r := range f.Remotes[tier] {
			if r.Credential == "" {
				continue
			}
			if _, ok := f.Tiers[tier][r.Credential]; !ok {
				return &Error{File: f.Path, Line: r.Pos.Line, Column: r.Pos.Column,
					Msg: fmt.Sprintf("remote %s: credential %q is not a secret of tier %s", r.URL, r.Credential, tier)}
			}
		}
	}
	return nil
}
