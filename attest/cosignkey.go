package attest

import (
	"fmt"

	"github.com/sigstore/cosign/v2/pkg/cosign"
	"github.com/sigstore/sigstore/pkg/signature"
)

// PEM block types of cosign's encrypted private keys. pinline generates and
// loads them with cosign's own pkg/cosign, so the format is cosign's by
// construction; the interop tests also check it against the real cosign CLI
// in both directions.
const (
	SigstorePrivateKeyPEMType = cosign.SigstorePrivateKeyPemType
	CosignPrivateKeyPEMType   = cosign.CosignPrivateKeyPemType
)

// encodeCosignKeyPair generates an ECDSA P-256 key pair encrypted with
// password, exactly as `cosign generate-key-pair` does.
func encodeCosignKeyPair(password []byte) (privPEM, pubPEM []byte, err error) {
	kb, err := cosign.GenerateKeyPair(func(bool) ([]byte, error) { return password, nil })
	if err != nil {
		return nil, nil, fmt.Errorf("generate key pair: %w", err)
	}
	return kb.PrivateBytes, kb.PublicBytes, nil
}

// decodeCosignKey decrypts a cosign private key with cosign's LoadPrivateKey.
// Ed25519 keys sign with pure Ed25519, as DSSE verifiers (cosign's
// verify-blob-attestation, sigstore-go, in-toto) check them. cosign's own
// default is Ed25519ph, which it needs for hashedrekord entries; with it,
// cosign v2.6.5 cannot verify its own Ed25519 blob attestations. pinline's
// verifiers accept both (see NewVerifier).
func decodeCosignKey(privPEM, password []byte) (signature.SignerVerifier, error) {
	pure := []signature.LoadOption{}
	return cosign.LoadPrivateKey(privPEM, password, &pure)
}
