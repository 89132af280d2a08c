// Command genattest writes N signed pinline provenance attestations for the
// verification benchmark (bench/verify-batch.sh): a key pair, N artifacts
// and N DSSE envelopes, each about one artifact.
package main

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/pinline/pinline/attest"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
)

func main() {
	n := flag.Int("n", 1000, "attestations to write")
	dir := flag.String("dir", "", "output directory")
	flag.Parse()
	if err := run(*n, *dir); err != nil {
		fmt.Fprintln(os.Stderr, "genattest:", err)
		os.Exit(1)
	}
}

func run(n int, dir string) error {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	sv, err := signature.LoadECDSASignerVerifier(priv, crypto.SHA256)
	if err != nil {
		return err
	}
	pub, err := cryptoutils.MarshalPublicKeyToPEM(priv.Public())
	if err != nil {
		return err
	}
	for _, d := range []string{"att", "art"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return err
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "key.pub"), pub, 0o644); err != nil {
		return err
	}
	s := attest.NewSigner(sv, priv.Public())
	start := time.Now().UTC()
	for i := range n {
		content := []byte(fmt.Sprintf("artifact %d\n", i))
		sum := sha256.Sum256(content)
		name := fmt.Sprintf("a%06d.bin", i)
		if err := os.WriteFile(filepath.Join(dir, "art", name), content, 0o644); err != nil {
			return err
		}
		env, _, err := attest.SignProvenance(context.Background(), attest.BuildDescription{
			Subjects:     []attest.Subject{{Name: name, SHA256: hex.EncodeToString(sum[:])}},
			External:     attest.ExternalParameters{SpecPath: "pinline.yaml", SourceURI: "git+https://example.test/acme/app", SourceCommit: fmt.Sprintf("%040x", i), Tasks: []string{"build"}, Tier: "trusted"},
			Internal:     attest.InternalParameters{EngineVersion: "v0.19.10", GateDecision: "allow", CacheMode: "read-write"},
			BuilderID:    "https://pinline.dev/builders/trusted",
			InvocationID: fmt.Sprintf("run-%d", i),
			StartedOn:    start, FinishedOn: start.Add(time.Second),
		}, s)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, "att", fmt.Sprintf("a%06d.intoto.json", i)), env, 0o644); err != nil {
			return err
		}
	}
	return nil
}
