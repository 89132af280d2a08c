package sbom

import (
	"bytes"
	"fmt"
	"io"

	cdx "github.com/CycloneDX/cyclonedx-go"
)

var xmlNamespace = map[cdx.SpecVersion]string{
	cdx.SpecVersion1_5: "http://cyclonedx.org/schema/bom/1.5",
	cdx.SpecVersion1_6: "http://cyclonedx.org/schema/bom/1.6",
}

// Write encodes bom to w in the given format and CycloneDX specification
// version (cdx.SpecVersion1_6 or cdx.SpecVersion1_5). bom is not modified.
func Write(w io.Writer, bom *cdx.BOM, format Format, version cdx.SpecVersion) error {
	if bom == nil {
		return fmt.Errorf("write sbom: no bom")
	}
	if xmlNamespace[version] == "" {
		return fmt.Errorf("write sbom: unsupported spec version %s", version)
	}
	var f cdx.BOMFileFormat
	switch format {
	case FormatJSON:
		f = cdx.BOMFileFormatJSON
	case FormatXML:
		f = cdx.BOMFileFormatXML
	default:
		return fmt.Errorf("write sbom: unknown format %q", format)
	}
	if bom.SpecVersion != version {
		var err error
		if bom, err = convert(bom, version); err != nil {
			return fmt.Errorf("write sbom: %w", err)
		}
	}
	enc := cdx.NewBOMEncoder(w, f).SetPretty(true).SetEscapeHTML(false)
	if err := enc.Encode(bom); err != nil {
		return fmt.Errorf("write sbom: %w", err)
	}
	return nil
}

// convert returns a copy of bom for another spec version. cyclonedx-go
// converts through a gob copy that turns empty arrays into absent ones, so
// the arrays pinline promises (components, dependencies, dependsOn,
// compositions) are restored afterwards.
func convert(bom *cdx.BOM, version cdx.SpecVersion) (*cdx.BOM, error) {
	var buf bytes.Buffer
	if err := cdx.NewBOMEncoder(&buf, cdx.BOMFileFormatJSON).EncodeVersion(bom, version); err != nil {
		return nil, err
	}
	out := new(cdx.BOM)
	if err := cdx.NewBOMDecoder(&buf, cdx.BOMFileFormatJSON).Decode(out); err != nil {
		return nil, err
	}
	out.XMLNS = xmlNamespace[version]
	if out.Components == nil {
		out.Components = &[]cdx.Component{}
	}
	if out.Dependencies == nil {
		out.Dependencies = &[]cdx.Dependency{}
	}
	for i := range *out.Dependencies {
		if d := &(*out.Dependencies)[i]; d.Dependencies == nil {
			d.Dependencies = &[]string{}
		}
	}
	if out.Compositions == nil {
		out.Compositions = &[]cdx.Composition{}
	}
	return out, nil
}
