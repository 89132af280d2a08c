package oci

import (
	"context"
	"testing"
)

// BenchmarkFetch is one verify --image's registry work against the
// in-process registry: the referrers (API or tag schema) and the .att tag,
// with the bundle, SBOM and envelope blobs.
func BenchmarkFetch(b *testing.B) {
	for _, referrers := range []bool{true, false} {
		b.Run(map[bool]string{true: "referrers", false: "tag-schema"}[referrers], func(b *testing.B) {
			host := testRegistry(b, referrers, nil)
			d := pushImage(b, host, "v1")
			if _, err := Attach(context.Background(), d, testEvidence, Options{}); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for b.Loop() {
				f, err := Fetch(context.Background(), d, Options{})
				if err != nil || len(f.Items) != 3 {
					b.Fatalf("%v %v", f, err)
				}
			}
		})
	}
}
