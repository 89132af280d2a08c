package sbom

import (
	"fmt"
	"strings"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"
)

// PropertyPrefix is the namespace of every property pinline adds to a BOM.
// docs/sbom.md lists them.
const PropertyPrefix = "pinline:"

// Options control the parts of a BOM that do not come from the inputs.
type Options struct {
	// ToolVersion is pinline's version, recorded in metadata.tools.
	ToolVersion string
	// Name overrides the name of the pipeline component (metadata.component).
	Name string
	// Timestamp of the BOM. Zero means the run's finish time for runs and
	// the current time for static BOMs.
	Timestamp time.Time
	// SerialNumber overrides the BOM serial number (urn:uuid:...). Empty
	// means one derived from the run id for runs and a random one otherwise.
	SerialNumber string
	// SkipSHA512 records only the SHA-256 of run outputs. By default an
	// output carries SHA-256 and SHA-512; SHA-512 has no hardware support on
	// most x86 CPUs and bounds hashing to about half of SHA-256's speed.
	SkipSHA512 bool
}

// Format is a BOM file format.
type Format string

// Formats pinline writes.
const (
	FormatJSON Format = "json"
	FormatXML  Format = "xml"
)

// ParseFormat returns the format named s.
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(s)); f {
	case FormatJSON, FormatXML:
		return f, nil
	}
	return "", fmt.Errorf("unknown format %q, valid formats are %q", s, []string{"json", "xml"})
}

// SpecVersions are the CycloneDX specification versions pinline writes.
var SpecVersions = []string{"1.6", "1.5"}

// ParseSpecVersion returns the CycloneDX specification version named s.
func ParseSpecVersion(s string) (cdx.SpecVersion, error) {
	switch s {
	case "1.6", "":
		return cdx.SpecVersion1_6, nil
	case "1.5":
		return cdx.SpecVersion1_5, nil
	}
	return 0, fmt.Errorf("unknown spec version %q, valid versions are %q", s, SpecVersions)
}
