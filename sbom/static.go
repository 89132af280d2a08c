package sbom

import (
	"context"
	"fmt"
	"path"
	"strings"

	cdx "github.com/CycloneDX/cyclonedx-go"

	"github.com/pinline/pinline/inventory"
)

// FromInventory builds the static BOM of a repository: its Dagger modules
// and their dependencies, and every container image its specs, lock files
// and module source name.
func FromInventory(ctx context.Context, inv *inventory.Inventory, opts Options) (*cdx.BOM, error) {
	if inv == nil {
		return nil, fmt.Errorf("sbom: no inventory")
	}
	b := newBuilder(opts)
	if err := b.addInventory(ctx, inv); err != nil {
		return nil, err
	}
	ts := opts.Timestamp
	if ts.IsZero() {
		ts = timeNow()
	}
	serial := opts.SerialNumber
	if serial == "" {
		serial = randomSerial()
	}
	return b.bom(pipelineComponent(opts, inv, ""), []cdx.Component{pinlineTool(opts.ToolVersion)}, ts, serial), nil
}

// pipelineComponent is metadata.component: the pipeline the BOM describes.
// Its name is Options.Name, else the name of the inventory's only spec, else
// the last element of the first non-empty fallback (repository URI, root).
func pipelineComponent(opts Options, inv *inventory.Inventory, version string, fallbacks ...string) *cdx.Component {
	name := opts.Name
	if name == "" && inv != nil && len(inv.Specs) == 1 && inv.Specs[0].Spec != nil {
		name = inv.Specs[0].Spec.Name
	}
	if inv != nil {
		fallbacks = append(fallbacks, inv.Root)
	}
	for _, f := range fallbacks {
		if name == "" && f != "" {
			name = strings.TrimSuffix(path.Base(strings.ReplaceAll(f, "\\", "/")), ".git")
		}
	}
	if name == "" || name == "." || name == "/" {
		name = "pipeline"
	}
	return &cdx.Component{BOMRef: refPipeline, Type: cdx.ComponentTypeApplication, Name: name, Version: version}
}

// addInventory adds the modules and images of inv.
func (b *builder) addInventory(ctx context.Context, inv *inventory.Inventory) error {
	locks := newLockIndex(inv.Locks)
	// The repository's own modules, by directory.
	moduleDirs := map[string]string{}
	for _, m := range inv.Modules {
		if err := ctx.Err(); err != nil {
			return err
		}
		dir := m.Dir
		if dir == "" {
			dir = path.Dir(m.Pos.File)
		}
		c := b.add(localModule(dir, m.Name))
		moduleDirs[dir] = c.BOMRef
		addProp(c, "module:format", m.Format)
		addProp(c, "module:engine-version", m.EngineVersion)
		addProp(c, "source", posString(m.Pos))
		b.dep(refPipeline, c.BOMRef)
		b.complete[c.BOMRef] = true
		if m.SDK != nil {
			if m.SDK.Builtin {
				addProp(c, "module:sdk", m.SDK.Source)
			}
			if m.SDK.Local {
				sdk := b.add(localModule(path.Clean(path.Join(dir, m.SDK.Source)), ""))
				addProp(sdk, "module:kind", "sdk")
				b.dep(c.BOMRef, sdk.BOMRef)
			}
			if m.SDK.Remote != nil {
				sdk := b.add(newRemoteModule("", "sdk", m.SDK.Pin, m.SDK.Remote, locks).component())
				b.dep(c.BOMRef, sdk.BOMRef)
				b.unknownDeps[sdk.BOMRef] = true
			}
		}
		for _, d := range m.Dependencies {
			var dc *cdx.Component
			switch {
			case d.Remote != nil:
				dc = b.add(newRemoteModule(d.Name, d.Kind, d.Pin, d.Remote, locks).component())
				b.unknownDeps[dc.BOMRef] = true
			case d.Local:
				dir := path.Clean(path.Join(dir, d.Source))
				dc = b.add(localModule(dir, d.Name))
				addProp(dc, "module:kind", d.Kind)
			default:
				r, ok := parseModuleSource(d.Source)
				if !ok {
					return fmt.Errorf("sbom: %s: dependency %q: source %q is neither local nor remote", posString(d.Pos), d.Name, d.Source)
				}
				dc = b.add(newRemoteModule(d.Name, d.Kind, d.Pin, &r, locks).component())
				b.unknownDeps[dc.BOMRef] = true
			}
			b.dep(c.BOMRef, dc.BOMRef)
		}
	}
	// Module pins in lock files that no dependency above used.
	for _, e := range inv.Locks {
		remote, sel, commit, ok := e.GitPin()
		if !ok {
			continue
		}
		r, ok := parseModuleSource(remote)
		if !ok {
			continue
		}
		r.Ref = strings.TrimPrefix(strings.TrimPrefix(sel, "refs/tags/"), "refs/heads/")
		if sel == "HEAD" {
			r.Ref = ""
		}
		m := newRemoteModule("", "lock", commit, &r, locks)
		m.PinVia = "dagger.lock"
		c := b.add(m.component())
		addProp(c, "source", posString(e.Pos))
		b.dep(refPipeline, c.BOMRef)
		b.unknownDeps[c.BOMRef] = true
	}
	if err := b.addImages(inv.Images, moduleDirs); err != nil {
		return err
	}
	for _, u := range inv.Unresolved {
		owner := owningModule(u.Pos.File, moduleDirs)
		note := fmt.Sprintf("%s: %s (%s)", posString(u.Pos), u.Expr, u.Reason)
		if owner == refPipeline {
			b.bomProps = append(b.bomProps, cdx.Property{Name: PropertyPrefix + "unresolved-image", Value: note})
		} else {
			addProp(b.all[owner], "unresolved-image", note)
		}
		delete(b.complete, owner)
		b.incomplete[owner] = true
	}
	if !b.incomplete[refPipeline] {
		b.complete[refPipeline] = true
	}
	return nil
}

