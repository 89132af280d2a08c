package oci

import (
	"strings"
	"testing"
)

// FuzzParseDigestRef: any accepted reference is host/repo@sha256:<64 hex>
// and parses to itself.
func FuzzParseDigestRef(f *testing.F) {
	for _, s := range []string{"r.example/a@sha256:" + strings.Repeat("a", 64), "r.example:5000/a/b:v1@sha256:" + strings.Repeat("0", 64),
		"a", "@", "r/a@sha256:", "r.example/a@sha512:00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDigestRef(s)
		if err != nil {
			return
		}
		hex, ok := strings.CutPrefix(d.DigestStr(), "sha256:")
		if !ok || len(hex) != 64 {
			t.Fatalf("%q accepted as %s", s, d)
		}
		again, err := ParseDigestRef(d.String())
		if err != nil || again.String() != d.String() {
			t.Fatalf("%q: %s does not parse to itself: %v", s, d, err)
		}
	})
}
