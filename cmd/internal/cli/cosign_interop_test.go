package cli

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"

	"github.com/pinline/pinline/internal/testenv"

	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// cosignBin returns the real cosign CLI (v2.6.5, built by
// hack/setup.d/10-tools.sh). Tests skip without it, but fail in CI.
func cosignBin(t *testing.T) string {
	t.Helper()
	return testenv.Require(t, "PINLINE_COSIGN_BIN", "hack/setup.d/10-tools.sh")
}

func cosign(t *testing.T, bin, dir string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	// An isolated home: no TUF cache, no config of the developer.
	cmd.Env = append(os.Environ(), "COSIGN_PASSWORD="+pw["COSIGN_PASSWORD"], "HOME="+dir, "TUF_ROOT="+filepath.Join(dir, ".sigstore"))
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// emptyTrustedRoot is a sigstore trusted root with no authorities: enough
// for cosign to verify a key-signed bundle offline.
const emptyTrustedRoot = `{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1"}`

func TestCosignVerifiesPinline(t *testing.T) {
	t.Parallel()
	bin := cosignBin(t)
	dir := fixture(t)
	write(t, filepath.Join(dir, "trusted_root.json"), emptyTrustedRoot)
	for name, args := range map[string][]string{
		"envelope": {"verify-blob-attestation", "--key", "pl.pub", "--signature", "pl.intoto.json", "--type", "slsaprovenance1", "--insecure-ignore-tlog", "artifact.bin"},
		"bundle": {"verify-blob-attestation", "--key", "pl.pub", "--bundle", "pl.sigstore.json", "--new-bundle-format",
			"--trusted-root", "trusted_root.json", "--type", "slsaprovenance1", "--insecure-ignore-tlog", "artifact.bin"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			out, err := cosign(t, bin, dir, args...)
			if err != nil || !strings.Contains(out, "Verified OK") {
				t.Fatalf("cosign %v: %v\n%s", args, err, out)
			}
			// The negative control: cosign must reject another artifact.
			neg := append(append([]string{}, args[:len(args)-1]...), "other.bin")
			if out, err := cosign(t, bin, dir, neg...); err == nil {
				t.Fatalf("cosign accepted the attestation for another artifact:\n%s", out)
			}
		})
	}
}

func TestPinlineVerifiesCosign(t *testing.T) {
	t.Parallel()
	bin := cosignBin(t)
	dir := fixture(t)
	p := func(n string) string { return filepath.Join(dir, n) }
	if out, err := cosign(t, bin, dir, "generate-key-pair", "--output-key-prefix", "cs"); err != nil {
		t.Fatalf("cosign generate-key-pair: %v\n%s", err, out)
	}
	// cosign signs with its own key and with pinline's; pinline signs with
	// cosign's key.
	for _, key := range []string{"cs", "pl"} {
		for _, a := range [][]string{
			{"--output-signature", key + "-cosign.intoto.json"},
			{"--new-bundle-format", "--bundle", key + "-cosign.sigstore.json"},
		} {
			args := append([]string{"attest-blob", "--key", key + ".key", "--predicate", "pred.json", "--type", "slsaprovenance1", "--tlog-upload=false", "--yes"}, a...)
			if out, err := cosign(t, bin, dir, append(args, "artifact.bin")...); err != nil {
				t.Fatalf("cosign %v: %v\n%s", args, err, out)
			}
		}
	}
	if code, _, e := runCLIEnv(t, pw, "attest", "--predicate", p("pred.json"), "--subject", p("artifact.bin"), "--key", p("cs.key"), "-o", p("pinline-cs.intoto.json")); code != 0 {
		t.Fatalf("pinline attest with a cosign key: %d %s", code, e)
	}
	cases := []struct{ att, pub string }{
		{"cs-cosign.intoto.json", "cs.pub"}, {"cs-cosign.sigstore.json", "cs.pub"},
		{"pl-cosign.intoto.json", "pl.pub"}, {"pl-cosign.sigstore.json", "pl.pub"},
		{"pinline-cs.intoto.json", "cs.pub"},
	}
	for _, c := range cases {
		t.Run(c.att, func(t *testing.T) {
			t.Parallel()
			code, out, e := runCLIEnv(t, nil, "verify", "--key", p(c.pub), "--attestation", p(c.att), "--artifact", p("artifact.bin"),
				"--builder-id", "https://pinline.dev/builders/trusted", "--tier", "trusted")
			if code != 0 || !strings.Contains(out, "Verified") {
				t.Fatalf("exit %d\n%s%s", code, out, e)
			}
			other := "cs.pub"
			if c.pub == "cs.pub" {
				other = "pl.pub"
			}
			if code, out, _ := runCLIEnv(t, nil, "verify", "--key", p(other), "--attestation", p(c.att), "--artifact", p("artifact.bin")); code != 1 {
				t.Fatalf("wrong key: exit %d\n%s", code, out)
			}
			if code, out, _ := runCLIEnv(t, nil, "verify", "--key", p(c.pub), "--attestation", p(c.att), "--artifact", p("other.bin")); code != 1 {
				t.Fatalf("other artifact: exit %d\n%s", code, out)
			}
		})
	}
	// cosign verifies what pinline signed with cosign's key.
	if out, err := cosign(t, bin, dir, "verify-blob-attestation", "--key", "cs.pub", "--signature", "pinline-cs.intoto.json",
		"--type", "slsaprovenance1", "--insecure-ignore-tlog", "artifact.bin"); err != nil {
		t.Fatalf("cosign verify of pinline envelope made with cosign key: %v\n%s", err, out)
	}
}

