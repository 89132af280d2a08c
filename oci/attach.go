package oci

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/pinline/pinline/internal/errclass"
)

// Evidence is what Attach writes for one image.
type Evidence struct {
	// Bundle is the sigstore bundle v0.3 of the attestation and Envelope
	// its DSSE envelope (the same signature); either may be empty.
	Bundle, Envelope []byte
	// PredicateType of the attested statement (annotations only: the
	// signed statement is what verification reads).
	PredicateType string
	// SBOM is a CycloneDX JSON document (optional).
	SBOM []byte
}

// Attached says where Attach put the evidence.
type Attached struct {
	Subject string `json:"subject"` // host/repo@sha256:...
	// Referrers are the digests of the referrer manifests written.
	Referrers []string `json:"referrers"`
	// AttTag is cosign's attestation tag (host/repo:sha256-<hex>.att).
	AttTag string `json:"attTag,omitempty"`
}

// ParseDigestRef parses host/repo@sha256:<hex> (a tag before the digest is
// allowed and ignored). A reference without a digest is an error: verify a
// digest, deploy that digest.
func ParseDigestRef(ref string) (name.Digest, error) {
	if !strings.Contains(ref, "@") {
		return name.Digest{}, fmt.Errorf("%w: image %q has no digest: pass host/repository@sha256:<hex> (verify a digest, deploy that digest)", ErrBadRef, ref)
	}
	repo, dig, _ := strings.Cut(ref, "@")
	if i := strings.LastIndex(repo, ":"); i > strings.LastIndex(repo, "/") {
		repo = repo[:i] // drop the tag
	}
	d, err := name.NewDigest(repo+"@"+dig, name.StrictValidation)
	if err != nil {
		return name.Digest{}, fmt.Errorf("%w: image %q: %v", ErrBadRef, ref, err)
	}
	if !strings.HasPrefix(d.DigestStr(), "sha256:") {
		return name.Digest{}, fmt.Errorf("%w: image %q: only sha256 digests are supported", ErrBadRef, ref)
	}
	return d, nil
}

// AttTag is cosign's tag for the attestations of d: sha256-<hex>.att.
func AttTag(d name.Digest) name.Tag {
	return d.Context().Tag(strings.Replace(d.DigestStr(), ":", "-", 1) + ".att")
}

// Attach writes ev to the registry for the image d (see the package
// comment). The image must exist: its descriptor is the referrers' subject.
// Writing the same evidence twice changes nothing.
func Attach(ctx context.Context, d name.Digest, ev Evidence, o Options) (*Attached, error) {
	ro := o.remote(remote.WithContext(ctx))
	subj, err := Head(ctx, d, o)
	if err != nil {
		return nil, err
	}
	sub := v1.Descriptor{MediaType: subj.MediaType, Size: subj.Size, Digest: subj.Digest}
	out := &Attached{Subject: d.String()}
	if len(ev.Bundle) > 0 {
		ann := map[string]string{AnnotationBundleContent: "dsse-envelope"}
		if ev.PredicateType != "" {
			ann[AnnotationBundlePredicate] = ev.PredicateType
		}
		dg, err := writeReferrer(d, sub, ArtifactTypeBundle, ev.Bundle, ann, ro)
		if err != nil {
			return nil, fmt.Errorf("attach bundle to %s: %w", d, err)
		}
		out.Referrers = append(out.Referrers, dg)
	}
	if len(ev.SBOM) > 0 {
		dg, err := writeReferrer(d, sub, ArtifactTypeCycloneDX, ev.SBOM, nil, ro)
		if err != nil {
			return nil, fmt.Errorf("attach sbom to %s: %w", d, err)
		}
		out.Referrers = append(out.Referrers, dg)
	}
	if len(ev.Envelope) > 0 {
		tag, err := appendAtt(d, ev.Envelope, ev.PredicateType, o, ro)
		if err != nil {
			return nil, fmt.Errorf("attach %s: %w", AttTag(d), err)
		}
		out.AttTag = tag
	}
	return out, nil
}

// ErrBadRef is an image reference that is not host/repo@sha256:<hex>.
var ErrBadRef = errclass.New(errclass.ErrBadInput, "bad image reference")

