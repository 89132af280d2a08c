package attest

import (
	"os"
	"strings"
	"testing"

	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protorekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	sgbundle "github.com/sigstore/sigstore-go/pkg/bundle"
	"google.golang.org/protobuf/proto"

	"github.com/pinline/pinline/internal/sigstoretest"
)

// TestParseBundleMatchesSigstoreGo: ParseBundle decodes log entries once
// (parseSigstoreBundle) instead of through sigstore-go's UnmarshalJSON;
// on valid bundles and on every way the entry rules can break, both give
// the same verdict.
func TestParseBundleMatchesSigstoreGo(t *testing.T) {
	t.Parallel()
	ss := sigstoretest.New(t)
	gh := sigstoretest.GitHubWorkflow(testRepo, testWorkflow, testRef)
	st := keylessStatement(t, gh.SAN)
	v3 := ss.SignDSSE(gh, st, sigstoretest.Options{})
	v1 := ss.SignDSSE(gh, st, sigstoretest.Options{Version: "v0.1", NoProof: true})
	v2 := ss.SignDSSE(gh, st, sigstoretest.Options{Version: "v0.2"})
	entries := func(n int) func(*protobundle.Bundle) {
		return func(b *protobundle.Bundle) {
			e := b.VerificationMaterial.TlogEntries[0]
			for len(b.VerificationMaterial.TlogEntries) < n {
				b.VerificationMaterial.TlogEntries = append(b.VerificationMaterial.TlogEntries, proto.Clone(e).(*protorekor.TransparencyLogEntry))
			}
		}
	}
	accepted := 0
	for name, data := range map[string][]byte{
		"v0.3":               v3,
		"v0.1 SET only":      v1,
		"v0.2":               v2,
		"v0.3 no tlog":       ss.SignDSSE(gh, st, sigstoretest.Options{NoTlog: true, TSA: true}),
		"rekor v2":           ss.RekorV2DSSE("dev@example.test", st),
		"blob":               ss.SignBlob(gh, []byte("app"), sigstoretest.Options{}),
		"v0.3 without proof": mutateBundle(t, v3, func(b *protobundle.Bundle) { b.VerificationMaterial.TlogEntries[0].InclusionProof = nil }),
		"v0.2 without proof": mutateBundle(t, v2, func(b *protobundle.Bundle) { b.VerificationMaterial.TlogEntries[0].InclusionProof = nil }),
		"v0.1 without SET":   mutateBundle(t, v1, func(b *protobundle.Bundle) { b.VerificationMaterial.TlogEntries[0].InclusionPromise = nil }),
		"v0.3 without SET":   mutateBundle(t, v3, func(b *protobundle.Bundle) { b.VerificationMaterial.TlogEntries[0].InclusionPromise = nil }),
		"32 entries":         mutateBundle(t, v3, entries(32)),
		"33 entries":         mutateBundle(t, v3, entries(33)),
		"body not an entry": mutateBundle(t, v3, func(b *protobundle.Bundle) {
			b.VerificationMaterial.TlogEntries[0].CanonicalizedBody = []byte(`{"x":1}`)
		}),
		"kind mismatch":            mutateBundle(t, v3, func(b *protobundle.Bundle) { b.VerificationMaterial.TlogEntries[0].KindVersion.Kind = "hashedrekord" }),
		"no kind":                  mutateBundle(t, v3, func(b *protobundle.Bundle) { b.VerificationMaterial.TlogEntries[0].KindVersion = nil }),
		"proof without checkpoint": mutateBundle(t, v3, func(b *protobundle.Bundle) { b.VerificationMaterial.TlogEntries[0].InclusionProof.Checkpoint = nil }),
		"second entry bad": mutateBundle(t, v3, func(b *protobundle.Bundle) {
			e := proto.Clone(b.VerificationMaterial.TlogEntries[0]).(*protorekor.TransparencyLogEntry)
			e.LogId = nil
			b.VerificationMaterial.TlogEntries = append(b.VerificationMaterial.TlogEntries, e)
		}),
		"no verification material": mutateBundle(t, v3, func(b *protobundle.Bundle) { b.VerificationMaterial = nil }),
		"no content":               mutateBundle(t, v3, func(b *protobundle.Bundle) { b.Content = nil }),
		"v0.3 with chain":          mutateBundle(t, v2, func(b *protobundle.Bundle) { b.MediaType = BundleMediaType }),
	} {
		_, _, err := ParseBundle(data)
		want := (&sgbundle.Bundle{}).UnmarshalJSON(data)
		if (err == nil) != (want == nil) {
			t.Errorf("%s: ParseBundle: %v, sigstore-go: %v", name, err, want)
		}
		if err == nil {
			accepted++
		}
	}
	// The table holds both verdicts (it cannot pass with a parser that
	// accepts or rejects everything).
	if accepted != 9 {
		t.Errorf("%d bundles accepted, want 9", accepted)
	}
}

// TestSigstoreGoVersion: the version errors name is go.mod's.
func TestSigstoreGoVersion(t *testing.T) {
	t.Parallel()
	mod, err := os.ReadFile("../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(mod), "github.com/sigstore/sigstore-go "+sigstoreGoVersion+"\n") {
		t.Fatalf("go.mod does not require sigstore-go %s: update sigstoreGoVersion", sigstoreGoVersion)
	}
}
