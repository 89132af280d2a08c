package attest

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"fmt"

	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/sigstore/sigstore/pkg/signature/options"
)

// Signer signs messages (for DSSE: the PAE of the payload).
type Signer interface {
	// Sign returns the signature over message.
	Sign(ctx context.Context, message []byte) ([]byte, error)
	// PublicKey is the key that verifies the signatures.
	PublicKey() crypto.PublicKey
}

// Verifier checks a signature over a message against one trusted key.
type Verifier interface {
	Verify(ctx context.Context, message, sig []byte) error
	// Name identifies the key in reports (the key reference it came from).
	Name() string
}

// sigstoreSigner adapts a sigstore signature.Signer (cosign key or KMS).
type sigstoreSigner struct {
	s   signature.Signer
	pub crypto.PublicKey
}

// NewSigner wraps a sigstore signer whose public key is pub.
func NewSigner(s signature.Signer, pub crypto.PublicKey) Signer {
	return &sigstoreSigner{s: s, pub: pub}
}

func (s *sigstoreSigner) Sign(ctx context.Context, message []byte) ([]byte, error) {
	sig, err := s.s.SignMessage(bytes.NewReader(message), options.WithContext(ctx))
	if err != nil {
		return nil, fmt.Errorf("%w: sign: %w", ErrOperational, err)
	}
	return sig, nil
}

func (s *sigstoreSigner) PublicKey() crypto.PublicKey { return s.pub }

// sigstoreVerifier adapts a local sigstore signature.Verifier.
type sigstoreVerifier struct {
	v    signature.Verifier
	name string
}

// NewVerifier returns a Verifier for a public key (ECDSA, RSA or Ed25519),
// hashing with SHA-256 where the algorithm needs a hash.
func NewVerifier(pub crypto.PublicKey, name string) (Verifier, error) {
	v, err := signature.LoadVerifier(pub, crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrKey, name, err)
	}
	return &sigstoreVerifier{v: v, name: name}, nil
}

func (v *sigstoreVerifier) Verify(_ context.Context, message, sig []byte) error {
	return v.v.VerifySignature(bytes.NewReader(sig), bytes.NewReader(message))
}

func (v *sigstoreVerifier) Name() string { return v.name }

// KeyHint is the sigstore bundle publicKey hint cosign writes: base64 of the
// sha256 of the PKIX DER public key.
func KeyHint(pub crypto.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", fmt.Errorf("%w: marshal public key: %w", ErrKey, err)
	}
	h := sha256.Sum256(der)
	return base64.StdEncoding.EncodeToString(h[:]), nil
}