// addImages adds one container component per distinct image. Images from
// module source belong to the module whose directory holds the file; the
// rest belong to the pipeline.
func (b *builder) addImages(refs []inventory.ImageRef, moduleDirs map[string]string) error {
	images := make([]image, len(refs))
	// Lock files pin tags to digests: registry/repo:tag -> digest.
	pinned := map[string]string{}
	for i, r := range refs {
		im, err := fromImageRef(r)
		if err != nil {
			return fmt.Errorf("sbom: %s: %w", posString(r.Pos), err)
		}
		images[i] = im
		if r.Origin == "lock" && im.Tag != "" && im.Digest != "" {
			pinned[im.name()+":"+im.Tag] = im.Digest
		}
	}
	for i, r := range refs {
		im := images[i]
		if im.Digest == "" && im.Tag != "" {
			if d, ok := pinned[im.name()+":"+im.Tag]; ok {
				im.Digest = d
			}
		}
		c := b.add(im.component())
		addProp(c, "image:origin", r.Origin)
		addProp(c, "image:name", r.Name)
		addProp(c, "source", posString(r.Pos))
		owner := refPipeline
		if r.Origin != "spec" && r.Origin != "lock" {
			owner = owningModule(r.Pos.File, moduleDirs)
		}
		b.dep(owner, c.BOMRef)
		b.unknownAsm[c.BOMRef] = true
	}
	return nil
}

func fromImageRef(r inventory.ImageRef) (image, error) {
	if r.Repository == "" {
		return parseImageRef(r.Ref)
	}
	im := image{Registry: r.Registry, Repository: r.Repository, Tag: r.Tag, Digest: r.Digest}.normalise()
	return im, im.check(r.Ref)
}

// owningModule returns the bom-ref of the module whose directory is the
// longest prefix of file, or the pipeline.
func owningModule(file string, moduleDirs map[string]string) string {
	best, ref := -1, refPipeline
	for dir, r := range moduleDirs {
		if (dir == "." || file == dir || strings.HasPrefix(file, dir+"/")) && len(dir) > best {
			best, ref = len(dir), r
		}
	}
	return ref
}

func posString(p inventory.Position) string {
	if p.File == "" {
		return ""
	}
	if p.Line == 0 {
		return p.File
	}
	return fmt.Sprintf("%s:%d", p.File, p.Line)
}
