package spec

import (
	"fmt"
	"os"

	"gopkg.in/yaml.v3"
)

// SecretsFile is the operator's secrets configuration (`pinline run
// --secrets FILE`, $PINLINE_SECRETS): per tier, where each logical secret
// a spec names comes from. It lives outside the repository: outside tier
// local it is the only place secret sources come from.
//
//	version: 1
//	tiers:
//	  untrusted:
//	    npm-token: {env: PR_NPM_TOKEN}
//	  trusted:
//	    npm-token: {file: /etc/pinline/npm-token}
//	    deploy-key: {command: [/usr/local/bin/fetch-secret, deploy-key]}
//
// See docs/secrets.md.
type SecretsFile struct {
	// Path is the file it was read from.
	Path string
	// Tiers maps a tier name to its secrets by logical name.
	Tiers map[string]map[string]OperatorSecret
	// Remotes maps a tier name to the git remotes its tasks may push to
	// (see Remote).
	Remotes map[string][]Remote
}

// OperatorSecret is one logical secret of a tier and its source.
type OperatorSecret struct {
	Name string
	From SecretSource
	Pos  Pos
}

// Source returns the tier's source of the logical secret name.
func (f *SecretsFile) Source(tier, name string) (OperatorSecret, bool) {
	if f == nil {
		return OperatorSecret{}, false
	}
	s, ok := f.Tiers[tier][name]
	return s, ok
}

// LoadSecretsFile reads and parses a secrets file. Errors are *Error with
// the position (exit 2).
func LoadSecretsFile(path string) (*SecretsFile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &Error{File: path, Msg: fmt.Sprintf("read secrets file: %v", err)}
	}
	return ParseSecretsFile(path, data)
}

// ParseSecretsFile parses a secrets file (see SecretsFile).
func ParseSecretsFile(file string, data []byte) (*SecretsFile, error) {
	if len(data) > MaxSize {
		return nil, &Error{File: file, Msg: fmt.Sprintf("secrets file is larger than %d bytes", MaxSize)}
	}
	root, err := decodeYAML(file, data)
	if err != nil {
		return nil, err
	}
	p := &parser{file: file}
	f := &SecretsFile{Path: file, Tiers: map[string]map[string]OperatorSecret{}, Remotes: map[string][]Remote{}}
	hasVersion := false
	p.fields(root, "secrets file",
		val("version", func(v *yaml.Node) {
			hasVersion = true
			if n := p.int(v, "version"); p.err == nil && n != 1 {
				p.fail(v, "unsupported secrets file version %d (want 1)", n)
			}
		}),
		val("tiers", func(v *yaml.Node) { p.secretTiers(f, v) }),
		val("remotes", func(v *yaml.Node) { p.remoteTiers(f, v) }),
	)
	if p.err == nil && !hasVersion {
		p.fail(root, "missing version (want version: 1)")
	}
	if p.err != nil {
		return nil, p.err
	}
	if err := f.checkRemoteCredentials(); err != nil {
		return nil, err
	}
	return f, nil
}

func (p *parser) secretTiers(f *SecretsFile, n *yaml.Node) {
	if !p.kind(n, yaml.MappingNode, "tiers", "a mapping of tier name to secrets") {
		return
	}
	for i := 0; i+1 < len(n.Content) && p.err == nil; i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		tier := p.str(k, "tier name")
		if p.err != nil {
			return
		}
		if _, dup := f.Tiers[tier]; dup {
			p.fail(k, "duplicate tier %q", tier)
			return
		}
		if !validName(tier) {
			p.fail(k, "tier name %q must match [A-Za-z0-9][A-Za-z0-9._-]*", tier)
			return
		}
		secrets := map[string]OperatorSecret{}
		f.Tiers[tier] = secrets
		if p.alias(v) || !p.kind(v, yaml.MappingNode, "tier "+tier, "a mapping of secret name to source") {
			return
		}
		for j := 0; j+1 < len(v.Content) && p.err == nil; j += 2 {
			sk, sv := v.Content[j], v.Content[j+1]
			name := p.str(sk, "secret name")
			if p.err != nil {
				return
			}
			if _, dup := secrets[name]; dup {
				p.fail(sk, "duplicate secret %q in tier %s", name, tier)
				return
			}
			if !validName(name) {
				p.fail(sk, "secret name %q must match [A-Za-z0-9][A-Za-z0-9._-]*", name)
				return
			}
			if p.alias(sv) {
				return
			}
			what := fmt.Sprintf("tier %s secret %s", tier, name)
			src := p.source(sv, what)
			if p.err == nil && count(src.Env != "", src.File != "", src.Command != nil) != 1 {
				p.fail(sv, "%s needs exactly one of env, file and command", what)
			}
			secrets[name] = OperatorSecret{Name: name, From: src, Pos: posOf(sk)}
		}
	}
}
