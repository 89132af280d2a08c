package sbom

import (
	"context"
	"strings"
	"testing"

	cdx "github.com/CycloneDX/cyclonedx-go"

	"github.com/pinline/pinline/record"
)

// TestForRunPublishedImages: an image the run pushed is a container
// component (name = repository, version = manifest digest, pkg:oci purl
// with repository_url) and an output of its task in the formulation; the
// BOM validates against the CycloneDX 1.6 schema.
func TestForRunPublishedImages(t *testing.T) {
	t.Parallel()
	dir, run := fixtureRunDir(t)
	hex := strings.Repeat("c", 64)
	run.Published = []record.PublishedImage{{Task: "build", Ref: "registry.example:5000/team/hello:v1", Repository: "registry.example:5000/team/hello",
		Digest: "sha256:" + hex, MediaType: "application/vnd.oci.image.manifest.v1+json", Platforms: []string{"linux/amd64"}}}
	bom, err := ForRun(context.Background(), run, dir, nil, fixedOpts)
	if err != nil {
		t.Fatal(err)
	}
	var c *cdx.Component
	for i := range *bom.Components {
		if (*bom.Components)[i].Name == "registry.example:5000/team/hello" {
			c = &(*bom.Components)[i]
		}
	}
	if c == nil {
		t.Fatal("no component for the published image")
	}
	wantPurl := "pkg:oci/hello@sha256:" + hex + "?repository_url=registry.example:5000%2Fteam%2Fhello&tag=v1"
	if c.Type != cdx.ComponentTypeContainer || c.Version != "sha256:"+hex || c.PackageURL != wantPurl {
		t.Errorf("component %s %s %s, want purl %s", c.Type, c.Version, c.PackageURL, wantPurl)
	}
	if c.Hashes == nil || (*c.Hashes)[0].Value != hex {
		t.Errorf("hashes %+v", c.Hashes)
	}
	found := false
	for _, f := range *bom.Formulation {
		for _, task := range *f.Workflows {
			for _, tk := range *task.Tasks {
				if tk.Name != "build" || tk.Outputs == nil {
					continue
				}
				for _, o := range *tk.Outputs {
					if o.Resource != nil && o.Resource.Ref == c.BOMRef {
						found = true
					}
				}
			}
		}
	}
	if !found {
		t.Error("the image is not an output of task build in the formulation")
	}
	validateJSON(t, encode(t, bom, cdx.SpecVersion1_6))

	run.Published[0].Digest = ""
	if _, err := ForRun(context.Background(), run, dir, nil, fixedOpts); err == nil || !strings.Contains(err.Error(), "no digest") {
		t.Errorf("published image without a digest: %v", err)
	}
}
