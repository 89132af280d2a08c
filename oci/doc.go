// Package oci attaches pinline's evidence to container images in OCI
// registries and fetches it back for verification. It is the one place
// pinline talks to registries for evidence, always through
// go-containerregistry's remote package.
//
// Attach writes, for one image digest (the subject):
//
//   - the signed provenance as a sigstore bundle v0.3, an OCI 1.1 referrer
//     with artifact type application/vnd.dev.sigstore.bundle.v0.3+json (the
//     layout cosign's --new-bundle-format uses);
//   - the SBOM as a referrer with artifact type application/vnd.cyclonedx+json;
//   - the same DSSE envelope as a layer of the image tagged sha256-<hex>.att,
//     cosign's tag scheme, so that tools reading tags (cosign
//     verify-attestation) find it.
//
// Registries without the referrers API get the referrers tag schema of the
// OCI distribution spec (an index tagged sha256-<hex>), which
// go-containerregistry maintains on push and reads on fetch.
//
// Fetch lists both places and returns every attestation it found, each
// checked on the way: the referrer's subject must be the requested digest,
// every manifest and blob must match the digest it was fetched by, and
// sizes and counts are bounded (Limits), so a hostile registry can make
// verification fail but never make it pass or exhaust memory. Whether an
// attestation is genuine is decided by package attest, not here.
package oci
