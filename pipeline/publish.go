package pipeline

import (
	"context"
	"fmt"
	"strings"

	"dagger.io/dagger"
	"github.com/google/go-containerregistry/pkg/name"

	"github.com/pinline/pinline/attest"
	"github.com/pinline/pinline/oci"
	"github.com/pinline/pinline/record"
	"github.com/pinline/pinline/spec"
)

// Registry is how a run reaches registries for image outputs: credentials
// from the operator (never the repository) and the options of package oci
// for checking pushes and attaching evidence.
type Registry struct {
	// Auth returns the credentials for a registry host (ok false:
	// anonymous). The secret goes to the engine as a Dagger secret and is
	// scrubbed from logs.
	Auth func(host string) (user, secret string, ok bool, err error)
	// OCI reaches the registry from pinline itself (HEAD after a push,
	// attaching evidence).
	OCI oci.Options
	// NoAttach leaves the evidence off the published images (run.json and
	// the provenance still name them).
	NoAttach bool
}

type registryCred struct{ user, secret string }

// resolveRegistryAuth asks the operator's credentials for every registry
// the plan's image outputs push to, before anything runs; the secrets are
// added to the redactor.
func resolveRegistryAuth(o *Options, p *plan, red *redactor) (map[string]registryCred, error) {
	out := map[string]registryCred{}
	if o.Registry == nil || o.Registry.Auth == nil {
		return out, nil
	}
	for _, n := range p.order {
		for _, im := range n.task.Outputs {
			if im.Type != spec.OutputImage {
				continue
			}
			tag, err := name.NewTag(im.Ref, name.StrictValidation)
			if err != nil {
				return nil, fmt.Errorf("%w: image output %s: %w", ErrInvalid, im.Ref, err)
			}
			host := tag.RegistryStr()
			if _, done := out[host]; done {
				continue
			}
			user, secret, ok, err := o.Registry.Auth(host)
			if err != nil {
				return nil, fmt.Errorf("registry credentials for %s: %w", host, err)
			}
			if ok {
				red.add(secret)
				out[host] = registryCred{user, secret}
			}
		}
	}
	return out, nil
}

// hasImageOutputs reports whether any task of the plan publishes an image.
func hasImageOutputs(p *plan) bool {
	for _, n := range p.order {
		for _, o := range n.task.Outputs {
			if o.Type == spec.OutputImage {
				return true
			}
		}
	}
	return false
}

// publish pushes an image output: the task's container (ctr, its secrets
// already removed), or a container per platform whose root file system is
// the directory o.Path. It returns what the registry stored.
func (b *daggerBackend) publish(ctx context.Context, task string, o spec.Output, ctr *dagger.Container) (record.PublishedImage, error) {
	pub := record.PublishedImage{Task: task, Path: o.Path, Ref: o.Ref, Platforms: o.Platforms}
	tag, err := name.NewTag(o.Ref, name.StrictValidation)
	if err != nil {
		return pub, fmt.Errorf("image output %s: %w", o.Ref, err)
	}
	pub.Repository = tag.Context().String()
	var opts dagger.ContainerPublishOpts
	target := ctr
	switch {
	case o.Path == "":
		if len(o.Platforms) == 1 {
			got, err := ctr.Platform(ctx)
			if err != nil {
				return pub, fmt.Errorf("image output %s: %w", o.Ref, err)
			}
			if string(got) != o.Platforms[0] {
				return pub, fmt.Errorf("image output %s: the task's container is %s, the spec asks for %s", o.Ref, got, o.Platforms[0])
			}
		}
	case len(o.Platforms) == 0:
		target = b.c.Container().WithRootfs(ctr.Directory(o.Path))
	default:
		dir := ctr.Directory(o.Path)
		for _, p := range o.Platforms {
			opts.PlatformVariants = append(opts.PlatformVariants, b.c.Container(dagger.ContainerOpts{Platform: dagger.Platform(p)}).WithRootfs(dir))
		}
		target = b.c.Container()
	}
	if c, ok := b.regAuth[tag.RegistryStr()]; ok {
		host := tag.RegistryStr()
		target = target.WithRegistryAuth(host, c.user, b.c.SetSecret("pinline.registry."+host, c.secret))
	}
	addr, err := target.Publish(ctx, o.Ref, opts)
	if err != nil {
		return pub, fmt.Errorf("publish %s: %w", o.Ref, err)
	}
	_, dg, ok := strings.Cut(addr, "@")
	if !ok {
		return pub, fmt.Errorf("publish %s: the engine returned %q, no digest", o.Ref, addr)
	}
	d, err := name.NewDigest(pub.Repository+"@"+dg, name.StrictValidation)
	if err != nil {
		return pub, fmt.Errorf("publish %s: digest %q: %w", o.Ref, dg, err)
	}
	pub.Digest = d.DigestStr()
	// What the registry holds under that digest, seen from pinline.
	var oo oci.Options
	if b.o.Registry != nil {
		oo = b.o.Registry.OCI
	}
	desc, err := oci.Head(ctx, d, oo)
	if err != nil {
		return pub, fmt.Errorf("publish %s: %w", o.Ref, err)
	}
	pub.MediaType = string(desc.MediaType)
	return pub, nil
}

// attachEvidence attaches the SBOM and the signed provenance to every image
// the run published (OCI referrers and cosign's .att tag, package oci) and
// names where in run.json. Nothing is attached without signed provenance or
// with Registry.NoAttach.
func attachEvidence(ctx context.Context, o *Options, rd *runDir, rec *record.Run, pv *Provenance) error {
	if len(rec.Published) == 0 || pv == nil || o.Registry != nil && o.Registry.NoAttach {
		return nil
	}
	var oo oci.Options
	if o.Registry != nil {
		oo = o.Registry.OCI
	}
	ev := oci.Evidence{Bundle: pv.Bundle, Envelope: pv.Envelope, PredicateType: attest.PredicateSLSAProvenanceV1}
	if rec.Evidence.SBOM != "" {
		b, err := rd.root.ReadFile(rec.Evidence.SBOM)
		if err != nil {
			return fmt.Errorf("attach: %w", err)
		}
		ev.SBOM = b
	}
	for i := range rec.Published {
		p := &rec.Published[i]
		d, err := name.NewDigest(p.Repository+"@"+p.Digest, name.StrictValidation)
		if err != nil {
			return fmt.Errorf("attach to %s: %w", p.Ref, err)
		}
		a, err := oci.Attach(ctx, d, ev, oo)
		if err != nil {
			return err
		}
		p.Attached = append(append([]string{}, a.Referrers...), a.AttTag)
	}
	return nil
}
