package pin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// ImageResolver resolves an image reference with a tag to the digest of the
// manifest (or index) the tag points to.
type ImageResolver interface {
	Digest(ctx context.Context, ref string) (string, error)
}

// Registry resolves image tags against their registries with
// go-containerregistry. Loopback registries (127.0.0.1, localhost) are
// spoken to over plain HTTP, as go-containerregistry does by default.
type Registry struct {
	// Keychain provides credentials; nil means authn.DefaultKeychain (the
	// docker config file and credential helpers).
	Keychain authn.Keychain
	// Transport is the HTTP transport; nil means remote.DefaultTransport.
	Transport http.RoundTripper
}

// Digest returns the digest the tag of ref points to. Errors reaching the
// registry are *NetworkError; a tag that does not exist wraps ErrNotFound.
func (r *Registry) Digest(ctx context.Context, ref string) (string, error) {
	parsed, err := name.ParseReference(ref)
	if err != nil {
		return "", fmt.Errorf("parse image reference %q: %w", ref, err)
	}
	kc := r.Keychain
	if kc == nil {
		kc = authn.DefaultKeychain
	}
	opts := []remote.Option{remote.WithContext(ctx), remote.WithAuthFromKeychain(kc)}
	if r.Transport != nil {
		opts = append(opts, remote.WithTransport(r.Transport))
	}
	desc, err := remote.Head(parsed, opts...)
	if err != nil {
		// Some registries refuse HEAD; GET tells the truth.
		d, gerr := remote.Get(parsed, opts...)
		if gerr != nil {
			return "", classifyRegistryErr(ref, parsed.Context().RegistryStr(), gerr)
		}
		return d.Digest.String(), nil
	}
	return desc.Digest.String(), nil
}

func classifyRegistryErr(ref, host string, err error) error {
	var te *transport.Error
	if errors.As(err, &te) {
		if te.StatusCode == http.StatusNotFound {
			return fmt.Errorf("image %s (registry %s): %w", ref, host, ErrNotFound)
		}
		for _, d := range te.Errors {
			if d.Code == transport.ManifestUnknownErrorCode || d.Code == transport.NameUnknownErrorCode {
				return fmt.Errorf("image %s (registry %s): %w", ref, host, ErrNotFound)
			}
		}
	}
	return &NetworkError{Ref: ref, Host: host, Err: err}
}

// imageTarget returns the reference to resolve for an image written as
// text, and the text to insert after it to pin it. pinned is the digest
// already present, if any.
func imageTarget(text string) (resolve, insertSuffix, pinned string, ok bool) {
	if text == "" || strings.ContainsAny(text, " \t\n\"'`$%{}") || strings.Contains(text, "://") {
		return "", "", "", false
	}
	base, digest, hasDigest := strings.Cut(text, "@")
	if hasDigest {
		if _, err := name.NewDigest(text); err != nil {
			return "", "", "", false
		}
		if _, err := name.NewTag(base); err != nil || !hasTag(base) {
			// Digest only: pinned, but no tag to verify against.
			return "", "", digest, true
		}
		return base, "", digest, true
	}
	if _, err := name.NewTag(text); err != nil {
		return "", "", "", false
	}
	if hasTag(text) {
		return text, "", "", true
	}
	return text + ":latest", ":latest", "", true
}

// hasTag reports whether an image reference without digest has an explicit
// tag (a colon after the last slash).
func hasTag(ref string) bool {
	i := strings.LastIndex(ref, "/")
	return strings.Contains(ref[i+1:], ":")
}
