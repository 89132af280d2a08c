package attest

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"testing"
	"time"

	"github.com/sigstore/sigstore/pkg/signature"
)

// testKey is a real ECDSA P-256 key generated for the test.
type testKey struct {
	Signer
	verifier Verifier
}

func newTestKey(t testing.TB, name string) *testKey {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sv, err := signature.LoadECDSASignerVerifier(priv, crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	v, err := NewVerifier(priv.Public(), name)
	if err != nil {
		t.Fatal(err)
	}
	return &testKey{Signer: NewSigner(sv, priv.Public()), verifier: v}
}

func sha(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// sampleDescription is a fully populated build description.
func sampleDescription(started time.Time) BuildDescription {
	return BuildDescription{
		Subjects: []Subject{{Name: "dist/app", SHA256: sha("app")}, {Name: "dist/app.tar", SHA256: sha("tar")}},
		External: ExternalParameters{
			SpecPath: "pinline.yaml", SpecSHA256: sha("spec"),
			SourceURI: "git+https://example.test/acme/app", SourceCommit: "0123456789abcdef0123456789abcdef01234567",
			Tasks: []string{"build", "test"}, Tier: "trusted",
		},
		Internal: InternalParameters{EngineVersion: "v0.19.10", PolicyBundleSHA256: sha("policy"), GateDecision: "allow", CacheMode: "rw",
			Gateway: &Gateway{Address: "gateway.example.test:8443", Identity: "spiffe:spiffe://example.test/ci/main", CacheMode: "strong"}},
		Dependencies: ResolvedDependencies{
			Images:  []Image{{Ref: "example.test/golang:1.26@sha256:" + sha("golang"), Digest: "sha256:" + sha("golang")}},
			Modules: []Module{{Name: "go", Source: "example.test/acme/daggerverse/go@v1", Pin: "89abcdef0123456789abcdef0123456789abcdef"}},
		},
		BuilderID:      "https://pinline.dev/builders/trusted",
		BuilderVersion: map[string]string{"pinline": "dev"},
		InvocationID:   "run-" + started.Format("20060102T150405.000000000"),
		StartedOn:      started,
		FinishedOn:     started.Add(42 * time.Second),
		Byproducts:     Byproducts{SBOMName: "sbom.cdx.json", SBOMSHA256: sha("sbom"), Logs: []Subject{{Name: "logs/build.log", SHA256: sha("log")}}},
	}
}

// signedProvenance returns a signed envelope and bundle for desc.
func signedProvenance(t testing.TB, k Signer, desc BuildDescription) (env, bundle []byte) {
	t.Helper()
	env, bundle, err := SignProvenance(context.Background(), desc, k)
	if err != nil {
		t.Fatal(err)
	}
	return env, bundle
}
