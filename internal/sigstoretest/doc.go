// Package sigstoretest is a local, offline sigstore for tests: a
// Fulcio-like CA issuing short-lived certificates with Fulcio's OIDC
// extensions and embedded SCTs from a CT log key, a Rekor v1 log (entry
// bodies made by rekor's own types, signed entry timestamps, inclusion
// proofs with signed checkpoints) and a timestamp authority, plus the
// sigstore trusted_root.json that trusts them. The log and the TSA are
// sigstore-go's VirtualSigstore (pkg/testing/ca); VirtualSigstore also
// makes the Rekor v2 vectors (VirtualRoot). Test vectors are generated per
// run, never copied from other projects.
package sigstoretest
