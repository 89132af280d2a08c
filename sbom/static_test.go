package sbom

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	cdx "github.com/CycloneDX/cyclonedx-go"
	"github.com/google/go-cmp/cmp"

	"github.com/pinline/pinline/inventory"
)

func TestFromInventoryGolden(t *testing.T) {
	t.Parallel()
	bom, err := FromInventory(context.Background(), fixtureInventory(), fixedOpts)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "static.cdx.json", normalise(t, encode(t, bom, cdx.SpecVersion1_6)))
	golden(t, "static-1.5.cdx.json", normalise(t, encode(t, bom, cdx.SpecVersion1_5)))
	var xml bytes.Buffer
	if err := Write(&xml, bom, FormatXML, cdx.SpecVersion1_6); err != nil {
		t.Fatal(err)
	}
	golden(t, "static.cdx.xml", xml.Bytes())
}

// componentsByRef flattens the components of a BOM (nested included).
func componentsByRef(bom *cdx.BOM) map[string]cdx.Component {
	out := map[string]cdx.Component{}
	var walk func([]cdx.Component)
	walk = func(cs []cdx.Component) {
		for _, c := range cs {
			out[c.BOMRef] = c
			if c.Components != nil {
				walk(*c.Components)
			}
		}
	}
	if bom.Components != nil {
		walk(*bom.Components)
	}
	return out
}

func dependsOn(bom *cdx.BOM, ref string) []string {
	for _, d := range *bom.Dependencies {
		if d.Ref == ref {
			return *d.Dependencies
		}
	}
	return nil
}

func propValues(c cdx.Component, name string) []string {
	var out []string
	if c.Properties != nil {
		for _, p := range *c.Properties {
			if p.Name == PropertyPrefix+name {
				out = append(out, p.Value)
			}
		}
	}
	return out
}

func TestFromInventoryContent(t *testing.T) {
	t.Parallel()
	bom, err := FromInventory(context.Background(), fixtureInventory(), fixedOpts)
	if err != nil {
		t.Fatal(err)
	}
	comps := componentsByRef(bom)
	purls := map[string]string{}
	for ref, c := range comps {
		purls[ref] = c.PackageURL
	}
	for _, tc := range []struct{ name, purl string }{
		{"commit from pin", "pkg:github/dagger/go@" + commitA},
		{"commit from lock", "pkg:github/dagger/sdk-helpers@" + commitB},
		{"unpinned branch with subpath", "pkg:github/marcosnils/daggerverse@main#k3s"},
		{"other host", "pkg:generic/ci-lib@" + commitB + "?vcs_url=git%2Bhttps:%2F%2Fgitlab.com%2Facme%2Fci-lib.git%40" + commitB + "#lib"},
		{"remote sdk", "pkg:github/vito/dang@" + commitB + "#dagger-sdk"},
		{"lock-only module", "pkg:github/dagger/eslint@" + commitA},
		{"spec image", "pkg:oci/golang@sha256:" + strings.TrimPrefix(digestB, "sha256:") + "?repository_url=docker.io%2Flibrary%2Fgolang&tag=1.25-alpine"},
		{"source image pinned by lock", "pkg:oci/alpine@sha256:" + strings.TrimPrefix(digestA, "sha256:") + "?repository_url=docker.io%2Flibrary%2Falpine&tag=3.20"},
		{"unpinned private image", "pkg:oci/builder?repository_url=registry.example:5000%2Fteam%2Fbuilder&tag=v2"},
	} {
		found := false
		for _, p := range purls {
			found = found || p == tc.purl
		}
		if !found {
			t.Errorf("%s: no component with purl %s; have %v", tc.name, tc.purl, cmp.Diff(nil, purls))
		}
	}
	// The alpine image from source and from the lock is one component.
	n := 0
	for _, c := range comps {
		if c.Type == cdx.ComponentTypeContainer && strings.Contains(c.Name, "alpine") {
			n++
			if got := propValues(c, "image:origin"); !cmp.Equal(got, []string{"lock", "go"}) {
				t.Errorf("alpine origins = %v", got)
			}
			if c.Hashes == nil || (*c.Hashes)[0].Value != strings.TrimPrefix(digestA, "sha256:") {
				t.Errorf("alpine hash = %v", c.Hashes)
			}
		}
	}
	if n != 1 {
		t.Errorf("%d alpine components, want 1", n)
	}
	// Local modules are marked; the local dependency is the ci module.
	ci := comps["module:local:ci"]
	if got := propValues(ci, "module:local"); !cmp.Equal(got, []string{"true"}) {
		t.Errorf("ci module local = %v", got)
	}
	if !contains(dependsOn(bom, "module:local:.dagger"), "module:local:ci") {
		t.Errorf("root module does not depend on ci: %v", dependsOn(bom, "module:local:.dagger"))
	}
	// The image in ci/main.go belongs to the ci module, which is incomplete.
	if !contains(dependsOn(bom, "module:local:ci"), "image:registry.example:5000/team/builder:v2") {
		t.Errorf("ci deps = %v", dependsOn(bom, "module:local:ci"))
	}
	var incomplete []string
	for _, c := range *bom.Compositions {
		if c.Aggregate == cdx.CompositionAggregateIncomplete {
			for _, r := range *c.Dependencies {
				incomplete = append(incomplete, string(r))
			}
		}
	}
	if !cmp.Equal(incomplete, []string{"module:local:ci"}) {
		t.Errorf("incomplete = %v, want the ci module", incomplete)
	}
	if got := propValues(ci, "unresolved-image"); len(got) != 1 || !strings.Contains(got[0], "ci/main.go:41") {
		t.Errorf("ci unresolved = %v", got)
	}
	// Every dependency entry has an array, never null.
	for _, d := range *bom.Dependencies {
		if d.Dependencies == nil {
			t.Errorf("dependency %s has null dependsOn", d.Ref)
		}
		if _, ok := comps[d.Ref]; !ok && d.Ref != refPipeline {
			t.Errorf("dependency on unknown ref %s", d.Ref)
		}
	}
	if bom.Metadata.Component.Name != "hello" {
		t.Errorf("pipeline name = %q", bom.Metadata.Component.Name)
	}
}

