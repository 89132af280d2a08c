package report

import (
	"context"
	"crypto"

	"github.com/pinline/pinline/attest"
)

// Verifier checks one signature over a message against one trusted key;
// report declares what it consumes. attest's verifiers (attest.LoadVerifiers:
// key files, certificates, KMS) satisfy it; report hands them to
// attest.Envelope.Verify, the one DSSE signature check.
type Verifier interface {
	Verify(ctx context.Context, message, sig []byte) error
	// Name identifies the key in problems (the key reference).
	Name() string
}

// Signer signs the evidence-pack manifest (the DSSE PAE, through
// attest.SignEnvelope). attest.LoadSigner's signers satisfy it.
type Signer interface {
	Sign(ctx context.Context, message []byte) ([]byte, error)
	PublicKey() crypto.PublicKey
}

// Verifiers converts attest's verifiers (the CLI loads them with
// attest.LoadVerifiers) to the report's.
func Verifiers(vs []attest.Verifier) []Verifier {
	out := make([]Verifier, len(vs))
	for i, v := range vs {
		out[i] = v
	}
	return out
}

// toAttest hands the verifiers to attest.
func toAttest(vs []Verifier) []attest.Verifier {
	out := make([]attest.Verifier, len(vs))
	for i, v := range vs {
		out[i] = v
	}
	return out
}
