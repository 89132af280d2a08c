package sbom

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	cdx "github.com/CycloneDX/cyclonedx-go"

	"github.com/pinline/pinline/inventory"
	"github.com/pinline/pinline/record"
)

// ErrDigestMismatch is returned when an output's file no longer matches the
// digest the run record holds.
var ErrDigestMismatch = errors.New("output digest does not match the run record")

// ForRun builds the BOM of a run: the modules and images it used (from inv
// when given, else from the run record), every output in runDir with its
// SHA-256 and SHA-512, the Go modules compiled into Go binaries among the
// outputs, and the executed workflow as formulation. Secrets never appear:
// the run record holds no secret names or values and none are added here.
func ForRun(ctx context.Context, run *record.Run, runDir string, inv *inventory.Inventory, opts Options) (*cdx.BOM, error) {
	if run == nil {
		return nil, fmt.Errorf("sbom: no run record")
	}
	b := newBuilder(opts)
	if inv != nil {
		if err := b.addInventory(ctx, inv); err != nil {
			return nil, err
		}
	} else {
		if err := b.addRecordModules(run.Modules); err != nil {
			return nil, err
		}
	}
	if !b.incomplete[refPipeline] {
		b.complete[refPipeline] = true
	}
	imageRefs := map[string]string{} // logical name and reference -> bom-ref
	for _, im := range run.Images {
		p, err := parseImageRef(im.Ref)
		if im.Digest != "" && err == nil {
			p.Digest = im.Digest
			err = p.check(im.Ref)
		}
		if err != nil {
			return nil, fmt.Errorf("sbom: image %q of the run record: %w", im.Name, err)
		}
		c := b.add(p.component())
		addProp(c, "image:name", im.Name)
		addProp(c, "image:origin", "run")
		b.dep(refPipeline, c.BOMRef)
		b.unknownAsm[c.BOMRef] = true
		imageRefs[im.Name] = c.BOMRef
		imageRefs[im.Ref] = c.BOMRef
	}
	for _, t := range run.Tasks {
		if t.Image == "" || imageRefs[t.Image] != "" {
			continue
		}
		p, err := parseImageRef(t.Image)
		if err != nil {
			return nil, fmt.Errorf("sbom: image of task %q: %w", t.Name, err)
		}
		c := b.add(p.component())
		addProp(c, "image:origin", "run")
		b.dep(refPipeline, c.BOMRef)
		b.unknownAsm[c.BOMRef] = true
		imageRefs[t.Image] = c.BOMRef
	}
	outputs, err := b.addOutputs(ctx, run.Outputs, runDir)
	if err != nil {
		return nil, err
	}
	published, err := b.addPublished(run.Published)
	if err != nil {
		return nil, err
	}
	b.formulation = formulation(run, imageRefs, outputs, published)
	ts := opts.Timestamp
	if ts.IsZero() {
		ts = run.FinishedAt
	}
	if ts.IsZero() {
		ts = timeNow()
	}
	serial := opts.SerialNumber
	if serial == "" && run.ID != "" {
		serial = derivedSerial(run.ID)
	} else if serial == "" {
		serial = randomSerial()
	}
	tools := []cdx.Component{pinlineTool(opts.ToolVersion)}
	if e := engineComponent(run.Engine); e != nil {
		tools = append(tools, *e)
	}
	pipe := pipelineComponent(opts, inv, run.Repository.Commit, run.Repository.URI, run.Repository.Root)
	addProp(pipe, "run:id", run.ID)
	addProp(pipe, "run:status", run.Status)
	addProp(pipe, "run:tier", run.Tier)
	addProp(pipe, "run:builder-id", run.BuilderID)
	addProp(pipe, "run:cache-mode", run.CacheMode)
	addProp(pipe, "spec:path", run.Spec.Path)
	addProp(pipe, "spec:sha256", run.Spec.SHA256)
	if run.Repository.URI != "" {
		u := run.Repository.URI
		if run.Repository.Commit != "" {
			u += "@" + run.Repository.Commit
		}
		pipe.ExternalReferences = &[]cdx.ExternalReference{{Type: cdx.ERTypeVCS, URL: u}}
	}
	if run.Repository.Dirty {
		addProp(pipe, "repository:dirty", "true")
	}
	return b.bom(pipe, tools, ts, serial), nil
}

