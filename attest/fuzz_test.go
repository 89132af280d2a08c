package attest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pinline/pinline/internal/sigstoretest"
	sgbundle "github.com/sigstore/sigstore-go/pkg/bundle"
)

// Seed corpora live in testdata/fuzz/<FuzzName>/ (real envelopes and
// bundles from pinline and from the cosign CLI, plus tampered variants);
// go test -tags generate -run TestWriteFuzzSeeds rewrites the pinline-made
// seeds (fuzzseeds_test.go).

func FuzzParseEnvelope(f *testing.F) {
	f.Add([]byte(`{"payloadType":"a","payload":"","signatures":[{"keyid":"","sig":"AA=="}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		env, err := ParseEnvelope(data)
		if err != nil {
			if !errors.Is(err, ErrBadInput) {
				t.Fatalf("parse error not classed as bad input: %v", err)
			}
			return
		}
		// A parsed envelope survives a round trip unchanged.
		out, err := json.Marshal(env)
		if err != nil {
			t.Fatal(err)
		}
		again, err := ParseEnvelope(out)
		if err != nil {
			t.Fatalf("re-parse: %v\n%s", err, out)
		}
		if diff := cmp.Diff(env, again, cmp.Comparer(bytes.Equal)); diff != "" {
			t.Fatalf("round trip changed the envelope: %s", diff)
		}
	})
}

func FuzzParseBundle(f *testing.F) {
	f.Add([]byte(`{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		env, info, err := ParseBundle(data)
		if err != nil {
			if !errors.Is(err, ErrBadInput) {
				t.Fatalf("parse error not classed as bad input: %v", err)
			}
			return
		}
		if info == nil || (env == nil) != info.MessageSignature {
			t.Fatal("nil envelope without error")
		}
	})
}

// FuzzParseBundleMatchesSigstoreGo: ParseBundle (log entries decoded once,
// parseSigstoreBundle) accepts exactly what sigstore-go's UnmarshalJSON
// accepts. Seeds are generated keyless bundles.
func FuzzParseBundleMatchesSigstoreGo(f *testing.F) {
	ss := sigstoretest.New(f)
	gh := sigstoretest.GitHubWorkflow(testRepo, testWorkflow, testRef)
	st := keylessStatement(f, gh.SAN)
	for _, o := range []sigstoretest.Options{{}, {Version: "v0.1", NoProof: true}, {Version: "v0.2"}, {Intoto: true}, {TSA: true}} {
		f.Add(ss.SignDSSE(gh, st, o))
	}
	f.Add(ss.SignDSSERekorV2(gh, st, sigstoretest.Options{}, sigstoretest.RekorV2Options{}))
	f.Add(ss.SignBlob(gh, []byte("app"), sigstoretest.Options{}))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _, err := ParseBundle(data)
		want := (&sgbundle.Bundle{}).UnmarshalJSON(data)
		if (err == nil) != (want == nil) {
			t.Fatalf("ParseBundle: %v, sigstore-go: %v", err, want)
		}
	})
}

// FuzzParseAttestations also runs full verification with a fresh key: no
// input may verify, and every failure must be classified.
func FuzzParseAttestations(f *testing.F) {
	k := newTestKey(f, "fuzz")
	o := &VerifyOptions{Verifiers: []Verifier{k.verifier}, Artifacts: []Artifact{{Name: "a", SHA256: sha("app")}}}
	f.Fuzz(func(t *testing.T, data []byte) {
		atts, err := ParseAttestations("fuzz.json", data)
		if err != nil {
			if !errors.Is(err, ErrBadInput) {
				t.Fatalf("parse error not classed as bad input: %v", err)
			}
			return
		}
		rep, err := Verify(context.Background(), o, atts)
		if err == nil || rep.Verified {
			t.Fatalf("input verified with a key that never signed anything")
		}
		if !errors.Is(err, ErrVerificationFailed) && !errors.Is(err, ErrBadInput) {
			t.Fatalf("unclassified error: %v", err)
		}
	})
}
