// Package sbom builds CycloneDX 1.6 bills of materials: statically from an
// inventory of a repository (modules and images), and for a run from its run
// record (outputs with hashes, Go modules compiled into binaries, and the
// workflow that actually ran as formulation).
package sbom
