// Package pipeline runs a pinline.yaml pipeline on a Dagger engine after the
// policy gate allows it, and writes the run record, SBOM and provenance.
// It is the only package that imports the Dagger SDK.
package pipeline
