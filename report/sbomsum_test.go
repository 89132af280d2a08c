package report

import (
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// TestReadSBOM summarises SBOMs written by the sbom package (copied from
// its golden files) and broken ones.
func TestReadSBOM(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "bad.json"), []byte(`{"bomFormat":"CycloneDX","specVersion":"1.6","components":{}}`))
	writeFile(t, filepath.Join(dir, "spdx.json"), []byte(`{"spdxVersion":"SPDX-2.3"}`))
	tests := []struct {
		path string
		want SBOMInfo
	}{
		{filepath.Join("testdata", "sbom", "run.cdx.json"), SBOMInfo{Present: true, SpecVersion: "1.6", Components: 7,
			Modules: 2, ModulesPinned: 2, Images: 1, ImagesDigested: 1, Outputs: 3, OutputsHashed: 3}},
		{filepath.Join("testdata", "sbom", "repo-unpinned.cdx.json"), SBOMInfo{Present: true, SpecVersion: "1.6", Components: 9,
			Modules: 5, ModulesPinned: 4, Images: 4, ImagesDigested: 1}},
		{filepath.Join(dir, "missing.json"), SBOMInfo{}},
		{filepath.Join(dir, "bad.json"), SBOMInfo{Present: true, Error: "decode CycloneDX: json: cannot unmarshal object into Go struct field BOM.components of type []cyclonedx.Component"}},
		{filepath.Join(dir, "spdx.json"), SBOMInfo{Present: true, Error: `bomFormat is "", want CycloneDX`}},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.path), func(t *testing.T) {
			t.Parallel()
			got := readSBOM(tt.path)
			if d := cmp.Diff(tt.want, got, cmpopts.IgnoreFields(SBOMInfo{}, "ByType")); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}
