package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/pinline/pinline/oci"
)

// copyImage copies the image src (repo@digest) to the same repository
// path on host and returns the new repo@digest.
func copyImage(t *testing.T, src, host string) string {
	t.Helper()
	d, err := name.NewDigest(src)
	if err != nil {
		t.Fatal(err)
	}
	img, err := remote.Image(d)
	if err != nil {
		t.Fatal(err)
	}
	dst := host + "/" + d.RepositoryStr() + "@" + d.DigestStr()
	dd, err := name.NewDigest(dst)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(dd, img); err != nil {
		t.Fatal(err)
	}
	return dst
}

// TestCosignVerifiesImageAttestation: what pinline attaches to an image,
// real cosign verify-attestation accepts (it reads the .att tag); and the
// negative control: cosign rejects it for another image and another key.
func TestCosignVerifiesImageAttestation(t *testing.T) {
	t.Parallel()
	bin := cosignBin(t)
	dir := fixture(t)
	p := func(n string) string { return filepath.Join(dir, n) }
	host := inProcessRegistry(t, true, nil)
	img := pushRandom(t, host+"/team/app:v1")
	other := pushRandom(t, host+"/team/app:v2")
	if code, _, e := runCLIEnv(t, pw, "attest", "--image", img, "--predicate", p("pred.json"), "--type", "slsaprovenance1", "--key", p("pl.key")); code != 0 {
		t.Fatalf("attest --image: %d %s", code, e)
	}
	write(t, p("trusted_root.json"), emptyTrustedRoot)
	// Both forms: the bundle referrer (cosign's new bundle format) and the
	// DSSE layer of the .att tag.
	args := func(image, key string, bundle bool) []string {
		a := []string{"verify-attestation", "--key", key, "--type", "slsaprovenance1", "--insecure-ignore-tlog", "--allow-http-registry"}
		if bundle {
			a = append(a, "--new-bundle-format", "--trusted-root", "trusted_root.json")
		} else {
			a = append(a, "--new-bundle-format=false")
		}
		return append(a, image)
	}
	// cosign prefers bundles when an image has any: for the .att form,
	// a second registry holds the same image with the .att tag only.
	if code, _, e := runCLIEnv(t, pw, "attest", "--image", img, "--predicate", p("pred.json"), "--type", "slsaprovenance1", "--key", p("pl.key"), "-o", p("img.intoto.json")); code != 0 {
		t.Fatalf("attest --image: %d %s", code, e)
	}
	attOnly := copyImage(t, img, inProcessRegistry(t, false, nil))
	env, err := os.ReadFile(p("img.intoto.json"))
	if err != nil {
		t.Fatal(err)
	}
	d, _ := oci.ParseDigestRef(attOnly)
	if _, err := oci.Attach(t.Context(), d, oci.Evidence{Envelope: env, PredicateType: "https://slsa.dev/provenance/v1"}, oci.Options{}); err != nil {
		t.Fatal(err)
	}
	for _, bundle := range []bool{true, false} {
		target := img
		if !bundle {
			target = attOnly
		}
		out, err := cosign(t, bin, dir, args(target, "pl.pub", bundle)...)
		if err != nil || !strings.Contains(out, "Verification for "+target) {
			t.Fatalf("cosign verify-attestation (bundle %v): %v\n%s", bundle, err, out)
		}
		if out, err := cosign(t, bin, dir, args(other, "pl.pub", bundle)...); err == nil {
			t.Fatalf("cosign accepted an image without attestations (bundle %v):\n%s", bundle, out)
		}
	}
	if out, err := cosign(t, bin, dir, "generate-key-pair", "--output-key-prefix", "cs"); err != nil {
		t.Fatalf("cosign generate-key-pair: %v\n%s", err, out)
	}
	for _, bundle := range []bool{true, false} {
		target := img
		if !bundle {
			target = attOnly
		}
		if out, err := cosign(t, bin, dir, args(target, "cs.pub", bundle)...); err == nil {
			t.Fatalf("cosign accepted the attestation with another key (bundle %v):\n%s", bundle, out)
		}
	}
}

// TestPinlineVerifiesCosignImageAttestation: what `cosign attest` attaches
// (the .att tag), pinline verify --image accepts; with the wrong builder id
// it fails.
func TestPinlineVerifiesCosignImageAttestation(t *testing.T) {
	t.Parallel()
	bin := cosignBin(t)
	dir := fixture(t)
	host := inProcessRegistry(t, false, nil)
	img := pushRandom(t, host+"/team/app:v1")
	if out, err := cosign(t, bin, dir, "generate-key-pair", "--output-key-prefix", "cs"); err != nil {
		t.Fatalf("cosign generate-key-pair: %v\n%s", err, out)
	}
	if out, err := cosign(t, bin, dir, "attest", "--key", "cs.key", "--type", "slsaprovenance1", "--predicate", "pred.json",
		"--tlog-upload=false", "--allow-http-registry", "--yes", img); err != nil {
		t.Fatalf("cosign attest: %v\n%s", err, out)
	}
	p := func(n string) string { return filepath.Join(dir, n) }
	code, out, e := runCLI(t, "verify", "--key", p("cs.pub"), "--image", img, "--builder-id", "https://pinline.dev/builders/trusted")
	if code != 0 || !strings.Contains(out, "Verified") || !strings.Contains(out, ".att#0") {
		t.Fatalf("pinline verify --image of cosign's attestation: %d\n%s%s", code, out, e)
	}
	if code, out, _ := runCLI(t, "verify", "--key", p("cs.pub"), "--image", img, "--builder-id", "https://pinline.dev/builders/untrusted"); code != 1 {
		t.Errorf("wrong builder id: %d\n%s", code, out)
	}
	if code, out, _ := runCLI(t, "verify", "--key", p("pl.pub"), "--image", img); code != 1 {
		t.Errorf("wrong key: %d\n%s", code, out)
	}
	// cosign's new bundle format: a sigstore bundle referrer.
	img2 := pushRandom(t, host+"/team/app:v2")
	if out, err := cosign(t, bin, dir, "attest", "--key", "cs.key", "--type", "slsaprovenance1", "--predicate", "pred.json",
		"--tlog-upload=false", "--new-bundle-format", "--allow-http-registry", "--yes", img2); err != nil {
		t.Fatalf("cosign attest --new-bundle-format: %v\n%s", err, out)
	}
	code, out, e = runCLI(t, "verify", "--key", p("cs.pub"), "--image", img2, "--builder-id", "https://pinline.dev/builders/trusted")
	if code != 0 || !strings.Contains(out, "(referrer sha256:") {
		t.Fatalf("pinline verify --image of cosign's bundle referrer: %d\n%s%s", code, out, e)
	}
}
