package oci

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// Item is one piece of evidence found for an image.
type Item struct {
	// Source says where it came from, e.g.
	// "host/repo@sha256:…(referrer sha256:…)" or "host/repo:sha256-….att#1".
	Source string `json:"source"`
	// Kind is KindBundle, KindDSSE or KindSBOM.
	Kind string `json:"kind"`
	// PredicateType is the annotation (unsigned: a hint, never a fact).
	PredicateType string `json:"predicateType,omitempty"`
	// Digest is sha256:<hex> of Data, checked against its descriptor.
	Digest string `json:"digest"`
	Data   []byte `json:"-"`
}

// Found is everything Fetch found.
type Found struct {
	Subject string `json:"subject"`
	Items   []Item `json:"items"`
	// Skipped are referrers of artifact types pinline does not read.
	Skipped []string `json:"skipped,omitempty"`
}

// Attestations are the signed items (bundles and DSSE envelopes).
func (f *Found) Attestations() []Item {
	var out []Item
	for _, it := range f.Items {
		if it.Kind != KindSBOM {
			out = append(out, it)
		}
	}
	return out
}

// Fetch lists the referrers of d (the referrers API, or the referrers tag
// schema where the registry lacks it) and the layers of cosign's .att tag,
// and downloads every bundle, DSSE envelope and CycloneDX SBOM among them.
// A referrer whose subject is not d, a manifest or blob that does not match
// its digest, or anything over the Limits is ErrHostile: the whole fetch
// fails, never a partial list that could hide a bad attestation.
func Fetch(ctx context.Context, d name.Digest, o Options) (*Found, error) {
	l := o.Limits.withDefaults()
	ro := o.remote(remote.WithContext(ctx))
	f := &Found{Subject: d.String(), Items: []Item{}}
	idx, err := remote.Referrers(d, ro...)
	if err != nil {
		return nil, fmt.Errorf("referrers of %s: %w", d, err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, fmt.Errorf("referrers of %s: %w", d, err)
	}
	if len(im.Manifests) > l.Referrers {
		return nil, fmt.Errorf("%w: %s has %d referrers, more than %d", ErrHostile, d, len(im.Manifests), l.Referrers)
	}
	for _, desc := range im.Manifests {
		// The index's artifact type is a hint (some registries put the
		// config media type there); the manifest, checked against its
		// digest, decides.
		switch desc.ArtifactType {
		case ArtifactTypeBundle, ArtifactTypeCycloneDX, ArtifactTypeInToto, MediaTypeEmpty, "":
		default:
			f.Skipped = append(f.Skipped, desc.Digest.String()+" ("+desc.ArtifactType+")")
			continue
		}
		items, err := fetchReferrer(d, desc, l, ro)
		if err != nil {
			return nil, err
		}
		if items == nil {
			f.Skipped = append(f.Skipped, desc.Digest.String()+" ("+desc.ArtifactType+")")
			continue
		}
		f.Items = append(f.Items, items...)
	}
	items, err := fetchAtt(d, l, ro)
	if err != nil {
		return nil, err
	}
	f.Items = append(f.Items, items...)
	return f, nil
}

// fetchReferrer reads one referrer manifest and its layers; nil for an
// artifact of a type pinline does not read.
func fetchReferrer(d name.Digest, desc v1.Descriptor, l Limits, ro []remote.Option) ([]Item, error) {
	if desc.Size > l.Manifest {
		return nil, fmt.Errorf("%w: referrer %s of %s: manifest of %d bytes, limit %d", ErrHostile, desc.Digest, d, desc.Size, l.Manifest)
	}
	ref := d.Context().Digest(desc.Digest.String())
	got, err := remote.Get(ref, ro...)
	if err != nil {
		if errorsIsHostile(err) || strings.Contains(err.Error(), "digest") {
			return nil, fmt.Errorf("%w: referrer %s of %s: %v", ErrHostile, desc.Digest, d, err)
		}
		return nil, fmt.Errorf("referrer %s of %s: %w", desc.Digest, d, err)
	}
	if err := checkDigest(got.Manifest, desc.Digest); err != nil {
		return nil, fmt.Errorf("%w: referrer manifest %s of %s: %v", ErrHostile, desc.Digest, d, err)
	}
	var m v1.Manifest
	if err := json.Unmarshal(got.Manifest, &m); err != nil {
		return nil, fmt.Errorf("%w: referrer %s of %s: %v", ErrHostile, desc.Digest, d, err)
	}
	// The index lists it for d; the manifest itself must say so too.
	if m.Subject == nil || m.Subject.Digest.String() != d.DigestStr() {
		subj := "none"
		if m.Subject != nil {
			subj = m.Subject.Digest.String()
		}
		return nil, fmt.Errorf("%w: referrer %s listed for %s has subject %s", ErrHostile, desc.Digest, d.DigestStr(), subj)
	}
	at := m.ArtifactType
	if at == "" {
		at = string(m.Config.MediaType)
	}
	src := d.String() + "(referrer " + desc.Digest.String() + ")"
	switch at {
	case ArtifactTypeBundle, ArtifactTypeCycloneDX:
		if len(m.Layers) != 1 || string(m.Layers[0].MediaType) != at {
			return nil, fmt.Errorf("%w: referrer %s of %s: not one layer of artifact type %s", ErrHostile, desc.Digest, d, at)
		}
		data, err := fetchBlob(d.Context(), m.Layers[0], l, ro)
		if err != nil {
			return nil, fmt.Errorf("referrer %s of %s: %w", desc.Digest, d, err)
		}
		kind := KindBundle
		if at == ArtifactTypeCycloneDX {
			kind = KindSBOM
		}
		return []Item{{Source: src, Kind: kind, Digest: m.Layers[0].Digest.String(), Data: data,
			PredicateType: m.Annotations[AnnotationBundlePredicate]}}, nil
	case ArtifactTypeInToto:
		// cosign's OCI 1.1 attestations: DSSE envelope layers.
		if len(m.Layers) > l.Referrers {
			return nil, fmt.Errorf("%w: referrer %s of %s has %d layers, more than %d", ErrHostile, desc.Digest, d, len(m.Layers), l.Referrers)
		}
		items := []Item{}
		for i, ld := range m.Layers {
			if ld.MediaType != MediaTypeDSSE {
				continue
			}
			data, err := fetchBlob(d.Context(), ld, l, ro)
			if err != nil {
				return nil, fmt.Errorf("referrer %s of %s layer %d: %w", desc.Digest, d, i, err)
			}
			items = append(items, Item{Source: fmt.Sprintf("%s#%d", src, i), Kind: KindDSSE, Digest: ld.Digest.String(), Data: data,
				PredicateType: ld.Annotations[AnnotationPredicate]})
		}
		return items, nil
	}
	return nil, nil
}

// fetchAtt reads the DSSE layers of the .att tag (none: no items).
func fetchAtt(d name.Digest, l Limits, ro []remote.Option) ([]Item, error) {
	tag := AttTag(d)
	desc, err := remote.Get(tag, ro...)
	var te *transport.Error
	if errors.As(err, &te) && te.StatusCode == 404 {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", tag, err)
	}
	if int64(len(desc.Manifest)) > l.Manifest {
		return nil, fmt.Errorf("%w: %s: manifest of %d bytes, limit %d", ErrHostile, tag, len(desc.Manifest), l.Manifest)
	}
	if err := checkDigest(desc.Manifest, desc.Digest); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrHostile, tag, err)
	}
	var m v1.Manifest
	if err := json.Unmarshal(desc.Manifest, &m); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrHostile, tag, err)
	}
	if len(m.Layers) > l.Referrers {
		return nil, fmt.Errorf("%w: %s has %d layers, more than %d", ErrHostile, tag, len(m.Layers), l.Referrers)
	}
	var out []Item
	for i, ld := range m.Layers {
		if ld.MediaType != MediaTypeDSSE {
			continue
		}
		data, err := fetchBlob(d.Context(), ld, l, ro)
		if err != nil {
			return nil, fmt.Errorf("%s layer %d: %w", tag, i, err)
		}
		out = append(out, Item{Source: fmt.Sprintf("%s#%d", tag, i), Kind: KindDSSE, Digest: ld.Digest.String(), Data: data,
			PredicateType: ld.Annotations[AnnotationPredicate]})
	}
	return out, nil
}