// writeReferrer pushes an artifact manifest with one layer (data) whose
// subject is sub, and returns its digest. go-containerregistry updates the
// referrers tag schema when the registry has no referrers API.
func writeReferrer(d name.Digest, sub v1.Descriptor, artifactType string, data []byte, ann map[string]string, ro []remote.Option) (string, error) {
	cfg := static.NewLayer([]byte("{}"), MediaTypeEmpty)
	layer := static.NewLayer(data, types.MediaType(artifactType))
	for _, l := range []v1.Layer{cfg, layer} {
		if err := remote.WriteLayer(d.Context(), l, ro...); err != nil {
			return "", err
		}
	}
	cd, _ := cfg.Digest()
	ld, _ := layer.Digest()
	m := v1.Manifest{
		SchemaVersion: 2,
		MediaType:     types.OCIManifestSchema1,
		ArtifactType:  artifactType,
		Config:        v1.Descriptor{MediaType: MediaTypeEmpty, Size: 2, Digest: cd},
		Layers:        []v1.Descriptor{{MediaType: types.MediaType(artifactType), Size: int64(len(data)), Digest: ld}},
		Annotations:   ann,
		Subject:       &sub,
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return "", err
	}
	h, _, err := v1.SHA256(strings.NewReader(string(raw)))
	if err != nil {
		return "", err
	}
	if err := remote.Put(d.Context().Digest(h.String()), rawManifest{raw: raw, mt: types.OCIManifestSchema1}, ro...); err != nil {
		return "", err
	}
	return h.String(), nil
}

type rawManifest struct {
	raw []byte
	mt  types.MediaType
}

func (r rawManifest) RawManifest() ([]byte, error)        { return r.raw, nil }
func (r rawManifest) MediaType() (types.MediaType, error) { return r.mt, nil }

// appendAtt adds env as a layer of the image tagged sha256-<hex>.att (the
// layout cosign writes: an OCI image of DSSE layers annotated with the
// predicate type), keeping the layers already there.
func appendAtt(d name.Digest, env []byte, predicateType string, o Options, ro []remote.Option) (string, error) {
	tag := AttTag(d)
	base := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	layer := static.NewLayer(env, MediaTypeDSSE)
	ld, _ := layer.Digest()
	existing, err := remote.Image(tag, ro...)
	var te *transport.Error
	switch {
	case errors.As(err, &te) && te.StatusCode == 404:
	case err != nil:
		return "", err
	default:
		m, err := existing.Manifest()
		if err != nil {
			return "", err
		}
		if len(m.Layers) >= o.Limits.withDefaults().Referrers {
			return "", fmt.Errorf("%w: %s has %d layers", ErrHostile, tag, len(m.Layers))
		}
		for _, l := range m.Layers {
			if l.Digest == ld {
				return tag.String(), nil // already attached
			}
		}
		base = existing
	}
	ann := map[string]string{AnnotationCosignSignature: ""}
	if predicateType != "" {
		ann[AnnotationPredicate] = predicateType
	}
	img, err := mutate.Append(base, mutate.Addendum{Layer: layer, MediaType: MediaTypeDSSE, Annotations: ann})
	if err != nil {
		return "", err
	}
	if err := remote.Write(tag, img, ro...); err != nil {
		return "", err
	}
	return tag.String(), nil
}

// Head returns the descriptor of the manifest or index d names, checking
// that the registry answers for that digest.
func Head(ctx context.Context, d name.Digest, o Options) (*v1.Descriptor, error) {
	desc, err := remote.Head(d, o.remote(remote.WithContext(ctx))...)
	if err != nil {
		var te *transport.Error
		if errors.As(err, &te) && te.StatusCode == 404 {
			return nil, fmt.Errorf("%w: %s", ErrNoImage, d)
		}
		return nil, fmt.Errorf("head %s: %w", d, err)
	}
	if desc.Digest.String() != d.DigestStr() {
		return nil, fmt.Errorf("%w: registry answered %s for %s", ErrHostile, desc.Digest, d)
	}
	return desc, nil
}
