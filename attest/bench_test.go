package attest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pinline/pinline/internal/sigstoretest"
	"github.com/pinline/pinline/internal/testenv"
)

// BenchmarkVerifyBatch measures parse + full verification (signature,
// statement, predicate type, subjects, builder id, tier) of pinline
// provenance envelopes, one after another on one goroutine. Run with -cpu 1
// for the per-core figure; the metric is attestations/s.
func BenchmarkVerifyBatch(b *testing.B) {
	for _, format := range []string{FormatDSSE, FormatBundle} {
		b.Run(format, func(b *testing.B) {
			k := newTestKey(b, "bench.pub")
			const n = 256
			files := make([][]byte, n)
			arts := make([]Artifact, n)
			for i := range files {
				d := sampleDescription(time.Unix(int64(i), 0))
				d.Subjects[0].SHA256 = sha(fmt.Sprint("artifact", i))
				env, bundle := signedProvenance(b, k, d)
				files[i], arts[i] = env, Artifact{Name: "a", SHA256: d.Subjects[0].SHA256}
				if format == FormatBundle {
					files[i] = bundle
				}
			}
			o := &VerifyOptions{Verifiers: []Verifier{k.verifier}, BuilderID: "https://pinline.dev/builders/trusted", Tier: "trusted"}
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			c0 := testenv.CPUTime()
			for i := 0; i < b.N; i++ {
				j := i % n
				atts, err := ParseAttestations("bench", files[j])
				if err != nil {
					b.Fatal(err)
				}
				o.Artifacts = arts[j : j+1]
				if _, err := Verify(ctx, o, atts); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/(testenv.CPUTime()-c0).Seconds(), "attestations/cpu-s")
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "attestations/s")
		})
	}
}

func BenchmarkECDSAVerifyFloor(b *testing.B) {
	k := newTestKey(b, "floor")
	msg := PAE(PayloadTypeInToto, []byte("x"))
	sig, err := k.Sign(b.Context(), msg)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	c0 := testenv.CPUTime()
	for i := 0; i < b.N; i++ {
		if err := k.verifier.Verify(b.Context(), msg, sig); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/(testenv.CPUTime()-c0).Seconds(), "verifies/cpu-s")
}

// BenchmarkVerifyKeyless measures parse + full keyless verification
// (sigstore-go: certificate chain at the log's integrated time, SCT, SET
// and inclusion proof with checkpoint, entry bound to the envelope; for
// rekor-v2 the inclusion proof, checkpoint and RFC 3161 timestamp instead;
// identity; statement, subjects, builder/source/ref against certificate
// and payload) of generated bundles, on one goroutine (-cpu 1 for the
// per-core figure).
func BenchmarkVerifyKeyless(b *testing.B) {
	ss := sigstoretest.New(b)
	rootPath := filepath.Join(b.TempDir(), "trusted_root.json")
	if err := os.WriteFile(rootPath, ss.TrustedRoot(), 0o644); err != nil {
		b.Fatal(err)
	}
	tm, err := LoadTrustedRoot(rootPath, "")
	if err != nil {
		b.Fatal(err)
	}
	id := sigstoretest.GitHubWorkflow(testRepo, testWorkflow, testRef)
	k, err := NewKeyless(tm, rootPath, CertificateIdentity{Repo: testRepo}, false)
	if err != nil {
		b.Fatal(err)
	}
	for _, log := range []string{"rekor-v1", "rekor-v2"} {
		b.Run(log, func(b *testing.B) {
			const n = 64
			files := make([][]byte, n)
			for i := range files {
				if log == "rekor-v1" {
					files[i] = ss.SignDSSE(id, keylessStatement(b, id.SAN), sigstoretest.Options{})
				} else {
					// Inclusion proof in a tree of 1,000, checkpoint, RFC 3161 timestamp.
					files[i] = ss.SignDSSERekorV2(id, keylessStatement(b, id.SAN), sigstoretest.Options{}, sigstoretest.RekorV2Options{TreeSize: 1000})
				}
			}
			o := &VerifyOptions{Keyless: k, Artifacts: []Artifact{{Name: "app", SHA256: sha("app")}},
				SourceURI: "github.com/" + testRepo, SourceRef: testRef}
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			c0 := testenv.CPUTime()
			for i := 0; i < b.N; i++ {
				atts, err := ParseAttestations("bench", files[i%n])
				if err != nil {
					b.Fatal(err)
				}
				if _, err := Verify(ctx, o, atts); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/(testenv.CPUTime()-c0).Seconds(), "bundles/cpu-s")
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "bundles/s")
		})
	}
}
