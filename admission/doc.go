// Package admission writes Kubernetes admission policies that require
// pinline's evidence on the images a cluster runs: a Kyverno ClusterPolicy
// (verifyImages with an in-toto attestation check) and a sigstore
// policy-controller ClusterImagePolicy. Both require SLSA v1 provenance
// signed by a given key whose runDetails.builder.id is the given builder
// (one per tier) and, optionally, whose externalParameters.tier is the
// given tier.
//
// The manifests are built from typed structs with exactly the fields of
// those projects' CRDs; the tests validate them strictly (unknown fields
// rejected) against the CRD schemas the projects publish in their Go
// modules.
package admission