// TestCosignVerifiesPinlineSBOMAttestation: a CycloneDX BOM written by
// `pinline sbom` and wrapped by `pinline attest --type cyclonedx` is
// accepted by `cosign verify-blob-attestation --type cyclonedx`, as an
// envelope and as a bundle, and pinline verifies it with --type cyclonedx.
func TestCosignVerifiesPinlineSBOMAttestation(t *testing.T) {
	t.Parallel()
	bin := cosignBin(t)
	dir := fixture(t)
	p := func(n string) string { return filepath.Join(dir, n) }
	write(t, p("trusted_root.json"), emptyTrustedRoot)
	clean := filepath.Join("..", "..", "..", "testdata", "repos", "clean")
	if code, _, e := runCLIEnv(t, pw, "sbom", clean, "-o", p("bom.cdx.json")); code != 0 {
		t.Fatalf("sbom: %d %s", code, e)
	}
	for _, a := range [][]string{{"-o", p("bom.intoto.json")}, {"--bundle", "-o", p("bom.sigstore.json")}} {
		args := append([]string{"attest", "--predicate", p("bom.cdx.json"), "--type", "cyclonedx", "--subject", p("artifact.bin"), "--key", p("pl.key")}, a...)
		if code, _, e := runCLIEnv(t, pw, args...); code != 0 {
			t.Fatalf("attest %v: %d %s", a, code, e)
		}
	}
	for name, args := range map[string][]string{
		"envelope": {"verify-blob-attestation", "--key", "pl.pub", "--signature", "bom.intoto.json", "--type", "cyclonedx", "--insecure-ignore-tlog", "artifact.bin"},
		"bundle": {"verify-blob-attestation", "--key", "pl.pub", "--bundle", "bom.sigstore.json", "--new-bundle-format",
			"--trusted-root", "trusted_root.json", "--type", "cyclonedx", "--insecure-ignore-tlog", "artifact.bin"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if out, err := cosign(t, bin, dir, args...); err != nil || !strings.Contains(out, "Verified OK") {
				t.Fatalf("cosign %v: %v\n%s", args, err, out)
			}
			// The negative control: the wrong predicate type is rejected.
			neg := append([]string{}, args...)
			for i := range neg {
				if neg[i] == "cyclonedx" {
					neg[i] = "slsaprovenance1"
				}
			}
			if out, err := cosign(t, bin, dir, neg...); err == nil {
				t.Fatalf("cosign accepted the SBOM attestation as SLSA provenance:\n%s", out)
			}
		})
	}
	if code, out, e := runCLIEnv(t, pw, "verify", "--key", p("pl.pub"), "--attestation", p("bom.intoto.json"), "--type", "cyclonedx", "--artifact", p("artifact.bin")); code != 0 || !strings.Contains(out, "Verified") {
		t.Fatalf("pinline verify --type cyclonedx: %d %s %s", code, out, e)
	}
}

