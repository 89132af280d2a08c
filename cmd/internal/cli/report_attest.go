package cli

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/pinline/pinline/attest"
	"github.com/pinline/pinline/report"
)

// attestChecker implements report.SignatureChecker: it verifies DSSE envelopes with attest's verifiers (public
// key files, certificates, KMS keys loaded by attest.LoadVerifiers).
type attestChecker struct {
	Verifiers []attest.Verifier
}

// VerifyDSSE implements report.SignatureChecker over the PAE, never the payload.
func (c attestChecker) VerifyDSSE(ctx context.Context, b []byte) (string, []byte, error) {
	env, err := attest.ParseEnvelope(b)
	if err != nil {
		return "", nil, err
	}
	if len(env.Signatures) == 0 {
		return "", nil, report.ErrNoSignatures
	}
	pae := attest.PAE(env.PayloadType, env.Payload)
	for _, s := range env.Signatures {
		for _, v := range c.Verifiers {
			if err := ctx.Err(); err != nil {
				return "", nil, err
			}
			if v.Verify(ctx, pae, s.Sig) == nil {
				return env.PayloadType, env.Payload, nil
			}
		}
	}
	return "", nil, report.ErrSignature
}

// attestSigner signs DSSE envelopes with an attest.Signer (cosign key or
// KMS, loaded by attest.LoadSigner).
type attestSigner struct {
	Signer attest.Signer
}

// SignDSSE implements report.Signer.
func (s attestSigner) SignDSSE(ctx context.Context, payloadType string, payload []byte) ([]byte, error) {
	env, err := attest.SignEnvelope(ctx, s.Signer, payloadType, payload)
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	return json.MarshalIndent(env, "", "  ")
}
