package oci

import (
	"errors"
	"net/http"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/pinline/pinline/internal/errclass"
)

// Media and artifact types pinline writes and reads.
const (
	// ArtifactTypeBundle is a sigstore bundle v0.3 (the provenance).
	ArtifactTypeBundle = "application/vnd.dev.sigstore.bundle.v0.3+json"
	// ArtifactTypeCycloneDX is a CycloneDX JSON SBOM.
	ArtifactTypeCycloneDX = "application/vnd.cyclonedx+json"
	// ArtifactTypeInToto is cosign's OCI 1.1 attestation referrer (DSSE
	// envelope layers; cosign --registry-referrers-mode oci-1-1).
	ArtifactTypeInToto = "application/vnd.in-toto+json"
	// MediaTypeDSSE is a DSSE envelope, a layer of a cosign .att image.
	MediaTypeDSSE = "application/vnd.dsse.envelope.v1+json"
	// MediaTypeEmpty is the empty JSON config of an artifact manifest.
	MediaTypeEmpty = "application/vnd.oci.empty.v1+json"

	// AnnotationBundlePredicate names the predicate type of a bundle referrer.
	AnnotationBundlePredicate = "dev.sigstore.bundle.predicateType"
	// AnnotationBundleContent says what the bundle holds ("dsse-envelope").
	AnnotationBundleContent = "dev.sigstore.bundle.content"
	// AnnotationPredicate is cosign's predicate type annotation on .att layers.
	AnnotationPredicate = "predicateType"
	// AnnotationCosignSignature is cosign's (empty for attestations)
	// signature annotation on .att layers.
	AnnotationCosignSignature = "dev.cosignproject.cosign/signature"
)

// Kinds of fetched evidence.
const (
	KindBundle = "bundle" // a sigstore bundle referrer
	KindDSSE   = "dsse"   // a DSSE envelope layer of the .att tag
	KindSBOM   = "sbom"   // a CycloneDX referrer (not signed on its own)
)

// Errors callers branch on. ErrHostile (a referrer about another digest, a
// blob that does not match its digest, a size or count over the limits) is
// a verification failure: the registry served evidence that cannot be
// trusted.
var (
	ErrHostile = errclass.New(errclass.ErrDenied, "registry served untrustworthy evidence")
	ErrNoImage = errclass.New(errclass.ErrBadInput, "image not found")
)

// Limits bound what Fetch reads from a registry.
type Limits struct {
	// Manifest is the largest manifest or index accepted (default 4 MiB).
	Manifest int64
	// Blob is the largest attestation or SBOM blob (default 32 MiB).
	Blob int64
	// Referrers is the most referrers and .att layers considered (default 256).
	Referrers int
}

func (l Limits) withDefaults() Limits {
	if l.Manifest <= 0 {
		l.Manifest = 4 << 20
	}
	if l.Blob <= 0 {
		l.Blob = 32 << 20
	}
	if l.Referrers <= 0 {
		l.Referrers = 256
	}
	return l
}

// Options configure registry access.
type Options struct {
	// Keychain supplies registry credentials: the operator's (a docker
	// config), never the repository's. Default: anonymous.
	Keychain authn.Keychain
	// Transport is the HTTP transport (default http.DefaultTransport).
	Transport http.RoundTripper
	Limits    Limits
}

func (o Options) remote(ctxOpt remote.Option) []remote.Option {
	l := o.Limits.withDefaults()
	tr := o.Transport
	if tr == nil {
		tr = http.DefaultTransport
	}
	kc := o.Keychain
	if kc == nil {
		kc = authn.NewMultiKeychain() // anonymous
	}
	return []remote.Option{ctxOpt, remote.WithAuthFromKeychain(kc),
		// Every response body is bounded, the referrers index included
		// (fetched without a descriptor to size it by).
		remote.WithTransport(&limitTransport{next: tr, max: max(l.Manifest, l.Blob)}),
		remote.WithRetryBackoff(remote.Backoff{Steps: 1}),
		remote.WithReferrersTagFallback(true)}
}

// errorsIsHostile reports whether err is ErrHostile.
func errorsIsHostile(err error) bool { return errors.Is(err, ErrHostile) }
