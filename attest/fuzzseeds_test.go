//go:build generate

// A generator, not a test: it builds only with the generate tag.
//
//	go test -tags generate -run TestWriteFuzzSeeds ./attest/

package attest

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// TestWriteFuzzSeeds rewrites the pinline-made seeds under
// testdata/fuzz/<FuzzName>/.
func TestWriteFuzzSeeds(t *testing.T) {
	k := newTestKey(t, "seed")
	env, bundle := signedProvenance(t, k, sampleDescription(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)))
	seeds := map[string][]byte{
		"pinline-envelope": env, "pinline-bundle": bundle,
		"jsonl":      []byte(string(env) + "\n" + string(bundle) + "\n"),
		"trailing":   append(append([]byte{}, env...), "x"...),
		"empty-sigs": []byte(`{"payloadType":"application/vnd.in-toto+json","payload":"e30=","signatures":[]}`),
	}
	for _, fz := range []string{"FuzzParseEnvelope", "FuzzParseBundle", "FuzzParseAttestations"} {
		dir := filepath.Join("testdata", "fuzz", fz)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, data := range seeds {
			content := "go test fuzz v1\n[]byte(" + strconv.Quote(string(data)) + ")\n"
			if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}
