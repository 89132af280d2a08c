package attest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"fmt"

	"github.com/secure-systems-lab/go-securesystemslib/encrypted"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/sigstore/sigstore/pkg/signature/options"
)

// PEM block types of cosign's encrypted private keys. pinline reads and
// writes cosign's key format with the same primitives cosign's pkg/cosign
// uses (PKCS #8, go-securesystemslib's scrypt + secretbox "encrypted"
// envelope, sigstore's PEM helpers). It does not import pkg/cosign itself:
// that package links cosign's CLI dependencies (cobra, through rekor), which
// library packages may not (imports_test.go). The interop tests check the
// format against the real cosign CLI in both directions.
const (
	SigstorePrivateKeyPEMType = "ENCRYPTED SIGSTORE PRIVATE KEY"
	CosignPrivateKeyPEMType   = "ENCRYPTED COSIGN PRIVATE KEY"
)

// encodeCosignKeyPair encrypts priv like cosign's GenerateKeyPair.
func encodeCosignKeyPair(priv crypto.Signer, password []byte) (privPEM, pubPEM []byte, err error) {
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, nil, fmt.Errorf("encode private key: %w", err)
	}
	enc, err := encrypted.Encrypt(der, password)
	if err != nil {
		return nil, nil, fmt.Errorf("encrypt private key: %w", err)
	}
	privPEM = pem.EncodeToMemory(&pem.Block{Type: SigstorePrivateKeyPEMType, Bytes: enc})
	pubPEM, err = cryptoutils.MarshalPublicKeyToPEM(priv.Public())
	if err != nil {
		return nil, nil, err
	}
	return privPEM, pubPEM, nil
}

func newCosignKey() (crypto.Signer, error) {
	return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
}

// decodeCosignKey decrypts a cosign private key PEM block like cosign's
// LoadPrivateKey (Ed25519 keys use Ed25519ph, cosign's default).
func decodeCosignKey(block *pem.Block, password []byte) (signature.SignerVerifier, error) {
	der, err := encrypted.Decrypt(block.Bytes, password)
	if err != nil {
		return nil, fmt.Errorf("decrypt: %w", err)
	}
	pk, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("parse private key: %w", err)
	}
	return signature.LoadDefaultSignerVerifier(pk, options.WithED25519ph())
}
