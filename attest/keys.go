package attest

import (
	"context"
	"crypto"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/sigstore/cosign/v2/pkg/cosign"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature/kms"
	"github.com/sigstore/sigstore/pkg/signature/options"
	// The KMS providers pinline supports, registered explicitly here and
	// nowhere else. kms.Get is only called for these schemes (never for
	// sigstore's plugin fallback).
	_ "github.com/sigstore/sigstore/pkg/signature/kms/aws"
	_ "github.com/sigstore/sigstore/pkg/signature/kms/azure"
	_ "github.com/sigstore/sigstore/pkg/signature/kms/gcp"
	_ "github.com/sigstore/sigstore/pkg/signature/kms/hashivault"
)

// KMSSchemes are the key URI schemes routed to sigstore's KMS providers.
var KMSSchemes = []string{"awskms://", "gcpkms://", "azurekms://", "hashivault://"}

// PasswordFunc returns the password of an encrypted private key. It is only
// called when a key needs one.
type PasswordFunc func() ([]byte, error)

// kmsScheme returns the KMS scheme of ref, or "".
func kmsScheme(ref string) string {
	for _, s := range KMSSchemes {
		if strings.HasPrefix(ref, s) {
			return s
		}
	}
	return ""
}

// loadKMS routes ref to the sigstore provider registered for its scheme and
// fetches the public key, so an unreachable KMS fails here (ErrKMS,
// ErrOperational), never later and never with a fallback.
func loadKMS(ctx context.Context, ref string) (kms.SignerVerifier, crypto.PublicKey, error) {
	scheme := kmsScheme(ref)
	if !slices.Contains(kms.SupportedProviders(), scheme) {
		return nil, nil, fmt.Errorf("%w: %w: %s: no provider registered for %s", ErrOperational, ErrKMS, ref, scheme)
	}
	sv, err := kms.Get(ctx, ref, crypto.SHA256)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w: %s (%s provider): %w", ErrOperational, ErrKMS, ref, strings.TrimSuffix(scheme, "://"), err)
	}
	pub, err := sv.PublicKey(options.WithContext(ctx))
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w: %s (%s provider): fetch public key: %w", ErrOperational, ErrKMS, ref, strings.TrimSuffix(scheme, "://"), err)
	}
	return sv, pub, nil
}

// LoadSigner loads a signing key: a cosign / sigstore encrypted private key
// file (password asks for its password) or a KMS URI (see KMSSchemes).
func LoadSigner(ctx context.Context, keyRef string, password PasswordFunc) (Signer, error) {
	if keyRef == "" {
		return nil, fmt.Errorf("%w: %w: no key given", ErrBadInput, ErrKey)
	}
	if kmsScheme(keyRef) != "" {
		sv, pub, err := loadKMS(ctx, keyRef)
		if err != nil {
			return nil, err
		}
		return NewSigner(sv, pub), nil
	}
	data, err := os.ReadFile(keyRef)
	if err != nil {
		return nil, fmt.Errorf("%w: %w: %w", ErrBadInput, ErrKey, err)
	}
	return SignerFromPEM(data, keyRef, password)
}

// SignerFromPEM loads an encrypted cosign / sigstore private key.
func SignerFromPEM(data []byte, name string, password PasswordFunc) (Signer, error) {
	p, _ := pem.Decode(data)
	if p == nil {
		return nil, fmt.Errorf("%w: %w: %s: not a PEM file", ErrBadInput, ErrKey, name)
	}
	if p.Type != cosign.SigstorePrivateKeyPemType && p.Type != cosign.CosignPrivateKeyPemType {
		return nil, fmt.Errorf("%w: %w: %s: PEM type %q is not an encrypted cosign private key", ErrBadInput, ErrKey, name, p.Type)
	}
	if password == nil {
		return nil, fmt.Errorf("%w: %w: %s: encrypted key and no password source", ErrBadInput, ErrKey, name)
	}
	pass, err := password()
	if err != nil {
		return nil, fmt.Errorf("%w: %w: %s: password: %w", ErrBadInput, ErrKey, name, err)
	}
	sv, err := cosign.LoadPrivateKey(data, pass, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %w: %s: %w (wrong password?)", ErrBadInput, ErrKey, name, err)
	}
	pub, err := sv.PublicKey()
	if err != nil {
		return nil, fmt.Errorf("%w: %w: %s: %w", ErrBadInput, ErrKey, name, err)
	}
	return NewSigner(sv, pub), nil
}

