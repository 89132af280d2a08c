// Package attest produces and verifies evidence: in-toto Statement v1 with a
// SLSA Provenance v1 predicate (buildType
// https://pinline.dev/buildtypes/dagger-pipeline/v1, see docs/buildtype.md),
// DSSE envelopes signed with cosign-compatible keys or KMS keys, sigstore
// bundles v0.3, and fail-closed verification with typed errors.
//
// Producing (used by the pipeline):
//
//	signer, err := attest.LoadSigner(ctx, "cosign.key", password) // or a KMS URI
//	envelopeJSON, bundleJSON, err := attest.SignProvenance(ctx, desc, signer)
//
// Verifying:
//
//	verifiers, err := attest.LoadVerifiers(ctx, []string{"cosign.pub"})
//	atts, err := attest.ParseAttestations(path, data)
//	report, err := attest.Verify(ctx, &attest.VerifyOptions{Verifiers: verifiers, Artifacts: arts}, atts)
//
// Keyless evidence (Fulcio certificates) is verified offline through
// sigstore-go against a trusted_root.json:
//
//	tm, err := attest.LoadTrustedRoot("trusted_root.json", "")
//	k, err := attest.NewKeyless(tm, "trusted_root.json", attest.CertificateIdentity{Repo: "o/r"}, false)
//	report, err := attest.Verify(ctx, &attest.VerifyOptions{Keyless: k, Artifacts: arts}, atts)
//
// Every error wraps one class (ErrVerificationFailed, ErrBadInput,
// ErrOperational) and a specific reason (ErrSignatureMismatch,
// ErrSubjectMismatch, ErrPolicyDenied, ...). The package reads no
// environment and prints nothing; KMS providers read their own settings.
package attest
