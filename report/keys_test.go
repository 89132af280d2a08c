package report

import (
	"crypto"
	"crypto/ecdsa"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/sigstore/sigstore/pkg/signature"

	"github.com/pinline/pinline/attest"
)

// Tests sign and verify through attest, as production does: one envelope
// parser, one PAE, one strictness.

// signerOf is an attest.Signer over k (ECDSA P-256, SHA-256, as cosign).
func signerOf(t testing.TB, k *ecdsa.PrivateKey) attest.Signer {
	t.Helper()
	sv, err := signature.LoadECDSASignerVerifier(k, crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	return attest.NewSigner(sv, k.Public())
}

// verifiersOf are attest verifiers of the keys' public halves.
func verifiersOf(t testing.TB, ks ...*ecdsa.PrivateKey) []Verifier {
	t.Helper()
	vs := make([]Verifier, 0, len(ks))
	for i, k := range ks {
		v, err := attest.NewVerifier(k.Public(), fmt.Sprintf("key%d.pub", i))
		if err != nil {
			t.Fatal(err)
		}
		vs = append(vs, v)
	}
	return vs
}

// fixtureVerifiers load testdata/keys/fixture.pub as the CLI loads --key.
func fixtureVerifiers(t testing.TB) []Verifier {
	t.Helper()
	vs, err := attest.LoadVerifiers(t.Context(), []string{filepath.Join("testdata", "keys", "fixture.pub")})
	if err != nil {
		t.Fatal(err)
	}
	return Verifiers(vs)
}

// openRoot opens a run directory as record's writers take it.
func openRoot(t testing.TB, dir string) *os.Root {
	t.Helper()
	r, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}
