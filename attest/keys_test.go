package attest

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sigstore/cosign/v2/pkg/cosign"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/sigstore/sigstore/pkg/signature/kms"

	"github.com/pinline/pinline/internal/testenv"
)

func pass(p string) PasswordFunc { return func() ([]byte, error) { return []byte(p), nil } }

func TestGenerateLoadSignVerify(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	priv, pub, err := GenerateKeyPair(ctx, pass("s3cret"), false)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(priv), "ENCRYPTED SIGSTORE PRIVATE KEY") || !strings.Contains(string(pub), "PUBLIC KEY") {
		t.Fatalf("unexpected PEM types:\n%s\n%s", priv, pub)
	}
	dir := t.TempDir()
	keyPath, pubPath := filepath.Join(dir, "cosign.key"), filepath.Join(dir, "cosign.pub")
	_ = os.WriteFile(keyPath, priv, 0o600)
	_ = os.WriteFile(pubPath, pub, 0o644)

	if _, err := LoadSigner(ctx, keyPath, pass("wrong")); !errors.Is(err, ErrKey) || !errors.Is(err, ErrBadInput) {
		t.Errorf("wrong password: err = %v", err)
	}
	s, err := LoadSigner(ctx, keyPath, pass("s3cret"))
	if err != nil {
		t.Fatal(err)
	}
	desc := sampleDescription(time.Now())
	env, _ := signedProvenance(t, s, desc)
	vs, err := LoadVerifiers(ctx, []string{pubPath})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := verifyData(env, VerifyOptions{Verifiers: vs, Artifacts: []Artifact{{Name: "x", SHA256: desc.Subjects[0].SHA256}}}); err != nil {
		t.Fatal(err)
	}
	// A private key is not a verification key.
	if _, err := LoadVerifiers(ctx, []string{keyPath}); !errors.Is(err, ErrKey) {
		t.Errorf("private key as --key for verify: err = %v", err)
	}
}

func TestGenerateRefusesEmptyPassword(t *testing.T) {
	t.Parallel()
	if _, _, err := GenerateKeyPair(context.Background(), pass(""), false); !errors.Is(err, ErrEmptyPassword) || !errors.Is(err, ErrBadInput) {
		t.Fatalf("err = %v, want ErrEmptyPassword", err)
	}
	if _, _, err := GenerateKeyPair(context.Background(), pass(""), true); err != nil {
		t.Fatalf("explicit empty password: %v", err)
	}
}

func TestLoadKeyErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "junk")
	_ = os.WriteFile(notPEM, []byte("hello"), 0o644)
	rsaPriv := filepath.Join(dir, "rsa.pem")
	_ = os.WriteFile(rsaPriv, []byte("-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n"), 0o600)
	for name, f := range map[string]func() error{
		"missing file signer":   func() error { _, err := LoadSigner(ctx, filepath.Join(dir, "nope"), pass("x")); return err },
		"not pem signer":        func() error { _, err := LoadSigner(ctx, notPEM, pass("x")); return err },
		"unencrypted pem":       func() error { _, err := LoadSigner(ctx, rsaPriv, pass("x")); return err },
		"empty ref":             func() error { _, err := LoadSigner(ctx, "", pass("x")); return err },
		"missing file verifier": func() error { _, err := LoadVerifiers(ctx, []string{filepath.Join(dir, "nope")}); return err },
		"not pem verifier":      func() error { _, err := LoadVerifiers(ctx, []string{notPEM}); return err },
		"no keys":               func() error { _, err := LoadVerifiers(ctx, nil); return err },
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if err := f(); !errors.Is(err, ErrKey) || !errors.Is(err, ErrBadInput) {
				t.Fatalf("err = %v, want ErrKey and ErrBadInput", err)
			}
		})
	}
}

func TestKMSProvidersRegistered(t *testing.T) {
	t.Parallel()
	got := kms.SupportedProviders()
	for _, s := range KMSSchemes {
		if !slices.Contains(got, s) {
			t.Errorf("provider %s not registered (have %v)", s, got)
		}
	}
}

// TestKMSRoutedToProvider points the HashiCorp Vault provider at a closed
// port: the URI must reach that provider and its failure must be an
// operational KMS error, never a fallback to a file or another provider.
func TestKMSRoutedToProvider(t *testing.T) {
	t.Setenv("VAULT_ADDR", "http://127.0.0.1:1")
	t.Setenv("VAULT_TOKEN", "test-token")
	// Fast means the refused connection's own error, not a retry loop
	// running into the deadline; the guard only stops one that never ends.
	ctx, hung := testenv.HangGuard(t, "loading keys from an unreachable KMS")
	_, errS := LoadSigner(ctx, "hashivault://pinline-test", pass("unused"))
	_, errV := LoadVerifiers(ctx, []string{"hashivault://pinline-test"})
	hung()
	for _, err := range []error{errS, errV} {
		if !errors.Is(err, ErrKMS) || !errors.Is(err, ErrOperational) {
			t.Fatalf("err = %v, want ErrKMS and ErrOperational", err)
		}
		if !strings.Contains(err.Error(), "hashivault provider") || !strings.Contains(err.Error(), "127.0.0.1:1") {
			t.Errorf("error does not come from the vault provider: %v", err)
		}
		if errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("KMS failure ran into the deadline: %v", err)
		}
	}
}

