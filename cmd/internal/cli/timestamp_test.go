package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pinline/pinline/internal/sigstoretest"
)

// TestAttestTimestampServer: attest --timestamp-server puts the
// authority's RFC 3161 timestamp into the bundle; verify checks it against
// the authority's chain (cosign's --timestamp-certificate-chain) or a
// trusted root listing it, and rejects it against another authority.
// cosign verifies the same bundle with the same chain.
func TestAttestTimestampServer(t *testing.T) {
	t.Parallel()
	dir := fixture(t)
	p := func(n string) string { return filepath.Join(dir, n) }
	tsa := sigstoretest.NewTSA(t)
	other := sigstoretest.NewTSA(t)
	write(t, p("tsa.pem"), string(tsa.Chain(t)))
	write(t, p("other.pem"), string(other.Chain(t)))
	write(t, p("root-with-tsa.json"), string(sigstoretest.New(t).TrustedRoot(tsa)))
	code, _, e := runCLIEnv(t, pw, "attest", "--key", p("pl.key"), "--predicate", p("pred.json"), "--subject", p("artifact.bin"),
		"--bundle", "--timestamp-server", tsa.URL, "-o", p("ts.sigstore.json"))
	if code != 0 || tsa.Requests.Load() != 1 {
		t.Fatalf("attest: exit %d, %d requests\n%s", code, tsa.Requests.Load(), e)
	}
	b, _ := os.ReadFile(p("ts.sigstore.json"))
	if !strings.Contains(string(b), "rfc3161Timestamps") {
		t.Fatalf("no timestamp in the bundle:\n%s", b)
	}
	verify := func(extra ...string) (int, string) {
		args := append([]string{"verify", "--key", p("pl.pub"), "--attestation", p("ts.sigstore.json"), "--artifact", p("artifact.bin")}, extra...)
		code, out, e := runCLI(t, args...)
		return code, out + e
	}
	if code, out := verify("--timestamp-certificate-chain", p("tsa.pem")); code != 0 || !strings.Contains(out, "ok   timestamps") {
		t.Fatalf("with the chain: exit %d\n%s", code, out)
	}
	if code, out := verify("--trusted-root", p("root-with-tsa.json"), "--certificate-identity", "x", "--certificate-oidc-issuer", "y"); code != 0 || !strings.Contains(out, "ok   timestamps") {
		t.Fatalf("with a trusted root: exit %d\n%s", code, out)
	}
	if code, out := verify("--timestamp-certificate-chain", p("other.pem")); code != 1 || !strings.Contains(out, "RFC 3161 timestamp") {
		t.Fatalf("another authority: exit %d\n%s", code, out)
	}
	if code, out := verify(); code != 0 || !strings.Contains(out, "not verified") {
		t.Fatalf("without authorities: exit %d\n%s", code, out)
	}
	// Usage: the envelope cannot carry it; an unreachable authority signs nothing.
	if code, _, _ := runCLIEnv(t, pw, "attest", "--key", p("pl.key"), "--predicate", p("pred.json"), "--subject", p("artifact.bin"), "--timestamp-server", tsa.URL); code != 2 {
		t.Fatalf("--timestamp-server without --bundle: exit %d", code)
	}
	if code, out, _ := runCLIEnv(t, pw, "attest", "--key", p("pl.key"), "--predicate", p("pred.json"), "--subject", p("artifact.bin"),
		"--bundle", "--timestamp-server", "http://127.0.0.1:1/", "-o", p("none.json")); code != 3 || out != "" {
		t.Fatalf("unreachable authority: exit %d %q", code, out)
	}
	if _, err := os.Stat(p("none.json")); err == nil {
		t.Fatal("a bundle was written without its timestamp")
	}

	bin := cosignBin(t)
	write(t, p("root-with-other.json"), string(sigstoretest.New(t).TrustedRoot(other)))
	for name, c := range map[string]struct {
		root string
		ok   bool
	}{"root with the authority": {"root-with-tsa.json", true}, "root with another authority": {"root-with-other.json", false}} {
		out, err := cosign(t, bin, dir, "verify-blob-attestation", "--key", "pl.pub", "--bundle", "ts.sigstore.json", "--new-bundle-format",
			"--trusted-root", c.root, "--use-signed-timestamps", "--insecure-ignore-tlog", "--type", "slsaprovenance1", "artifact.bin")
		if (err == nil) != c.ok {
			t.Errorf("cosign, %s: ok=%v, want %v\n%s", name, err == nil, c.ok, out)
		}
	}
}
