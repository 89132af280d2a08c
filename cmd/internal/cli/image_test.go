package cli

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/pinline/pinline/internal/sigstoretest"
	"github.com/pinline/pinline/oci"
)

// inProcessRegistry is go-containerregistry's registry on 127.0.0.1, with
// or without the referrers API, behind wrap when given.
func inProcessRegistry(t *testing.T, referrers bool, wrap func(http.Handler) http.Handler) string {
	t.Helper()
	var h http.Handler = registry.New(registry.WithReferrersSupport(referrers), registry.Logger(log.New(io.Discard, "", 0)))
	if wrap != nil {
		h = wrap(h)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// pushRandom pushes a random image to ref (a tag) and returns ref's
// repository@digest.
func pushRandom(t *testing.T, ref string) string {
	t.Helper()
	img, err := random.Image(512, 1)
	if err != nil {
		t.Fatal(err)
	}
	tag, err := name.NewTag(ref)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(tag, img); err != nil {
		t.Fatal(err)
	}
	d, _ := img.Digest()
	return tag.Context().String() + "@" + d.String()
}

// TestImageAttestVerify: attest --image attaches, verify --image fetches
// and verifies, on registries with and without the referrers API.
func TestImageAttestVerify(t *testing.T) {
	t.Parallel()
	for _, referrers := range []bool{true, false} {
		t.Run(map[bool]string{true: "referrers", false: "tag-schema"}[referrers], func(t *testing.T) {
			t.Parallel()
			dir := fixture(t)
			p := func(n string) string { return filepath.Join(dir, n) }
			host := inProcessRegistry(t, referrers, nil)
			img := pushRandom(t, host+"/team/app:v1")
			attestArgs := []string{"attest", "--image", img, "--predicate", p("pred.json"), "--type", "slsaprovenance1", "--key", p("pl.key"), "-o", p("img.intoto.json")}
			if code, _, e := runCLIEnv(t, pw, attestArgs...); code != 0 {
				t.Fatalf("attest --image: %d %s", code, e)
			}
			if err := os.MkdirAll(p("deny"), 0o755); err != nil {
				t.Fatal(err)
			}
			write(t, p("deny/deny.rego"), "package pinline.deploy\n\ndeny contains \"not this image\" if {\n\tsome a in input.verification.artifacts\n\ta.isSubject\n}\n")
			verify := func(args ...string) (int, string) {
				t.Helper()
				code, out, e := runCLI(t, append([]string{"verify", "--key", p("pl.pub")}, args...)...)
				return code, out + e
			}
			code, out := verify("--image", img, "--builder-id", "https://pinline.dev/builders/trusted", "--tier", "trusted")
			if code != 0 || !strings.Contains(out, "Verified") {
				t.Fatalf("verify --image: %d\n%s", code, out)
			}
			// Both places were read: the bundle referrer and the .att layer.
			if !strings.Contains(out, "(referrer sha256:") || !strings.Contains(out, ".att#0") {
				t.Errorf("verify did not read both the referrer and the .att tag:\n%s", out)
			}
			// The tag moves to another image: the old digest's verdict
			// stays, the new digest has no evidence.
			moved := pushRandom(t, host+"/team/app:v1")
			if code, out := verify("--image", img); code != 0 {
				t.Errorf("old digest after the tag moved: %d\n%s", code, out)
			}
			if code, out := verify("--image", moved); code != 1 || !strings.Contains(out, "no attestation") {
				t.Errorf("new digest without evidence: %d\n%s", code, out)
			}
			for name, tt := range map[string]struct {
				args []string
				code int
				want string
			}{
				"wrong builder": {[]string{"--image", img, "--builder-id", "https://pinline.dev/builders/untrusted"}, 1, "Verification failed"},
				"deploy policy": {[]string{"--image", img, "--policy", p("deny")}, 1, "not this image"},
				"wrong tier":    {[]string{"--image", img, "--tier", "untrusted"}, 1, "Verification failed"},
				"tag only":      {[]string{"--image", host + "/team/app:v1"}, 2, "has no digest"},
				"with files":    {[]string{"--image", img, "--attestation", p("pl.sigstore.json")}, 2, "drop --attestation"},
				"bad digest":    {[]string{"--image", host + "/team/app@sha256:abc"}, 2, "bad image reference"},
			} {
				if code, out := verify(tt.args...); code != tt.code || !strings.Contains(out, tt.want) {
					t.Errorf("%s: exit %d, want %d with %q\n%s", name, code, tt.code, tt.want, out)
				}
			}
			// Another key does not verify.
			if code, _, e := runCLIEnv(t, pw, "keys", "generate", "--output-key-prefix", p("other")); code != 0 {
				t.Fatal(e)
			}
			if code, out, _ := runCLI(t, "verify", "--key", p("other.pub"), "--image", img); code != 1 {
				t.Errorf("other key: %d\n%s", code, out)
			}
			// A tampered attestation next to the good one fails the
			// verification: everything attached must verify.
			tampered := tamperEnvelope(t, p("img.intoto.json"))
			d, _ := oci.ParseDigestRef(img)
			if _, err := oci.Attach(context.Background(), d, oci.Evidence{Envelope: tampered, PredicateType: "https://slsa.dev/provenance/v1"}, oci.Options{}); err != nil {
				t.Fatal(err)
			}
			if code, out := verify("--image", img); code != 1 || !strings.Contains(out, "FAIL signature") {
				t.Errorf("tampered attestation: %d\n%s", code, out)
			}
		})
	}
}

// tamperEnvelope changes the builder id in the statement of a signed DSSE
// envelope and keeps its signature.
func tamperEnvelope(t *testing.T, file string) []byte {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var env map[string]any
	if err := json.Unmarshal(b, &env); err != nil {
		t.Fatal(err)
	}
	payload, _ := base64.StdEncoding.DecodeString(env["payload"].(string))
	// Still a valid statement, other bytes: only the signature can tell.
	payload = []byte(strings.Replace(string(payload), "https://pinline.dev/builders/", "https://pinline.dev/builders/x", 1))
	if !strings.Contains(string(payload), "builders/x") {
		t.Fatalf("%s: no builder id to tamper with", file)
	}
	env["payload"] = base64.StdEncoding.EncodeToString(payload)
	out, _ := json.Marshal(env)
	return out
}

// A registry that serves another image's referrers for this one: verify
// --image fails (exit 1), it never verifies the other image's evidence.
func TestVerifyImageHostileRegistry(t *testing.T) {
	t.Parallel()
	dir := fixture(t)
	p := func(n string) string { return filepath.Join(dir, n) }
	var swap atomic.Pointer[[2]string] // path served instead: {from, to}
	host := inProcessRegistry(t, true, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if sw := swap.Load(); sw != nil && r.URL.Path == sw[0] {
				r.URL.Path = sw[1]
			}
			h.ServeHTTP(w, r)
		})
	})
	a, b := pushRandom(t, host+"/team/app:a"), pushRandom(t, host+"/team/app:b")
	if code, _, e := runCLIEnv(t, pw, "attest", "--image", a, "--predicate", p("pred.json"), "--type", "slsaprovenance1", "--key", p("pl.key")); code != 0 {
		t.Fatalf("attest: %s", e)
	}
	digest := func(ref string) string { _, d, _ := strings.Cut(ref, "@"); return d }
	swap.Store(&[2]string{"/v2/team/app/referrers/" + digest(b), "/v2/team/app/referrers/" + digest(a)})
	code, out, e := runCLI(t, "verify", "--key", p("pl.pub"), "--image", b)
	if code != 1 || !strings.Contains(out+e, "has subject "+digest(a)) {
		t.Fatalf("exit %d\n%s%s", code, out, e)
	}
}

