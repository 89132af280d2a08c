//go:build generate

// Generators, not tests: they write fixtures and only build with the
// generate tag, so an ordinary go test neither runs nor counts them.
//
//	go test -tags generate -run TestGenerateFixtures ./report/
//	PINLINE_BENCH_RUNS_DIR=DIR go test -tags generate -run TestWriteBenchRuns ./report/

package report

import (
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"
)

// TestGenerateFixtures rewrites testdata/runs and testdata/keys/fixture.pub;
// the private key is thrown away.
func TestGenerateFixtures(t *testing.T) {
	root := filepath.Join("testdata", "runs")
	if err := os.RemoveAll(root); err != nil {
		t.Fatal(err)
	}
	key := newKey(t)
	for _, rs := range fixtureSpecs() {
		writeRun(t, root, rs, key)
	}
	writeFile(t, filepath.Join("testdata", "keys", "fixture.pub"), pubPEM(t, &key.PublicKey))
}

// TestWriteBenchRuns writes 1,000 runs to $PINLINE_BENCH_RUNS_DIR and the
// public key next to it, for bench/report.sh.
func TestWriteBenchRuns(t *testing.T) {
	dir := os.Getenv("PINLINE_BENCH_RUNS_DIR")
	if dir == "" {
		t.Fatal("PINLINE_BENCH_RUNS_DIR not set")
	}
	key := newKey(t)
	writeManyRuns(t, dir, 1000, key)
	writeFile(t, dir+".pub", pubPEM(t, &key.PublicKey))
}

func pubPEM(t testing.TB, k *ecdsa.PublicKey) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}
