package attest

import "context"

// Verify checks that one of the envelope's signatures verifies over the
// PAE with one of vs, and returns the name of the key that verified. It is
// the signature check of Verify, for callers that trust a DSSE envelope by
// key alone (audit reports, evidence-pack manifests). Errors wrap
// ErrNoSignatures or ErrSignatureMismatch (class ErrVerificationFailed), or
// ErrBadInput when vs is empty.
func (e *Envelope) Verify(ctx context.Context, vs []Verifier) (string, error) {
	return verifySignatures(ctx, e, vs)
}