func TestCertificateAsVerificationKey(t *testing.T) {
	t.Parallel()
	k := newTestKey(t, "k")
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sv, _ := signature.LoadECDSASignerVerifier(priv, crypto.SHA256)
	signer := NewSigner(sv, priv.Public())
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "release"}, NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, priv.Public(), priv)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "release.crt")
	_ = os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
	vs, err := LoadVerifiers(context.Background(), []string{path})
	if err != nil {
		t.Fatal(err)
	}
	desc := sampleDescription(time.Now())
	arts := []Artifact{{Name: "a", SHA256: desc.Subjects[0].SHA256}}
	env, _ := signedProvenance(t, signer, desc)
	if _, err := verifyData(env, VerifyOptions{Verifiers: vs, Artifacts: arts}); err != nil {
		t.Fatalf("certificate key: %v", err)
	}
	other, _ := signedProvenance(t, k, desc)
	if _, err := verifyData(other, VerifyOptions{Verifiers: vs, Artifacts: arts}); !errors.Is(err, ErrSignatureMismatch) {
		t.Fatalf("other key accepted: %v", err)
	}
}

// An Ed25519 key imported into cosign's format (as `cosign import-key-pair`
// does) signs with pure Ed25519, and verifiers accept pure Ed25519 and the
// Ed25519ph signatures the cosign v2 CLI writes, from that key only.
func TestEd25519CosignKey(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	edPub, edPriv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(edPriv)
	if err != nil {
		t.Fatal(err)
	}
	plain := filepath.Join(dir, "ed.pem")
	if err := os.WriteFile(plain, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	kb, err := cosign.ImportKeyPair(plain, func(bool) ([]byte, error) { return []byte("s3cret"), nil })
	if err != nil {
		t.Fatal(err)
	}
	keyPath, pubPath := filepath.Join(dir, "ed.key"), filepath.Join(dir, "ed.pub")
	_ = os.WriteFile(keyPath, kb.PrivateBytes, 0o600)
	_ = os.WriteFile(pubPath, kb.PublicBytes, 0o644)

	s, err := LoadSigner(ctx, keyPath, pass("s3cret"))
	if err != nil {
		t.Fatal(err)
	}
	desc := sampleDescription(time.Now())
	pureEnv, _ := signedProvenance(t, s, desc)
	env, err := ParseEnvelope(pureEnv)
	if err != nil {
		t.Fatal(err)
	}
	if !ed25519.Verify(edPub, PAE(env.PayloadType, env.Payload), env.Signatures[0].Sig) {
		t.Fatal("the signature is not pure Ed25519 over the PAE")
	}
	ph, err := signature.LoadED25519phSignerVerifier(edPriv)
	if err != nil {
		t.Fatal(err)
	}
	payload, err := StatementJSON(desc)
	if err != nil {
		t.Fatal(err)
	}
	phEnv, _, err := SignStatement(ctx, payload, NewSigner(ph, edPub))
	if err != nil {
		t.Fatal(err)
	}
	otherPub, _, _ := ed25519.GenerateKey(rand.Reader)
	otherPEM, err := cryptoutils.MarshalPublicKeyToPEM(otherPub)
	if err != nil {
		t.Fatal(err)
	}
	otherPath := filepath.Join(dir, "other.pub")
	_ = os.WriteFile(otherPath, otherPEM, 0o644)

	opts := func(key string) VerifyOptions {
		vs, err := LoadVerifiers(ctx, []string{key})
		if err != nil {
			t.Fatal(err)
		}
		return VerifyOptions{Verifiers: vs, Artifacts: []Artifact{{Name: "x", SHA256: desc.Subjects[0].SHA256}}}
	}
	for name, e := range map[string][]byte{"pure Ed25519": pureEnv, "Ed25519ph": phEnv} {
		if _, err := verifyData(e, opts(pubPath)); err != nil {
			t.Errorf("%s: not verified: %v", name, err)
		}
		if _, err := verifyData(e, opts(otherPath)); !errors.Is(err, ErrVerificationFailed) {
			t.Errorf("%s: another Ed25519 key: err = %v, want verification failure", name, err)
		}
	}
}
