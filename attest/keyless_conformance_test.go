package attest

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"

	"github.com/pinline/pinline/internal/sigstoretest"
)

// conformanceCase is a generated vector of the kind of a sigstore
// conformance suite case (sigstore/sigstore-conformance at a73de49,
// test/assets/bundle-verify/<upstream>): the same construction with local
// keys, CAs and logs (nothing of the suite is copied), the suite's
// verdict, and the reason pinline gives.
type conformanceCase struct {
	name, upstream string // upstream "" = no such case upstream (an edge of the same kind)
	bundle         []byte
	root           sigstoretest.RootOptions
	typ            string
	tsas           []*sigstoretest.TSA // authorities the root trusts besides VirtualSigstore's
	after          time.Time           // verify only after this time (an authority's certificate has expired)
	want, class    error               // nil = verified
	says           string              // the error names this, when not ""
}

// TestKeylessConformanceVectors: Rekor v2 checkpoints and proofs, trusted
// root validity windows around the signing time, and intoto v0.0.2 log
// entries; each verdict equals the conformance suite's and each rejection
// has its typed reason.
func TestKeylessConformanceVectors(t *testing.T) {
	t.Parallel()
	ss := sigstoretest.New(t)
	gh := sigstoretest.GitHubWorkflow(testRepo, testWorkflow, testRef)
	st := keylessStatement(t, gh.SAN)
	v2 := func(o sigstoretest.RekorV2Options) []byte {
		return ss.SignDSSERekorV2(gh, st, sigstoretest.Options{}, o)
	} // First (before the slower generation below): an authority whose
	// certificate expires in 5 seconds, and its timestamp.
	shortTSA := sigstoretest.NewTSAAt(t, time.Now().Add(-10*time.Minute+5*time.Second))
	shortTSABundle := ss.SignDSSERekorV2(gh, st, sigstoretest.Options{TSAuthority: shortTSA}, sigstoretest.RekorV2Options{})

	// Signing at t0 - 1 min, logged (integrated) at t0.
	t0 := time.Now().Add(-30 * time.Minute).Truncate(time.Second)
	at := sigstoretest.Options{SignedAt: t0.Add(-time.Minute), IntegratedAt: t0}
	logged := ss.SignDSSE(gh, st, at)
	v02 := ss.SignDSSE(gh, st, sigstoretest.Options{Version: "v0.2"})
	rootCert, _ := ss.CA()
	v2good := v2(sigstoretest.RekorV2Options{})
	tsaTime := sigstoretest.TimestampTime(t, v2good)
	intoto := ss.SignDSSE(gh, st, sigstoretest.Options{Intoto: true})
	otherIntoto := ss.SignDSSE(gh, keylessStatement(t, gh.SAN+"x"), sigstoretest.Options{Intoto: true})
	otherV2 := ss.SignDSSERekorV2(gh, keylessStatement(t, gh.SAN+"x"), sigstoretest.Options{}, sigstoretest.RekorV2Options{})
	entriesOf := func(data []byte) (b *protobundle.Bundle) {
		sigstoretest.Mutate(t, data, func(x *protobundle.Bundle) { b = x })
		return b
	}
	fail, bad := ErrVerificationFailed, ErrBadInput
	// An authority whose certificate expired hours ago.
	expiredTSA := sigstoretest.NewTSAAt(t, time.Now().Add(-3*time.Hour))
	cases := []conformanceCase{
		// Rekor v2: hashedrekord v0.0.2 entries, inclusion proof against a
		// signed C2SP checkpoint, RFC 3161 timestamp as the signing time.
		{name: "rekor v2 dsse", upstream: "rekor2-dsse-happy-path", bundle: v2good},
		{name: "rekor v2 message signature", upstream: "rekor2-happy-path", bundle: ss.SignBlobRekorV2(gh, []byte("app"), sigstoretest.Options{}, sigstoretest.RekorV2Options{}), typ: TypeBlob},
		{name: "rekor v2, tree of 1", bundle: v2(sigstoretest.RekorV2Options{TreeSize: 1})},
		{name: "rekor v2, tree of 2", bundle: v2(sigstoretest.RekorV2Options{TreeSize: 2})},
		{name: "rekor v2, tree of 7", bundle: v2(sigstoretest.RekorV2Options{TreeSize: 7})},
		{name: "rekor v2, checkpoint cosigned (unknown witness first)", upstream: "rekor2-checkpoint-origin-not-first", bundle: v2(sigstoretest.RekorV2Options{Checkpoint: sigstoretest.CheckpointCosigned})},
		{name: "rekor v2, checkpoint signature invalid", upstream: "rekor2-checkpoint-missing-log-signature_fail", bundle: v2(sigstoretest.RekorV2Options{Checkpoint: sigstoretest.CheckpointBadSignature}), want: ErrCertificate, class: fail},
		{name: "rekor v2, checkpoint signed by another log", upstream: "rekor2-checkpoint-no-matching-signature_fail", bundle: v2(sigstoretest.RekorV2Options{Checkpoint: sigstoretest.CheckpointOtherLog}), want: ErrCertificate, class: fail},
		{name: "rekor v2, checkpoint of another origin", upstream: "checkpoint-bad-keyhint_fail", bundle: v2(sigstoretest.RekorV2Options{Checkpoint: sigstoretest.CheckpointOtherOrigin}), want: ErrCertificate, class: fail},
		{name: "rekor v2, checkpoint without origin line", upstream: "rekor2-checkpoint-missing-origin_fail", bundle: v2(sigstoretest.RekorV2Options{Checkpoint: sigstoretest.CheckpointNoOrigin}), want: ErrCertificate, class: fail},
		{name: "rekor v2, checkpoint of a later tree (other root hash and size)", upstream: "checkpoint-wrong-roothash_fail", bundle: v2(sigstoretest.RekorV2Options{Checkpoint: sigstoretest.CheckpointOtherTree}), want: ErrCertificate, class: fail},
		{name: "rekor v2, inclusion proof for another tree size (4, checkpoint 3)", bundle: v2(sigstoretest.RekorV2Options{ProofTreeSize: 4}), want: ErrCertificate, class: fail},
		{name: "rekor v2, inclusion proof for another tree size (2, checkpoint 3)", bundle: v2(sigstoretest.RekorV2Options{ProofTreeSize: 2}), want: ErrCertificate, class: fail},
		// The proof's treeSize and rootHash fields are not signed: sigstore-go
		// (rekor-tiles) proves against the checkpoint's signed size and root.
		{name: "rekor v2, unsigned proof tree size field differs (checkpoint decides)", bundle: v2(sigstoretest.RekorV2Options{ProofSizeField: 4})},
		{name: "rekor v2, entry log index moved", bundle: mutateBundle(t, v2good, func(b *protobundle.Bundle) {
			b.VerificationMaterial.TlogEntries[0].LogIndex = 2
		}), want: ErrCertificate, class: fail},
		// Rekor v2 dsse v0.0.2 entries (deprecated in rekor-tiles v2.3.0)
		// are not verified by sigstore-go v1.3.0 (nor v1.4.0): fail closed.
		{name: "rekor v2, dsse v0.0.2 entry (unsupported)", bundle: v2(sigstoretest.RekorV2Options{DSSEEntry: true}), want: ErrMalformedBundle, class: bad, says: "Rekor v2 dsse v0.0.2 entry: not supported"},
		{name: "rekor v2, no inclusion proof", upstream: "rekor2-no-inclusion-proof_fail", bundle: v2(sigstoretest.RekorV2Options{NoProof: true}), want: ErrMalformedBundle, class: bad},
		{name: "rekor v2, no timestamp", upstream: "rekor2-no-timestamp_fail", bundle: v2(sigstoretest.RekorV2Options{NoTimestamp: true}), want: ErrCertificate, class: fail},
		{name: "rekor v2, envelope payload changed", upstream: "rekor2-dsse-mismatch-envelope_fail", bundle: mutateBundle(t, v2good, func(b *protobundle.Bundle) {
			b.GetDsseEnvelope().Payload = bytes.Replace(b.GetDsseEnvelope().Payload, []byte(testRef), []byte("refs/tags/v9"), 1)
		}), want: ErrCertificate, class: fail},
		{name: "rekor v2, envelope signature flipped", upstream: "rekor2-dsse-invalid-sig_fail", bundle: mutateBundle(t, v2good, func(b *protobundle.Bundle) {
			b.GetDsseEnvelope().Signatures[0].Sig[8] ^= 1
		}), want: ErrCertificate, class: fail},
		{name: "rekor v2, entry of another envelope", upstream: "rekor2-dsse-mismatch-sig_fail", bundle: mutateBundle(t, v2good, func(b *protobundle.Bundle) {
			b.VerificationMaterial.TlogEntries = entriesOf(otherV2).VerificationMaterial.TlogEntries
		}), want: ErrCertificate, class: fail},

		// Bundle shapes.
		{name: "v0.3 with the new media type form", upstream: "happy-path-v0.3-new-mediaType", bundle: mutateBundle(t, logged, func(b *protobundle.Bundle) {
			b.MediaType = "application/vnd.dev.sigstore.bundle+json;version=0.3"
		})},
		{name: "unknown bundle version", upstream: "bundle-unknown-version_fail", bundle: mutateBundle(t, logged, func(b *protobundle.Bundle) {
			b.MediaType = "application/vnd.dev.sigstore.bundle.v0.4+json"
		}), want: ErrMalformedBundle, class: bad},
		{name: "v0.2 chain with the root certificate", upstream: "bundle-with-root-cert_fail", bundle: mutateBundle(t, v02, func(b *protobundle.Bundle) {
			ch := b.VerificationMaterial.GetX509CertificateChain()
			ch.Certificates = append(ch.Certificates, &protocommon.X509Certificate{RawBytes: rootCert.Raw})
		}), want: ErrCertificate, class: fail},
		{name: "v0.2 empty certificate chain", upstream: "bundle-empty-certificate-chain_fail", bundle: mutateBundle(t, v02, func(b *protobundle.Bundle) {
			b.VerificationMaterial.GetX509CertificateChain().Certificates = nil
		}), want: ErrCertificate, class: fail},
		{name: "negative log index", upstream: "bundle-negative-log-index_fail", bundle: mutateBundle(t, logged, func(b *protobundle.Bundle) {
			b.VerificationMaterial.TlogEntries[0].LogIndex = -1
		}), want: ErrMalformedBundle, class: bad},

		// Trusted-root validity windows (closed intervals) around the
		// signing time: the log's integrated time t0, the TSA time.
		{name: "CA valid until the integrated time (inclusive)", bundle: logged, root: sigstoretest.RootOptions{CAEnd: t0}},
		{name: "CA expired before the integrated time", upstream: "intoto-expired-certificate_fail", bundle: logged, root: sigstoretest.RootOptions{CAEnd: t0.Add(-time.Second)}, want: ErrCertificate, class: fail},
		{name: "CA not yet valid at the integrated time", bundle: logged, root: sigstoretest.RootOptions{CAStart: t0.Add(time.Second)}, want: ErrCertificate, class: fail},
		{name: "log key valid until the integrated time (inclusive)", upstream: "trust-root-tlog-validity-end-inclusive", bundle: logged, root: sigstoretest.RootOptions{TlogEnd: t0}},
		{name: "log key expired, used after its end", bundle: logged, root: sigstoretest.RootOptions{TlogEnd: t0.Add(-time.Second)}, want: ErrCertificate, class: fail},
		{name: "log key not yet valid", bundle: logged, root: sigstoretest.RootOptions{TlogStart: t0.Add(time.Second)}, want: ErrCertificate, class: fail},
		{name: "CT log key expired before the SCT", bundle: logged, root: sigstoretest.RootOptions{CTEnd: t0.Add(-2 * time.Minute)}, want: ErrCertificate, class: fail},
		{name: "TSA valid until the timestamp (inclusive)", upstream: "trust-root-tsa-validity-end-inclusive", bundle: v2good, root: sigstoretest.RootOptions{TSAEnd: tsaTime}},
		{name: "TSA expired before the timestamp", upstream: "rekor2-timestamp-outside-trust-root-tsa-validity_fail", bundle: v2good, root: sigstoretest.RootOptions{TSAEnd: tsaTime.Add(-time.Second)}, want: ErrCertificate, class: fail},
		{name: "TSA not yet valid at the timestamp", bundle: v2good, root: sigstoretest.RootOptions{TSAStart: tsaTime.Add(time.Second)}, want: ErrCertificate, class: fail},
		{name: "TSA expired, log entry valid (every timestamp must verify)", bundle: ss.SignDSSE(gh, st, sigstoretest.Options{TSA: true}), root: sigstoretest.RootOptions{TSAEnd: t0}, want: ErrTimestamp, class: fail},

		// RFC 3161 timestamps and the authority's certificate validity:
		// the chain must be valid at the timestamp's time (hybrid model).
		{name: "rekor v2, TSA certificate expired since, valid at the timestamp", upstream: "rekor2-timestamp-with-expired-cert-chain",
			bundle: shortTSABundle,
			tsas:   []*sigstoretest.TSA{shortTSA}, after: shortTSA.NotAfter()},
		{name: "rekor v2, timestamp after the TSA certificate expired", upstream: "rekor2-timestamp-outside-tsa-cert-validity_fail",
			bundle: ss.SignDSSERekorV2(gh, st, sigstoretest.Options{TSAuthority: expiredTSA}, sigstoretest.RekorV2Options{}),
			tsas:   []*sigstoretest.TSA{expiredTSA}, want: ErrCertificate, class: fail},
		{name: "rekor v2, timestamp of an untrusted authority", upstream: "rekor2-timestamp-untrusted-tsa-with-embedded-cert_fail",
			bundle: ss.SignDSSERekorV2(gh, st, sigstoretest.Options{TSAuthority: sigstoretest.NewTSA(t)}, sigstoretest.RekorV2Options{}),
			want:   ErrCertificate, class: fail},

		// intoto v0.0.2 log entries (cosign's older attestation form).
		{name: "intoto v0.0.2 entry", upstream: "happy-path-intoto-in-dsse-v3", bundle: intoto},
		{name: "intoto v0.0.2 entry, v0.1 SET only", bundle: ss.SignDSSE(gh, st, sigstoretest.Options{Intoto: true, Version: "v0.1", NoProof: true})},
		{name: "intoto v0.0.2 entry of another envelope", upstream: "intoto-log-entry-mismatch_fail", bundle: mutateBundle(t, intoto, func(b *protobundle.Bundle) {
			b.VerificationMaterial.TlogEntries = entriesOf(otherIntoto).VerificationMaterial.TlogEntries
		}), want: ErrCertificate, class: fail},
		{name: "intoto v0.0.2 entry, v0.2 bundle without inclusion proof", upstream: "intoto-missing-inclusion-proof_fail",
			bundle: ss.SignDSSE(gh, st, sigstoretest.Options{Intoto: true, Version: "v0.2", NoProof: true}), want: ErrMalformedBundle, class: bad},
		{name: "intoto v0.0.2 entry, SET outside the certificate's validity", upstream: "intoto-set-outside-signing-cert-validity_fail",
			bundle: ss.SignDSSE(gh, st, sigstoretest.Options{Intoto: true, SignedAt: t0.Add(-20 * time.Minute), IntegratedAt: t0}), want: ErrCertificate, class: fail},
		{name: "intoto v0.0.2 entry, TSA time outside the certificate's validity", upstream: "intoto-tsa-timestamp-outside-cert-validity_fail",
			bundle: ss.SignDSSE(gh, st, sigstoretest.Options{Intoto: true, TSA: true, SignedAt: t0.Add(-time.Hour), IntegratedAt: t0.Add(-time.Hour + time.Minute)}), want: ErrCertificate, class: fail},
	}
	dir := t.TempDir()
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			rootPath := filepath.Join(dir, "root"+string(rune('a'+i))+".json")
			if err := os.WriteFile(rootPath, ss.TrustedRootWith(c.root, c.tsas...), 0o644); err != nil {
				t.Fatal(err)
			}
			if !c.after.IsZero() {
				time.Sleep(time.Until(c.after) + time.Second)
			}
			atts, err := ParseAttestations(c.name, c.bundle)
			if err == nil {
				k := (&keylessEnv{}).keyless(t, rootPath, CertificateIdentity{Repo: testRepo}, false)
				_, err = Verify(context.Background(), &VerifyOptions{Keyless: k, PredicateType: c.typ, Artifacts: []Artifact{{Name: "app", SHA256: sha("app")}}}, atts)
			}
			if c.want == nil {
				if err != nil {
					t.Fatalf("want verified (upstream %s), got %v", c.upstream, err)
				}
				return
			}
			if !errors.Is(err, c.want) || !errors.Is(err, c.class) || !strings.Contains(err.Error(), c.says) {
				t.Fatalf("want %v (%v) saying %q, got %v", c.want, c.class, c.says, err)
			}
		})
	}
}

// TestTrustedRootMalformedValidity: a log key whose validFor has no start
// is a malformed trusted root (bad input), not an unbounded key
// (trust-root-tlog-missing-validity-start_fail).
func TestTrustedRootMalformedValidity(t *testing.T) {
	t.Parallel()
	ss := sigstoretest.New(t)
	p := filepath.Join(t.TempDir(), "trusted_root.json")
	if err := os.WriteFile(p, ss.TrustedRootWith(sigstoretest.RootOptions{NoTlogStart: true}), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadTrustedRoot(p, ""); !errors.Is(err, ErrBadInput) || !errors.Is(err, ErrKeyless) {
		t.Fatalf("got %v", err)
	}
	// The same root with the start is fine (the test can fail).
	if err := os.WriteFile(p, ss.TrustedRootWith(sigstoretest.RootOptions{}), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadTrustedRoot(p, ""); err != nil {
		t.Fatal(err)
	}
}
