package report

import (
	"errors"
	"fmt"
	"os"
	"strings"

	cdx "github.com/CycloneDX/cyclonedx-go"
)

// readSBOM summarises a CycloneDX JSON SBOM.
func readSBOM(path string) SBOMInfo {
	si := SBOMInfo{ByType: []Count{}}
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return si
	}
	si.Present = true
	if err != nil {
		si.Error = err.Error()
		return si
	}
	defer f.Close()
	var bom cdx.BOM
	if err := cdx.NewBOMDecoder(f, cdx.BOMFileFormatJSON).Decode(&bom); err != nil {
		si.Error = fmt.Sprintf("decode CycloneDX: %v", err)
		return si
	}
	if bom.BOMFormat != "CycloneDX" {
		si.Error = fmt.Sprintf("bomFormat is %q, want CycloneDX", bom.BOMFormat)
		return si
	}
	si.SpecVersion = bom.SpecVersion.String()
	types := map[string]int{}
	var walk func([]cdx.Component)
	walk = func(cs []cdx.Component) {
		for _, c := range cs {
			summarizeComponent(&si, types, c)
			if c.Components != nil {
				walk(*c.Components)
			}
		}
	}
	if bom.Components != nil {
		walk(*bom.Components)
	}
	si.ByType = sortedCounts(types)
	return si
}

// summarizeComponent classifies one component the way the sbom package
// writes them (docs/sbom.md): outputs have bom-ref "output:", images are
// containers, modules have bom-ref "module:" or pinline:module:* properties.
func summarizeComponent(si *SBOMInfo, types map[string]int, c cdx.Component) {
	si.Components++
	types[string(c.Type)]++
	purl := c.PackageURL
	switch {
	case c.Type == cdx.ComponentTypeFile && c.Components != nil && len(*c.Components) > 0:
		// An output directory: its files are counted.
	case strings.HasPrefix(c.BOMRef, "output:") && !strings.Contains(c.BOMRef, "#gomod:"),
		c.BOMRef == "" && c.Type == cdx.ComponentTypeFile:
		si.Outputs++
		if hasHash(c, cdx.HashAlgoSHA256) || hasHash(c, cdx.HashAlgoSHA512) {
			si.OutputsHashed++
		}
	case c.Type == cdx.ComponentTypeContainer || strings.HasPrefix(purl, "pkg:oci/") || strings.HasPrefix(purl, "pkg:docker/"):
		si.Images++
		if prop(c, "pinline:image:pinned") != "false" &&
			(strings.Contains(purl, "@sha256:") || strings.Contains(purl, "@sha256%3A") || hasHash(c, cdx.HashAlgoSHA256)) {
			si.ImagesDigested++
		}
	case isModule(c):
		si.Modules++
		if modulePinned(c) {
			si.ModulesPinned++
		}
	}
}

func hasHash(c cdx.Component, algo cdx.HashAlgorithm) bool {
	if c.Hashes == nil {
		return false
	}
	for _, h := range *c.Hashes {
		if h.Algorithm == algo && h.Value != "" {
			return true
		}
	}
	return false
}

// isModule: Dagger modules (bom-ref "module:", pinline:module:*
// properties, or libraries with github/generic purls).
func isModule(c cdx.Component) bool {
	if strings.HasPrefix(c.BOMRef, "module:") || prop(c, "pinline:module:kind") != "" || prop(c, "pinline:kind") == "module" {
		return true
	}
	return c.Type == cdx.ComponentTypeLibrary && (strings.HasPrefix(c.PackageURL, "pkg:github/") || strings.HasPrefix(c.PackageURL, "pkg:generic/"))
}

// modulePinned: explicitly unpinned modules are not; local modules are
// pinned by the repository commit; remote ones need a full commit.
func modulePinned(c cdx.Component) bool {
	switch {
	case prop(c, "pinline:module:pinned") == "false":
		return false
	case prop(c, "pinline:module:local") == "true", isHex(prop(c, "pinline:module:commit"), 40), prop(c, "pinline:pin") != "":
		return true
	}
	_, v, ok := strings.Cut(c.PackageURL, "@")
	if !ok {
		return false
	}
	v, _, _ = strings.Cut(v, "#")
	v, _, _ = strings.Cut(v, "?")
	return isHex(v, 40) || isHex(v, 64)
}

func isHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for _, r := range s {
		if !strings.ContainsRune("0123456789abcdef", r) {
			return false
		}
	}
	return true
}

func prop(c cdx.Component, name string) string {
	if c.Properties == nil {
		return ""
	}
	for _, p := range *c.Properties {
		if p.Name == name {
			return p.Value
		}
	}
	return ""
}