func TestEmptyInventoryHasArrays(t *testing.T) {
	t.Parallel()
	bom, err := FromInventory(context.Background(), &inventory.Inventory{}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	doc := validateJSON(t, encode(t, bom, cdx.SpecVersion1_6))
	for _, k := range []string{"components", "dependencies", "compositions"} {
		if _, ok := doc[k].([]any); !ok {
			t.Errorf("%s = %#v, want an array", k, doc[k])
		}
	}
	deps := doc["dependencies"].([]any)
	if len(deps) != 1 || !bytes.Contains(mustJSON(t, deps[0]), []byte(`"dependsOn":[]`)) {
		t.Errorf("dependencies = %s", mustJSON(t, deps))
	}
	if !strings.HasPrefix(bom.SerialNumber, "urn:uuid:") || bom.Metadata.Timestamp == "" {
		t.Errorf("serial %q timestamp %q", bom.SerialNumber, bom.Metadata.Timestamp)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestFromInventoryErrors(t *testing.T) {
	t.Parallel()
	if _, err := FromInventory(context.Background(), nil, Options{}); err == nil {
		t.Error("nil inventory accepted")
	}
	inv := &inventory.Inventory{Modules: []inventory.Module{{Pos: pos("dagger.json", 1), Name: "x",
		Dependencies: []inventory.Dependency{{Pos: pos("dagger.json", 4), Name: "bad", Source: "not a source"}}}}}
	_, err := FromInventory(context.Background(), inv, Options{})
	if err == nil || !strings.Contains(err.Error(), "dagger.json:4") {
		t.Errorf("err = %v, want one naming dagger.json:4", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := FromInventory(ctx, fixtureInventory(), Options{}); err == nil {
		t.Error("cancelled context ignored")
	}
}

func TestWriteRejects(t *testing.T) {
	t.Parallel()
	bom, err := FromInventory(context.Background(), &inventory.Inventory{}, fixedOpts)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := Write(&buf, bom, "yaml", cdx.SpecVersion1_6); err == nil {
		t.Error("format yaml accepted")
	}
	if err := Write(&buf, bom, FormatJSON, cdx.SpecVersion1_4); err == nil {
		t.Error("spec 1.4 accepted")
	}
	if err := Write(&buf, nil, FormatJSON, cdx.SpecVersion1_6); err == nil {
		t.Error("nil bom accepted")
	}
	if _, err := ParseFormat("spdx"); err == nil || !strings.Contains(err.Error(), "json") {
		t.Errorf("ParseFormat(spdx) = %v", err)
	}
	if _, err := ParseSpecVersion("1.7"); err == nil {
		t.Error("spec 1.7 accepted")
	}
}