// Keyless evidence attached to an image verifies with the trusted root and
// the certificate identity, as files do; another identity fails.
func TestVerifyImageKeyless(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ss := sigstoretest.New(t)
	write(t, filepath.Join(dir, "trusted_root.json"), string(ss.TrustedRoot()))
	host := inProcessRegistry(t, true, nil)
	img := pushRandom(t, host+"/team/app:v1")
	d, _ := oci.ParseDigestRef(img)
	gh := sigstoretest.GitHubWorkflow(kRepo, kPath, kRef)
	st := sigstoretest.Provenance(t, d.Context().String(), strings.TrimPrefix(d.DigestStr(), "sha256:"), gh.SAN, kRepo, kPath, kRef)
	if _, err := oci.Attach(t.Context(), d, oci.Evidence{Bundle: ss.SignDSSE(gh, st, sigstoretest.Options{}), PredicateType: "https://slsa.dev/provenance/v1"}, oci.Options{}); err != nil {
		t.Fatal(err)
	}
	verify := func(identity string) (int, string) {
		code, out, e := runCLI(t, "verify", "--image", img, "--trusted-root", filepath.Join(dir, "trusted_root.json"),
			"--certificate-identity", identity, "--certificate-oidc-issuer", sigstoretest.GitHubIssuer)
		return code, out + e
	}
	if code, out := verify(gh.SAN); code != 0 || !strings.Contains(out, "Verified") {
		t.Fatalf("keyless image: %d\n%s", code, out)
	}
	if code, out := verify(sigstoretest.GitHubWorkflow("mallory/tools", ".github/workflows/evil.yml", "refs/heads/main").SAN); code != 1 {
		t.Fatalf("other identity: %d\n%s", code, out)
	}
}
