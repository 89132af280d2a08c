package sbom

import (
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"
)

// refPipeline is the bom-ref of the pipeline component (metadata.component).
const refPipeline = "pipeline"

// builder accumulates components, dependency edges and compositions and
// assembles them into a BOM with deterministic ordering.
type builder struct {
	opts Options
	// top are the top-level components by bom-ref; nested components are
	// only in all.
	top map[string]*cdx.Component
	all map[string]*cdx.Component
	// deps maps a bom-ref to the refs it depends on.
	deps map[string]map[string]bool
	// incomplete are refs whose own dependencies are not fully known;
	// unknown are refs whose contents (assemblies) we cannot see.
	complete, incomplete, unknownDeps map[string]bool
	unknownAsm, completeAsm           map[string]bool
	formulation                       *[]cdx.Formula
	bomProps                          []cdx.Property
}

func newBuilder(opts Options) *builder {
	return &builder{
		opts: opts, top: map[string]*cdx.Component{}, all: map[string]*cdx.Component{},
		deps: map[string]map[string]bool{}, complete: map[string]bool{},
		incomplete: map[string]bool{}, unknownDeps: map[string]bool{},
		unknownAsm: map[string]bool{}, completeAsm: map[string]bool{},
	}
}

// add registers a top-level component. When one with the same bom-ref exists
// the existing one is returned and c is merged into it (properties only).
func (b *builder) add(c *cdx.Component) *cdx.Component {
	if old, ok := b.all[c.BOMRef]; ok {
		if c.Properties != nil {
			for _, p := range *c.Properties {
				addProp(old, strings.TrimPrefix(p.Name, PropertyPrefix), p.Value)
			}
		}
		return old
	}
	b.top[c.BOMRef] = c
	b.register(c)
	return c
}

// register records c and its nested components in all.
func (b *builder) register(c *cdx.Component) {
	b.all[c.BOMRef] = c
	b.dep(c.BOMRef)
	if c.Components != nil {
		for i := range *c.Components {
			b.register(&(*c.Components)[i])
		}
	}
}

// dep records that from depends on each of to (and makes sure from has a
// dependency entry even when to is empty).
func (b *builder) dep(from string, to ...string) {
	m := b.deps[from]
	if m == nil {
		m = map[string]bool{}
		b.deps[from] = m
	}
	for _, t := range to {
		if t != from {
			m[t] = true
		}
	}
}

// addProp appends a property to c unless the same name and value is there.
func addProp(c *cdx.Component, name, value string) {
	if value == "" {
		return
	}
	if c.Properties == nil {
		c.Properties = &[]cdx.Property{}
	}
	p := cdx.Property{Name: PropertyPrefix + name, Value: value}
	if slices.Contains(*c.Properties, p) {
		return
	}
	*c.Properties = append(*c.Properties, p)
}

// bom assembles the BOM. pipeline becomes metadata.component.
func (b *builder) bom(pipeline *cdx.Component, tools []cdx.Component, ts time.Time, serial string) *cdx.BOM {
	bom := cdx.NewBOM()
	bom.SpecVersion = cdx.SpecVersion1_6
	bom.JSONSchema = "http://cyclonedx.org/schema/bom-1.6.schema.json"
	bom.XMLNS = "http://cyclonedx.org/schema/bom/1.6"
	bom.SerialNumber = serial
	b.dep(pipeline.BOMRef)
	b.all[pipeline.BOMRef] = pipeline
	bom.Metadata = &cdx.Metadata{
		Timestamp:  ts.UTC().Format(time.RFC3339),
		Lifecycles: &[]cdx.Lifecycle{{Phase: cdx.LifecyclePhaseBuild}},
		Tools:      &cdx.ToolsChoice{Components: &tools},
		Component:  pipeline,
	}
	refs := sortedKeys(b.top)
	comps := make([]cdx.Component, 0, len(refs))
	for _, r := range refs {
		comps = append(comps, *b.top[r])
	}
	bom.Components = &comps
	deps := make([]cdx.Dependency, 0, len(b.deps))
	for _, r := range sortedKeys(b.deps) {
		on := sortedKeys(b.deps[r])
		deps = append(deps, cdx.Dependency{Ref: r, Dependencies: &on})
	}
	bom.Dependencies = &deps
	comp := []cdx.Composition{}
	add := func(agg cdx.CompositionAggregate, asm, dep map[string]bool) {
		a, d := sortedKeys(asm), sortedKeys(dep)
		if len(a) == 0 && len(d) == 0 {
			return
		}
		c := cdx.Composition{BOMRef: "composition:" + string(agg) + fmt.Sprint(len(comp)), Aggregate: agg}
		if len(a) > 0 {
			c.Assemblies = toBOMRefs(a)
		}
		if len(d) > 0 {
			c.Dependencies = toBOMRefs(d)
		}
		comp = append(comp, c)
	}
	add(cdx.CompositionAggregateComplete, b.completeAsm, b.complete)
	add(cdx.CompositionAggregateIncomplete, nil, b.incomplete)
	add(cdx.CompositionAggregateUnknown, b.unknownAsm, b.unknownDeps)
	bom.Compositions = &comp
	if len(b.bomProps) > 0 {
		props := b.bomProps
		bom.Properties = &props
	}
	bom.Formulation = b.formulation
	return bom
}

func toBOMRefs(refs []string) *[]cdx.BOMReference {
	out := make([]cdx.BOMReference, len(refs))
	for i, r := range refs {
		out[i] = cdx.BOMReference(r)
	}
	return &out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// randomSerial returns a random urn:uuid serial number (UUID v4).
func randomSerial() string {
	var u [16]byte
	_, _ = rand.Read(u[:])
	return formatUUID(u, 4)
}

// derivedSerial returns a name-based urn:uuid (UUID v5 layout over
// SHA-256) so that the BOM of a run always has the same serial number.
func derivedSerial(name string) string {
	h := sha256.Sum256([]byte("pinline-run:" + name))
	var u [16]byte
	copy(u[:], h[:16])
	return formatUUID(u, 5)
}

func formatUUID(u [16]byte, version byte) string {
	u[6] = u[6]&0x0f | version<<4
	u[8] = u[8]&0x3f | 0x80
	return fmt.Sprintf("urn:uuid:%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

// pinlineTool is the metadata.tools entry for pinline itself.
func pinlineTool(version string) cdx.Component {
	if version == "" {
		version = "dev"
	}
	return cdx.Component{
		BOMRef: "tool:pinline", Type: cdx.ComponentTypeApplication, Name: "pinline", Version: version,
		ExternalReferences: &[]cdx.ExternalReference{{Type: cdx.ERTypeVCS, URL: "https://github.com/pinline/pinline"}},
	}
}
