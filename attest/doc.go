// Package attest produces and verifies evidence: in-toto Statement v1 with a
// SLSA Provenance v1 predicate, DSSE envelopes signed with cosign-compatible
// keys, sigstore bundles v0.3, and fail-closed verification with typed errors.
package attest