// TestCosignImportedKeysInterop: with Ed25519 and RSA keys imported by
// `cosign import-key-pair`, cosign verifies what pinline signs (Ed25519:
// pure) and pinline verifies what cosign signs (Ed25519: Ed25519ph), as
// envelopes and bundles; other artifacts and another key are rejected.
func TestCosignImportedKeysInterop(t *testing.T) {
	t.Parallel()
	bin := cosignBin(t)
	keys := map[string]func() (crypto.PrivateKey, error){
		"ed25519": func() (crypto.PrivateKey, error) { _, k, err := ed25519.GenerateKey(rand.Reader); return k, err },
		"rsa":     func() (crypto.PrivateKey, error) { return rsa.GenerateKey(rand.Reader, 2048) },
	}
	for name, gen := range keys {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := fixture(t)
			p := func(n string) string { return filepath.Join(dir, n) }
			write(t, p("trusted_root.json"), emptyTrustedRoot)
			priv, err := gen()
			if err != nil {
				t.Fatal(err)
			}
			der, err := x509.MarshalPKCS8PrivateKey(priv)
			if err != nil {
				t.Fatal(err)
			}
			write(t, p("imported.pem"), string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})))
			if out, err := cosign(t, bin, dir, "import-key-pair", "--key", "imported.pem", "--output-key-prefix", "imp"); err != nil {
				t.Fatalf("cosign import-key-pair: %v\n%s", err, out)
			}
			// pinline signs, cosign verifies.
			for _, a := range [][]string{{"-o", p("imp-pl.intoto.json")}, {"--bundle", "-o", p("imp-pl.sigstore.json")}} {
				args := append([]string{"attest", "--predicate", p("pred.json"), "--type", "slsaprovenance1", "--subject", p("artifact.bin"), "--key", p("imp.key")}, a...)
				if code, _, e := runCLIEnv(t, pw, args...); code != 0 {
					t.Fatalf("pinline attest %v: %d %s", a, code, e)
				}
			}
			for _, a := range [][]string{
				{"--signature", "imp-pl.intoto.json"},
				{"--bundle", "imp-pl.sigstore.json", "--new-bundle-format", "--trusted-root", "trusted_root.json"},
			} {
				args := append(append([]string{"verify-blob-attestation", "--key", "imp.pub", "--type", "slsaprovenance1", "--insecure-ignore-tlog"}, a...), "artifact.bin")
				if out, err := cosign(t, bin, dir, args...); err != nil || !strings.Contains(out, "Verified OK") {
					t.Errorf("cosign %v: %v\n%s", args, err, out)
				}
				args[len(args)-1] = "other.bin"
				if out, err := cosign(t, bin, dir, args...); err == nil {
					t.Errorf("cosign accepted %v for another artifact:\n%s", a, out)
				}
			}
			// cosign signs, pinline verifies.
			for _, a := range [][]string{
				{"--output-signature", "imp-cosign.intoto.json"},
				{"--new-bundle-format", "--bundle", "imp-cosign.sigstore.json"},
			} {
				args := append([]string{"attest-blob", "--key", "imp.key", "--predicate", "pred.json", "--type", "slsaprovenance1", "--tlog-upload=false", "--yes"}, a...)
				if out, err := cosign(t, bin, dir, append(args, "artifact.bin")...); err != nil {
					t.Fatalf("cosign %v: %v\n%s", args, err, out)
				}
			}
			for _, att := range []string{"imp-pl.intoto.json", "imp-pl.sigstore.json", "imp-cosign.intoto.json", "imp-cosign.sigstore.json"} {
				if code, out, e := runCLIEnv(t, nil, "verify", "--key", p("imp.pub"), "--attestation", p(att), "--artifact", p("artifact.bin")); code != 0 {
					t.Errorf("pinline verify %s: exit %d\n%s%s", att, code, out, e)
				}
				if code, out, _ := runCLIEnv(t, nil, "verify", "--key", p("pl.pub"), "--attestation", p(att), "--artifact", p("artifact.bin")); code != 1 {
					t.Errorf("pinline verify %s with another key: exit %d, want 1\n%s", att, code, out)
				}
				if code, out, _ := runCLIEnv(t, nil, "verify", "--key", p("imp.pub"), "--attestation", p(att), "--artifact", p("other.bin")); code != 1 {
					t.Errorf("pinline verify %s for another artifact: exit %d, want 1\n%s", att, code, out)
				}
			}
		})
	}
}
