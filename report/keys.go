package report

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
)

// ErrEncryptedKey means the private key is an encrypted cosign key; the
// caller decrypts it (attest) and passes the DER.
var ErrEncryptedKey = errors.New("encrypted cosign private key")

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

// ParseECPrivateKey reads an unencrypted PEM EC or PKCS#8 ECDSA key.
func ParseECPrivateKey(b []byte) (*ecdsa.PrivateKey, error) {
	blk, _ := pem.Decode(b)
	if blk == nil {
		return nil, errors.New("private key: no PEM block")
	}
	switch blk.Type {
	case "EC PRIVATE KEY":
		k, err := x509.ParseECPrivateKey(blk.Bytes)
		if err != nil {
			return nil, fmt.Errorf("private key: %w", err)
		}
		return k, nil
	case "PRIVATE KEY":
		return ECFromPKCS8(blk.Bytes)
	case "ENCRYPTED SIGSTORE PRIVATE KEY", "ENCRYPTED COSIGN PRIVATE KEY":
		return nil, ErrEncryptedKey
	}
	return nil, fmt.Errorf("private key: unsupported PEM type %q", blk.Type)
}

// ECFromPKCS8 parses PKCS#8 DER holding an ECDSA key.
func ECFromPKCS8(der []byte) (*ecdsa.PrivateKey, error) {
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("private key: %w", err)
	}
	ek, ok := k.(*ecdsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("private key: %T, want ECDSA", k)
	}
	return ek, nil
}