// addRecordModules adds the modules of a run record (used when no inventory
// is at hand).
func (b *builder) addRecordModules(mods []record.Module) error {
	for _, m := range mods {
		var c *cdx.Component
		if r, ok := parseModuleSource(m.Source); ok {
			c = b.add(newRemoteModule(m.Name, "dependency", m.Pin, &r, nil).component())
			b.unknownDeps[c.BOMRef] = true
		} else {
			c = b.add(localModule(path.Clean(m.Source), m.Name))
		}
		b.dep(refPipeline, c.BOMRef)
	}
	return nil
}

// engineComponent is the Dagger engine as a platform component.
func engineComponent(e record.Engine) *cdx.Component {
	if e.Backend == "" {
		return nil
	}
	name := e.Backend
	if e.Backend == "dagger" {
		name = "dagger-engine"
	}
	c := &cdx.Component{BOMRef: "engine:" + name + "@" + e.Version, Type: cdx.ComponentTypePlatform, Name: name, Version: e.Version}
	if e.Backend == "dagger" && e.Version != "" {
		c.PackageURL = "pkg:github/dagger/dagger@" + e.Version
	}
	addProp(c, "engine:backend", e.Backend)
	return c
}

// addOutputs adds a component per output, hashing the files in runDir. It
// returns the bom-ref of each output by index.
func (b *builder) addOutputs(ctx context.Context, outs []record.Output, runDir string) ([]string, error) {
	refs := make([]string, len(outs))
	for i, o := range outs {
		if o.Type == "git" {
			c := gitOutput(o)
			addProp(c, "output:task", o.Task)
			addProp(c, "output:path", o.Path)
			addProp(c, "output:type", o.Type)
			c = b.add(c)
			b.dep(refPipeline, c.BOMRef)
			refs[i] = c.BOMRef
			continue
		}
		// Outputs live in the run directory, or at an absolute host path
		// the spec declared; nothing else (no "..").
		full := filepath.FromSlash(o.File)
		switch {
		case filepath.IsAbs(full):
			full = filepath.Clean(full)
		case o.File != "" && filepath.IsLocal(full):
			full = filepath.Join(runDir, full)
		default:
			return nil, fmt.Errorf("sbom: output %q of task %q: file %q is neither inside the run directory nor absolute", o.Path, o.Task, o.File)
		}
		fi, err := os.Lstat(full)
		if err != nil {
			return nil, fmt.Errorf("sbom: output %q of task %q: %w", o.Path, o.Task, err)
		}
		var c *cdx.Component
		if fi.IsDir() {
			c, err = b.directoryOutput(ctx, o, full)
		} else {
			c, err = b.fileOutput(ctx, "output:"+o.File, o.File, full, Digests{Size: o.Size, SHA256: o.SHA256, SHA512: o.SHA512})
		}
		if err != nil {
			return nil, err
		}
		addProp(c, "output:task", o.Task)
		addProp(c, "output:path", o.Path)
		addProp(c, "output:file", o.File)
		addProp(c, "output:type", o.Type)
		c = b.add(c)
		b.dep(refPipeline, c.BOMRef)
		refs[i] = c.BOMRef
	}
	return refs, nil
}

// addPublished adds a container component per image the run pushed:
// name = the repository, version = the manifest digest, purl
// pkg:oci/<name>@sha256:<hex>?repository_url=<host/repository>&tag=<tag>.
// It returns the bom-ref of each by index.
func (b *builder) addPublished(pubs []record.PublishedImage) ([]string, error) {
	refs := make([]string, len(pubs))
	for i, p := range pubs {
		im, err := parseImageRef(p.Ref)
		if err == nil {
			im.Digest = p.Digest
			err = im.check(p.Ref)
		}
		if err == nil && im.Digest == "" {
			err = fmt.Errorf("no digest")
		}
		if err != nil {
			return nil, fmt.Errorf("sbom: image output %q of task %q: %w", p.Ref, p.Task, err)
		}
		c := im.component()
		addProp(c, "image:origin", "published")
		addProp(c, "output:task", p.Task)
		addProp(c, "output:path", p.Path)
		addProp(c, "output:type", "image")
		addProp(c, "image:media-type", p.MediaType)
		for _, pl := range p.Platforms {
			addProp(c, "image:platform", pl)
		}
		c = b.add(c)
		b.dep(refPipeline, c.BOMRef)
		refs[i] = c.BOMRef
	}
	return refs, nil
}

