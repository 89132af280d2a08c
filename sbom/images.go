package sbom

import (
	"fmt"
	"strings"

	cdx "github.com/CycloneDX/cyclonedx-go"
	"github.com/package-url/packageurl-go"
)

// image is a normalised container image reference.
type image struct {
	Registry   string // docker.io for Docker Hub
	Repository string // library/alpine for official images
	Tag        string
	Digest     string // algorithm:hex
}

// parseImageRef splits a reference such as
// registry:5000/org/app:1.2@sha256:... into its parts, using Docker's
// defaults (docker.io, library/).
func parseImageRef(ref string) (image, error) {
	var im image
	rest := strings.TrimSpace(ref)
	if name, dig, ok := strings.Cut(rest, "@"); ok {
		rest, im.Digest = name, dig
	}
	if i := strings.LastIndex(rest, ":"); i >= 0 && !strings.Contains(rest[i+1:], "/") {
		rest, im.Tag = rest[:i], rest[i+1:]
	}
	first, remainder, hasSlash := strings.Cut(rest, "/")
	if hasSlash && (strings.ContainsAny(first, ".:") || first == "localhost") {
		im.Registry, im.Repository = first, remainder
	} else {
		im.Repository = rest
	}
	im = im.normalise()
	return im, im.check(ref)
}

// check rejects references pinline cannot describe faithfully; the
// grammar is the OCI distribution one (lower-case repository, tag of
// [A-Za-z0-9_.-] up to 128 characters, host[:port] registry).
func (im image) check(ref string) error {
	switch {
	case !validPath(im.Repository) || !only(im.Repository, "abcdefghijklmnopqrstuvwxyz0123456789._-/"):
		return fmt.Errorf("image reference %q: invalid repository %q", ref, im.Repository)
	case !only(im.Registry, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]") || im.Registry == "":
		return fmt.Errorf("image reference %q: invalid registry %q", ref, im.Registry)
	case im.Tag != "" && (len(im.Tag) > 128 || strings.IndexAny(im.Tag[:1], ".-") == 0 ||
		!only(im.Tag, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")):
		return fmt.Errorf("image reference %q: invalid tag %q", ref, im.Tag)
	case im.Digest != "":
		if _, ok := digestHash(im.Digest); !ok {
			return fmt.Errorf("image reference %q: digest %q is not sha256:<64 hex> or sha512:<128 hex>", ref, im.Digest)
		}
	}
	return nil
}

func only(s, chars string) bool {
	for _, r := range s {
		if !strings.ContainsRune(chars, r) {
			return false
		}
	}
	return true
}

func (im image) normalise() image {
	switch im.Registry {
	case "", "index.docker.io", "registry-1.docker.io":
		im.Registry = "docker.io"
	}
	if im.Registry == "docker.io" && im.Repository != "" && !strings.Contains(im.Repository, "/") {
		im.Repository = "library/" + im.Repository
	}
	return im
}

// name is registry/repository.
func (im image) name() string { return im.Registry + "/" + im.Repository }

// String is the full reference.
func (im image) String() string {
	s := im.name()
	if im.Tag != "" {
		s += ":" + im.Tag
	}
	if im.Digest != "" {
		s += "@" + im.Digest
	}
	return s
}

func (im image) ref() string { return "image:" + im.String() }

// purl is pkg:oci/<name>@<digest>?repository_url=<registry/repository>&tag=<tag>.
func (im image) purl() string {
	last := im.Repository
	if i := strings.LastIndex(last, "/"); i >= 0 {
		last = last[i+1:]
	}
	q := packageurl.Qualifiers{{Key: "repository_url", Value: im.name()}}
	if im.Tag != "" {
		q = append(q, packageurl.Qualifier{Key: "tag", Value: im.Tag})
	}
	return packageurl.NewPackageURL(packageurl.TypeOCI, "", strings.ToLower(last), im.Digest, q, "").ToString()
}

// component is the container component of the image.
func (im image) component() *cdx.Component {
	c := &cdx.Component{
		BOMRef: im.ref(), Type: cdx.ComponentTypeContainer, Name: im.name(),
		Version: im.Digest, PackageURL: im.purl(),
	}
	if c.Version == "" {
		c.Version = im.Tag
	}
	if h, ok := digestHash(im.Digest); ok {
		c.Hashes = &[]cdx.Hash{h}
	}
	addProp(c, "image:tag", im.Tag)
	if im.Digest == "" {
		addProp(c, "image:pinned", "false")
	}
	return c
}

// validPath reports whether p is slash-separated non-empty segments other
// than "." and "..".
func validPath(p string) bool {
	for _, seg := range strings.Split(p, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return false
		}
	}
	return true
}

// digestHash turns sha256:hex (or sha512:hex) into a CycloneDX hash.
func digestHash(d string) (cdx.Hash, bool) {
	alg, hex, ok := strings.Cut(d, ":")
	if !ok || !isHex(hex) {
		return cdx.Hash{}, false
	}
	switch {
	case alg == "sha256" && len(hex) == 64:
		return cdx.Hash{Algorithm: cdx.HashAlgoSHA256, Value: hex}, true
	case alg == "sha512" && len(hex) == 128:
		return cdx.Hash{Algorithm: cdx.HashAlgoSHA512, Value: hex}, true
	}
	return cdx.Hash{}, false
}

func isHex(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}
