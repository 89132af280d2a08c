package attest

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/base64"
	"errors"
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
// hashing with SHA-256 where the algorithm needs a hash. An Ed25519 key
// accepts pure Ed25519 signatures (what pinline and other DSSE signers
// write) and Ed25519ph ones (what the cosign v2 CLI writes by default). The
// two schemes are domain-separated, so neither signature can stand for the
// other; both need the private key.
func NewVerifier(pub crypto.PublicKey, name string) (Verifier, error) {
	if ec, ok := pub.(*ecdsa.PublicKey); ok && ec.Curve == elliptic.P256() {
		// cosign's default key type: verify directly (same algorithm as
		// sigstore's ECDSAVerifier with SHA-256, without its reader plumbing).
		return &p256Verifier{pub: ec, name: name}, nil
	}
	if ed, ok := pub.(ed25519.PublicKey); ok {
		if len(ed) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("%w: %s: Ed25519 public key of %d bytes", ErrKey, name, len(ed))
		}
		return &ed25519Verifier{pub: ed, name: name}, nil
	}
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

// p256Verifier checks ASN.1 ECDSA P-256 signatures over SHA-256.
type p256Verifier struct {
	pub  *ecdsa.PublicKey
	name string
}

func (v *p256Verifier) Verify(_ context.Context, message, sig []byte) error {
	h := sha256.Sum256(message)
	if !ecdsa.VerifyASN1(v.pub, h[:], sig) {
		return errors.New("invalid ECDSA signature")
	}
	return nil
}

func (v *p256Verifier) Name() string { return v.name }

// ed25519Verifier checks pure Ed25519 and Ed25519ph signatures.
type ed25519Verifier struct {
	pub  ed25519.PublicKey
	name string
}

func (v *ed25519Verifier) Verify(_ context.Context, message, sig []byte) error {
	if ed25519.Verify(v.pub, message, sig) {
		return nil
	}
	h := sha512.Sum512(message)
	if ed25519.VerifyWithOptions(v.pub, h[:], sig, &ed25519.Options{Hash: crypto.SHA512}) == nil {
		return nil
	}
	return errors.New("invalid Ed25519 signature (neither pure Ed25519 nor Ed25519ph)")
}

func (v *ed25519Verifier) Name() string { return v.name }

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