// fileOutput describes one regular file and, for Go executables, lists the
// modules compiled into it. The digests come from the run record (rec),
// which the exporter computed in one pass: the file is not read again. Only
// a record without them (older runs, or SHA-512 asked for and not recorded)
// makes it hash the file, and then the SHA-256 must match the record.
func (b *builder) fileOutput(ctx context.Context, ref, name, full string, rec Digests) (*cdx.Component, error) {
	fi, err := os.Lstat(full)
	if err != nil {
		return nil, fmt.Errorf("sbom: output %s: %w", name, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("sbom: output %s: not a regular file (%s)", name, fi.Mode().Type())
	}
	d := rec
	if b.opts.SkipSHA512 {
		d.SHA512 = ""
	}
	if d.SHA256 == "" || d.SHA512 == "" && !b.opts.SkipSHA512 {
		hashFn := HashFile
		if b.opts.SkipSHA512 {
			hashFn = HashFileSHA256
		}
		if d, err = hashFn(ctx, full); err != nil {
			return nil, fmt.Errorf("sbom: output %s: %w", name, err)
		}
		if want := rec.SHA256; want != "" && !strings.EqualFold(strings.TrimPrefix(want, "sha256:"), d.SHA256) {
			return nil, fmt.Errorf("sbom: output %s: sha256 %s, run record says %s: %w", name, d.SHA256, want, ErrDigestMismatch)
		}
	}
	c := &cdx.Component{
		BOMRef: ref, Type: cdx.ComponentTypeFile, Name: path.Base(name),
		Hashes: &[]cdx.Hash{{Algorithm: cdx.HashAlgoSHA256, Value: d.SHA256}},
	}
	if d.SHA512 != "" {
		*c.Hashes = append(*c.Hashes, cdx.Hash{Algorithm: cdx.HashAlgoSHA512, Value: d.SHA512})
	}
	addProp(c, "output:size", fmt.Sprint(d.Size))
	if gb := readGoFile(full); gb != nil {
		c.Type = cdx.ComponentTypeApplication
		nested := gb.components(ref)
		c.Components = &nested
		addProp(c, "go:version", gb.GoVersion)
		addProp(c, "go:package", gb.Path)
		for _, k := range sortedKeys(gb.Settings) {
			addProp(c, "go:setting:"+k, gb.Settings[k])
		}
		for _, n := range nested {
			b.dep(ref, n.BOMRef)
			b.unknownDeps[n.BOMRef] = true
		}
		b.completeAsm[ref] = true
	} else {
		b.unknownAsm[ref] = true
	}
	return c, nil
}

func readGoFile(full string) *GoBinary {
	f, err := os.Open(full)
	if err != nil {
		return nil
	}
	defer f.Close()
	gb, err := ReadGoBinary(f)
	if err != nil {
		return nil
	}
	return gb
}

// directoryOutput is an exported directory: a component whose nested
// components are its regular files.
func (b *builder) directoryOutput(ctx context.Context, o record.Output, full string) (*cdx.Component, error) {
	ref := "output:" + o.File
	c := &cdx.Component{BOMRef: ref, Type: cdx.ComponentTypeFile, Name: path.Base(o.File)}
	addProp(c, "output:type", "directory")
	var nested []cdx.Component
	add := func(rel string, p string, d Digests) error {
		name := o.File + "/" + rel
		fc, err := b.fileOutput(ctx, "output:"+name, name, p, d)
		if err != nil {
			return err
		}
		addProp(fc, "output:file", name)
		nested = append(nested, *fc)
		return nil
	}
	var err error
	if len(o.Files) > 0 {
		// The exporter's per-file digests: nothing is hashed again.
		for _, f := range o.Files {
			if !filepath.IsLocal(filepath.FromSlash(f.Path)) {
				return nil, fmt.Errorf("sbom: output %s: file %q is not inside the directory", o.File, f.Path)
			}
			if err = add(f.Path, filepath.Join(full, filepath.FromSlash(f.Path)), Digests{Size: f.Size, SHA256: f.SHA256, SHA512: f.SHA512}); err != nil {
				break
			}
		}
	} else {
		err = filepath.WalkDir(full, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !d.Type().IsRegular() {
				return err
			}
			rel, err := filepath.Rel(full, p)
			if err != nil {
				return err
			}
			return add(filepath.ToSlash(rel), p, Digests{})
		})
	}
	if err != nil {
		return nil, fmt.Errorf("sbom: output %s: %w", o.File, err)
	}
	c.Components = &nested
	for _, n := range nested {
		b.dep(ref, n.BOMRef)
	}
	b.completeAsm[ref] = true
	return c, nil
}
