package report

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
)

// InTotoPayloadType is the DSSE payload type of in-toto statements.
const InTotoPayloadType = "application/vnd.in-toto+json"

// Envelope is a DSSE envelope.
type Envelope struct {
	PayloadType string      `json:"payloadType"`
	Payload     string      `json:"payload"`
	Signatures  []Signature `json:"signatures"`
}

// Signature is one DSSE signature.
type Signature struct {
	KeyID string `json:"keyid"`
	Sig   string `json:"sig"`
}

// ErrNoSignatures means an envelope carries no signature.
var ErrNoSignatures = errors.New("envelope has no signatures")

// ErrSignature means no signature verified with any of the keys.
var ErrSignature = errors.New("no signature verified with the given keys")

// SignatureChecker verifies a DSSE envelope and returns its verified
// payload. cmd wires it (and Signer) to attest's verifiers and signers.
type SignatureChecker interface {
	VerifyDSSE(ctx context.Context, envelope []byte) (payloadType string, payload []byte, err error)
}

// Signer signs DSSE envelopes (for the evidence-pack manifest).
type Signer interface {
	SignDSSE(ctx context.Context, payloadType string, payload []byte) ([]byte, error)
}

// ParseEnvelope decodes a DSSE envelope.
func ParseEnvelope(b []byte) (*Envelope, []byte, error) {
	var env Envelope
	if err := json.Unmarshal(b, &env); err != nil {
		return nil, nil, fmt.Errorf("dsse envelope: %w", err)
	}
	if env.PayloadType == "" {
		return nil, nil, errors.New("dsse envelope: missing payloadType")
	}
	payload, err := base64.StdEncoding.DecodeString(env.Payload)
	if err != nil {
		return nil, nil, fmt.Errorf("dsse envelope: payload: %w", err)
	}
	return &env, payload, nil
}