// LoadVerifiers loads trusted keys: public key PEM files, certificate PEM
// files (their public key is trusted; no chain is checked) or KMS URIs. Every
// reference must load; one failure fails the whole set.
func LoadVerifiers(ctx context.Context, keyRefs []string) ([]Verifier, error) {
	if len(keyRefs) == 0 {
		return nil, fmt.Errorf("%w: %w: at least one --key is required", ErrBadInput, ErrKey)
	}
	out := make([]Verifier, 0, len(keyRefs))
	for _, ref := range keyRefs {
		var pub crypto.PublicKey
		if kmsScheme(ref) != "" {
			_, p, err := loadKMS(ctx, ref)
			if err != nil {
				return nil, err
			}
			pub = p
		} else {
			data, err := os.ReadFile(ref)
			if err != nil {
				return nil, fmt.Errorf("%w: %w: %w", ErrBadInput, ErrKey, err)
			}
			if pub, err = PublicKeyFromPEM(data, ref); err != nil {
				return nil, err
			}
		}
		v, err := NewVerifier(pub, ref)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrBadInput, err)
		}
		out = append(out, v)
	}
	return out, nil
}

// PublicKeyFromPEM reads a PEM public key or the public key of the first
// certificate in a PEM file.
func PublicKeyFromPEM(data []byte, name string) (crypto.PublicKey, error) {
	p, _ := pem.Decode(data)
	if p == nil {
		return nil, fmt.Errorf("%w: %w: %s: not a PEM file", ErrBadInput, ErrKey, name)
	}
	switch p.Type {
	case "CERTIFICATE":
		certs, err := cryptoutils.UnmarshalCertificatesFromPEM(data)
		if err != nil || len(certs) == 0 {
			return nil, fmt.Errorf("%w: %w: %s: certificate: %v", ErrBadInput, ErrKey, name, err)
		}
		return certs[0].PublicKey, nil
	case "PUBLIC KEY":
		pub, err := cryptoutils.UnmarshalPEMToPublicKey(data)
		if err != nil {
			return nil, fmt.Errorf("%w: %w: %s: %w", ErrBadInput, ErrKey, name, err)
		}
		return pub, nil
	case cosign.SigstorePrivateKeyPemType, cosign.CosignPrivateKeyPemType:
		return nil, fmt.Errorf("%w: %w: %s is a private key; verify with the public key (.pub)", ErrBadInput, ErrKey, name)
	default:
		return nil, fmt.Errorf("%w: %w: %s: unsupported PEM type %q", ErrBadInput, ErrKey, name, p.Type)
	}
}

// ErrEmptyPassword is returned by GenerateKeyPair for an empty password when
// allowEmpty is false.
var ErrEmptyPassword = errors.New("empty password (pass it explicitly to allow an unencrypted-equivalent key)")

// GenerateKeyPair makes a cosign-compatible ECDSA P-256 key pair: an
// "ENCRYPTED SIGSTORE PRIVATE KEY" PEM and a "PUBLIC KEY" PEM.
func GenerateKeyPair(_ context.Context, password PasswordFunc, allowEmpty bool) (privPEM, pubPEM []byte, err error) {
	kb, err := cosign.GenerateKeyPair(func(bool) ([]byte, error) {
		p, err := password()
		if err != nil {
			return nil, err
		}
		if len(p) == 0 && !allowEmpty {
			return nil, ErrEmptyPassword
		}
		return p, nil
	})
	if err != nil {
		if errors.Is(err, ErrEmptyPassword) {
			return nil, nil, fmt.Errorf("%w: %w", ErrBadInput, err)
		}
		return nil, nil, fmt.Errorf("generate key pair: %w", err)
	}
	return kb.PrivateBytes, kb.PublicBytes, nil
}
