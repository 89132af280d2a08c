package attest

import (
	"context"
	"encoding/hex"
	"fmt"
)

// Verify checks that one of the envelope's signatures verifies over the
// PAE with one of vs, and returns the name of the key that verified. It is
// the signature check of Verify, for callers that trust a DSSE envelope by
// key alone (audit reports, evidence-pack manifests). Errors wrap
// ErrNoSignatures or ErrSignatureMismatch (class ErrVerificationFailed), or
// ErrBadInput when vs is empty.
func (e *Envelope) Verify(ctx context.Context, vs []Verifier) (string, error) {
	return verifySignatures(ctx, e, vs)
}

// verifySignatures returns the name of the first trusted key that verifies
// one of the envelope's signatures over the PAE.
func verifySignatures(ctx context.Context, env *Envelope, vs []Verifier) (string, error) {
	if len(env.Signatures) == 0 {
		return "", failed(ErrNoSignatures, "nothing to verify")
	}
	if len(vs) == 0 {
		return "", fmt.Errorf("%w: %w: no trusted keys", ErrBadInput, ErrKey)
	}
	pae := PAE(env.PayloadType, env.Payload)
	se := &SignatureError{Signatures: len(env.Signatures), Keys: len(vs)}
	for i, s := range env.Signatures {
		if len(s.Sig) == 0 {
			se.Reasons = append(se.Reasons, fmt.Sprintf("signature %d is empty", i))
			continue
		}
		for _, v := range vs {
			if err := v.Verify(ctx, pae, s.Sig); err == nil {
				return v.Name(), nil
			}
		}
		se.Reasons = append(se.Reasons, fmt.Sprintf("signature %d (keyid %q, %s) verifies with no trusted key", i, s.KeyID, shortHex(s.Sig)))
	}
	return "", se
}

func shortHex(b []byte) string {
	if len(b) > 8 {
		b = b[:8]
	}
	return hex.EncodeToString(b) + "…"
}
