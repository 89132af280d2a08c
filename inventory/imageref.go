package inventory

import (
	"errors"
	"regexp"
	"strings"
)

// DefaultRegistry is the registry of references without a registry part.
const DefaultRegistry = "docker.io"

// ImageName is a parsed container image reference.
type ImageName struct {
	Registry   string
	Repository string
	Tag        string
	Digest     string
}

// ParseImageRef parses a container image reference such as
// "alpine", "golang:1.22-alpine", "ghcr.io/org/img:v1@sha256:<64 hex>" or
// "127.0.0.1:5000/pinline/go@sha256:<64 hex>". The registry defaults to
// docker.io and single-name repositories on docker.io get the library/
// prefix, like the Docker CLI. A digest must be algorithm:hex with a
// 64-hex sha256 (or 128-hex sha512).
func ParseImageRef(ref string) (ImageName, error) {
	var n ImageName
	if ref == "" {
		return n, errors.New("empty image reference")
	}
	if len(ref) > 4096 {
		return n, errors.New("image reference too long")
	}
	for _, c := range ref {
		if c <= ' ' || c == 0x7f || c > 0x7e {
			return n, errors.New("image reference contains whitespace or non-ASCII characters")
		}
	}
	name := ref
	if i := strings.IndexByte(name, '@'); i >= 0 {
		n.Digest = name[i+1:]
		name = name[:i]
		if err := checkDigest(n.Digest); err != nil {
			return ImageName{}, err
		}
	}
	// The registry is the first component when it looks like a host.
	first, rest, hasSlash := strings.Cut(name, "/")
	if hasSlash && (strings.ContainsAny(first, ".:") || first == "localhost") {
		n.Registry = first
		name = rest
		if first == "" || strings.ContainsAny(first, "@") {
			return ImageName{}, errors.New("invalid registry " + quote(first))
		}
	} else {
		n.Registry = DefaultRegistry
	}
	if i := strings.LastIndexByte(name, ':'); i >= 0 {
		n.Tag = name[i+1:]
		name = name[:i]
		if !validTag(n.Tag) {
			return ImageName{}, errors.New("invalid tag " + quote(n.Tag))
		}
	}
	if name == "" {
		return ImageName{}, errors.New("missing repository")
	}
	for _, comp := range strings.Split(name, "/") {
		if !validComponent(comp) {
			return ImageName{}, errors.New("invalid repository component " + quote(comp))
		}
	}
	if n.Registry == DefaultRegistry && !strings.Contains(name, "/") {
		name = "library/" + name
	}
	n.Repository = name
	return n, nil
}

// String returns the normalised reference registry/repository[:tag][@digest].
func (n ImageName) String() string {
	s := n.Registry + "/" + n.Repository
	if n.Tag != "" {
		s += ":" + n.Tag
	}
	if n.Digest != "" {
		s += "@" + n.Digest
	}
	return s
}

func quote(s string) string { return "\"" + s + "\"" }

func checkDigest(d string) error {
	alg, hex, ok := strings.Cut(d, ":")
	if !ok {
		return errors.New("digest " + quote(d) + " is not algorithm:hex")
	}
	want := map[string]int{"sha256": 64, "sha512": 128}[alg]
	if want == 0 {
		return errors.New("unsupported digest algorithm " + quote(alg))
	}
	if len(hex) != want || !isLowerHex(hex) {
		return errors.New("digest " + quote(d) + " is not " + alg + " with lower-case hex")
	}
	return nil
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return s != ""
}

func validTag(t string) bool {
	if t == "" || len(t) > 128 {
		return false
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		ok := c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' ||
			i > 0 && (c == '.' || c == '-')
		if !ok {
			return false
		}
	}
	return true
}

// validComponent checks a repository path component: lower-case
// alphanumerics separated by '.', '_', '__' or runs of '-'.
func validComponent(c string) bool {
	if c == "" {
		return false
	}
	alnum := func(b byte) bool { return b >= 'a' && b <= 'z' || b >= '0' && b <= '9' }
	if !alnum(c[0]) || !alnum(c[len(c)-1]) {
		return false
	}
	for i := 0; i < len(c); i++ {
		b := c[i]
		if !alnum(b) && b != '.' && b != '_' && b != '-' {
			return false
		}
		if b == '.' && i+1 < len(c) && !alnum(c[i+1]) {
			return false
		}
	}
	return true
}

// LooksLikeImage reports whether s is plausibly an image to pull: a valid
// reference that names a tag or a digest. It filters out enum values
// ("alpine"), versions ("1.22") and push targets without a tag, which
// appear in +default pragmas and parameter defaults.
//
// Strings that are not image references by context are not images
// either: a bare digest (fooImageDigest = "sha256:...", which parses as
// repository "sha256" with a tag) and a version pinned to a digest
// ("11.6.3@sha256:...", the version half of name + ":" + version).
func LooksLikeImage(s string) bool {
	if strings.HasPrefix(s, "sha256:") {
		return false
	}
	n, err := ParseImageRef(s)
	if err != nil {
		return false
	}
	if reVersionName.MatchString(strings.TrimPrefix(n.Repository, "library/")) && n.Registry == DefaultRegistry {
		return false
	}
	return n.Tag != "" || n.Digest != ""
}

// reVersionName matches a repository name that is a version number.
var reVersionName = regexp.MustCompile(`^v?[0-9]+(?:\.[0-9]+)*(?:[-+_][0-9a-z.]+)?$`)

// newImageRef builds an ImageRef from a raw reference. It returns false
// when the reference does not parse.
func newImageRef(pos Position, origin, via, name, ref string) (ImageRef, error) {
	n, err := ParseImageRef(ref)
	if err != nil {
		return ImageRef{}, err
	}
	return ImageRef{Pos: pos, Origin: origin, Via: via, Name: name, Ref: ref,
		Registry: n.Registry, Repository: n.Repository, Tag: n.Tag, Digest: n.Digest}, nil
}