// fetchBlob downloads the blob of desc, refusing one over the limit or one
// whose content is not its digest and size.
func fetchBlob(repo name.Repository, desc v1.Descriptor, l Limits, ro []remote.Option) ([]byte, error) {
	if desc.Size > l.Blob || desc.Size < 0 {
		return nil, fmt.Errorf("%w: blob %s of %d bytes, limit %d", ErrHostile, desc.Digest, desc.Size, l.Blob)
	}
	if desc.Digest.Algorithm != "sha256" {
		return nil, fmt.Errorf("%w: blob %s: only sha256 digests are accepted", ErrHostile, desc.Digest)
	}
	layer, err := remote.Layer(repo.Digest(desc.Digest.String()), ro...)
	if err != nil {
		return nil, err
	}
	rc, err := layer.Compressed()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, desc.Size+1))
	if err != nil {
		if errorsIsHostile(err) {
			return nil, err
		}
		return nil, fmt.Errorf("%w: blob %s: %v", ErrHostile, desc.Digest, err)
	}
	if int64(len(data)) != desc.Size {
		return nil, fmt.Errorf("%w: blob %s: %d bytes, its descriptor says %d", ErrHostile, desc.Digest, len(data), desc.Size)
	}
	if err := checkDigest(data, desc.Digest); err != nil {
		return nil, fmt.Errorf("%w: blob %s: %v", ErrHostile, desc.Digest, err)
	}
	return data, nil
}

func checkDigest(data []byte, want v1.Hash) error {
	if want.Algorithm != "sha256" {
		return fmt.Errorf("digest %s is not sha256", want)
	}
	sum := sha256.Sum256(data)
	if got := hex.EncodeToString(sum[:]); got != want.Hex {
		return fmt.Errorf("content has digest sha256:%s, not %s", got, want)
	}
	return nil
}
