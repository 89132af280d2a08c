package report

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"strconv"
)

// The test-only DSSE key checker and signer: production wires report to
// attest's verifiers and signers (cmd/internal/cli/report_attest.go).

// PAE is the DSSE v1 pre-authentication encoding; signatures are over it,
// never over the payload alone.
func PAE(payloadType string, payload []byte) []byte {
	b := []byte("DSSEv1 ")
	b = strconv.AppendInt(b, int64(len(payloadType)), 10)
	b = append(b, ' ')
	b = append(b, payloadType...)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(len(payload)), 10)
	b = append(b, ' ')
	return append(b, payload...)
}

// KeyChecker verifies DSSE signatures with public keys (ECDSA, Ed25519,
// RSA PKCS#1 v1.5 over SHA-256). Any one key verifying one signature is
// enough.
type KeyChecker struct {
	Keys []crypto.PublicKey
}

// VerifyDSSE implements SignatureChecker.
func (k KeyChecker) VerifyDSSE(_ context.Context, b []byte) (string, []byte, error) {
	env, payload, err := ParseEnvelope(b)
	if err != nil {
		return "", nil, err
	}
	if len(env.Signatures) == 0 {
		return "", nil, ErrNoSignatures
	}
	pae := PAE(env.PayloadType, payload)
	sum := sha256.Sum256(pae)
	for _, s := range env.Signatures {
		sig, err := base64.StdEncoding.DecodeString(s.Sig)
		if err != nil {
			continue
		}
		for _, key := range k.Keys {
			if verifyOne(key, pae, sum[:], sig) {
				return env.PayloadType, payload, nil
			}
		}
	}
	return "", nil, ErrSignature
}

func verifyOne(key crypto.PublicKey, msg, digest, sig []byte) bool {
	switch k := key.(type) {
	case *ecdsa.PublicKey:
		return ecdsa.VerifyASN1(k, digest, sig)
	case ed25519.PublicKey:
		return ed25519.Verify(k, msg, sig)
	case *rsa.PublicKey:
		return rsa.VerifyPKCS1v15(k, crypto.SHA256, digest, sig) == nil
	}
	return false
}

// ECDSASigner signs DSSE envelopes with an ECDSA key (ASN.1 signature over
// SHA-256 of the PAE, as cosign does). KeyID is the hex SHA-256 of the
// public key's PKIX DER.
type ECDSASigner struct {
	Key *ecdsa.PrivateKey
}

// SignDSSE implements Signer.
func (s ECDSASigner) SignDSSE(_ context.Context, payloadType string, payload []byte) ([]byte, error) {
	sum := sha256.Sum256(PAE(payloadType, payload))
	sig, err := ecdsa.SignASN1(rand.Reader, s.Key, sum[:])
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	der, err := x509.MarshalPKIXPublicKey(&s.Key.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	id := sha256.Sum256(der)
	env := Envelope{
		PayloadType: payloadType,
		Payload:     base64.StdEncoding.EncodeToString(payload),
		Signatures:  []Signature{{KeyID: hex.EncodeToString(id[:]), Sig: base64.StdEncoding.EncodeToString(sig)}},
	}
	return json.MarshalIndent(env, "", "  ")
}

// ParsePublicKey reads a PEM "PUBLIC KEY" (PKIX), as in cosign.pub.
func ParsePublicKey(b []byte) (crypto.PublicKey, error) {
	blk, _ := pem.Decode(b)
	if blk == nil {
		return nil, errors.New("public key: no PEM block")
	}
	if blk.Type != "PUBLIC KEY" {
		return nil, fmt.Errorf("public key: PEM type %q, want PUBLIC KEY", blk.Type)
	}
	k, err := x509.ParsePKIXPublicKey(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("public key: %w", err)
	}
	return k, nil
}
