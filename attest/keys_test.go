package attest

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sigstore/sigstore/pkg/signature/kms"
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
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	start := time.Now()
	_, errS := LoadSigner(ctx, "hashivault://pinline-test", pass("unused"))
	_, errV := LoadVerifiers(ctx, []string{"hashivault://pinline-test"})
	for _, err := range []error{errS, errV} {
		if !errors.Is(err, ErrKMS) || !errors.Is(err, ErrOperational) {
			t.Fatalf("err = %v, want ErrKMS and ErrOperational", err)
		}
		if !strings.Contains(err.Error(), "hashivault provider") || !strings.Contains(err.Error(), "127.0.0.1:1") {
			t.Errorf("error does not come from the vault provider: %v", err)
		}
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("KMS failure took %s, want fast", d)
	}
}
