package cli

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"

	"github.com/pinline/pinline/internal/sigstoretest"
)

// keylessVector is one generated keyless bundle and the verdict both
// pinline and cosign must reach.
type keylessVector struct {
	name   string
	bundle []byte
	blob   bool     // message signature (cosign verify-blob)
	root   string   // trusted root file name (default trusted_root.json)
	flags  []string // identity flags (default the good workflow's)
	ok     bool
	code   int // pinline's exit code when !ok
	// cosignFlags are extra flags cosign v2.6.5 needs for the same check.
	cosignFlags []string
	// cosignDiffers says why cosign v2.6.5 reaches the other verdict.
	cosignDiffers string
}

const (
	kRepo = "acme/app"
	kPath = ".github/workflows/release.yml"
	kRef  = "refs/tags/v1"
)

// keylessVectors writes the trusted roots and the artifact into dir and
// returns the vectors.
func keylessVectors(t *testing.T, dir string) []keylessVector {
	t.Helper()
	ss := sigstoretest.New(t)
	write(t, filepath.Join(dir, "trusted_root.json"), string(ss.TrustedRoot()))
	write(t, filepath.Join(dir, "virtual_root.json"), string(ss.VirtualRoot()))
	write(t, filepath.Join(dir, "other_root.json"), string(sigstoretest.New(t).TrustedRoot()))
	write(t, filepath.Join(dir, "app"), "app contents\n")
	sum := sha256.Sum256([]byte("app contents\n"))
	gh := sigstoretest.GitHubWorkflow(kRepo, kPath, kRef)
	evil := sigstoretest.GitHubWorkflow("mallory/tools", ".github/workflows/evil.yml", "refs/heads/main")
	st := sigstoretest.Provenance(t, "app", hex.EncodeToString(sum[:]), gh.SAN, kRepo, kPath, kRef)
	good := ss.SignDSSE(gh, st, sigstoretest.Options{})
	other := ss.SignDSSE(gh, sigstoretest.Provenance(t, "app", hex.EncodeToString(sum[:]), gh.SAN+"x", kRepo, kPath, kRef), sigstoretest.Options{})
	var otherEntries *protobundle.Bundle
	sigstoretest.Mutate(t, other, func(b *protobundle.Bundle) { otherEntries = b })
	now := time.Now()
	// Conformance-kind vectors: Rekor v2 (the instance's own log),
	// intoto v0.0.2 entries, trusted-root validity windows.
	t0 := now.Add(-30 * time.Minute).Truncate(time.Second)
	logged := ss.SignDSSE(gh, st, sigstoretest.Options{SignedAt: t0.Add(-time.Minute), IntegratedAt: t0})
	v2 := func(o sigstoretest.RekorV2Options) []byte {
		return ss.SignDSSERekorV2(gh, st, sigstoretest.Options{}, o)
	}
	v2good := v2(sigstoretest.RekorV2Options{})
	tsaTime := sigstoretest.TimestampTime(t, v2good)
	for name, o := range map[string]sigstoretest.RootOptions{
		"tlog_end_root.json": {TlogEnd: t0}, "tlog_expired_root.json": {TlogEnd: t0.Add(-time.Second)},
		"ca_expired_root.json": {CAEnd: t0.Add(-time.Second)}, "tsa_end_root.json": {TSAEnd: tsaTime},
		"tsa_expired_root.json": {TSAEnd: tsaTime.Add(-time.Second)},
		"ca_later_root.json":    {CAStart: t0.Add(time.Second)}, "ct_expired_root.json": {CTEnd: t0.Add(-2 * time.Minute)},
		"tsa_later_root.json": {TSAStart: tsaTime.Add(time.Second)},
	} {
		write(t, filepath.Join(dir, name), string(ss.TrustedRootWith(o)))
	}
	var otherV2 *protobundle.Bundle
	sigstoretest.Mutate(t, ss.SignDSSERekorV2(gh, sigstoretest.Provenance(t, "app", hex.EncodeToString(sum[:]), gh.SAN+"x", kRepo, kPath, kRef), sigstoretest.Options{}, sigstoretest.RekorV2Options{}),
		func(b *protobundle.Bundle) { otherV2 = b })
	intoto := ss.SignDSSE(gh, st, sigstoretest.Options{Intoto: true})
	var otherIntoto *protobundle.Bundle
	sigstoretest.Mutate(t, ss.SignDSSE(gh, sigstoretest.Provenance(t, "app", hex.EncodeToString(sum[:]), gh.SAN+"x", kRepo, kPath, kRef), sigstoretest.Options{Intoto: true}),
		func(b *protobundle.Bundle) { otherIntoto = b })
	// cosign counts RFC 3161 timestamps (Rekor v2's only signing time)
	// only when told to.
	tsFlags := []string{"--use-signed-timestamps"}
	conformance := []keylessVector{
		{name: "rekor v2 own log", bundle: v2good, ok: true, cosignFlags: tsFlags},
		{name: "rekor v2 checkpoint cosigned", bundle: v2(sigstoretest.RekorV2Options{Checkpoint: sigstoretest.CheckpointCosigned}), ok: true, cosignFlags: tsFlags},
		{name: "rekor v2 checkpoint signature invalid", bundle: v2(sigstoretest.RekorV2Options{Checkpoint: sigstoretest.CheckpointBadSignature}), code: 1, cosignFlags: tsFlags},
		{name: "rekor v2 checkpoint of another log", bundle: v2(sigstoretest.RekorV2Options{Checkpoint: sigstoretest.CheckpointOtherLog}), code: 1, cosignFlags: tsFlags},
		{name: "rekor v2 checkpoint without origin", bundle: v2(sigstoretest.RekorV2Options{Checkpoint: sigstoretest.CheckpointNoOrigin}), code: 1, cosignFlags: tsFlags},
		{name: "rekor v2 checkpoint of a later tree", bundle: v2(sigstoretest.RekorV2Options{Checkpoint: sigstoretest.CheckpointOtherTree}), code: 1, cosignFlags: tsFlags},
		{name: "rekor v2 proof for another tree size", bundle: v2(sigstoretest.RekorV2Options{ProofTreeSize: 4}), code: 1, cosignFlags: tsFlags},
		{name: "rekor v2 without timestamp", bundle: v2(sigstoretest.RekorV2Options{NoTimestamp: true}), code: 1, cosignFlags: tsFlags},
		{name: "v0.2 chain with the root certificate", bundle: sigstoretest.Mutate(t, ss.SignDSSE(gh, st, sigstoretest.Options{Version: "v0.2"}), func(b *protobundle.Bundle) {
			rootCert, _ := ss.CA()
			ch := b.VerificationMaterial.GetX509CertificateChain()
			ch.Certificates = append(ch.Certificates, &protocommon.X509Certificate{RawBytes: rootCert.Raw})
		}), code: 1, cosignDiffers: "cosign v2.6.5 (sigstore-go) accepts a bundle chain that carries the trusted root itself; the bundle spec forbids it and the conformance suite expects a rejection (bundle-with-root-cert_fail)"},
		{name: "intoto v0.0.2 entry", bundle: intoto, ok: true},
		{name: "intoto v0.0.2 entry of another envelope", bundle: sigstoretest.Mutate(t, intoto, func(b *protobundle.Bundle) {
			b.VerificationMaterial.TlogEntries = otherIntoto.VerificationMaterial.TlogEntries
		}), code: 1},
		{name: "log key valid until the integrated time", bundle: logged, root: "tlog_end_root.json", ok: true},
		{name: "log key expired before the integrated time", bundle: logged, root: "tlog_expired_root.json", code: 1},
		{name: "CA expired before the integrated time", bundle: logged, root: "ca_expired_root.json", code: 1},
		{name: "TSA valid until the timestamp", bundle: v2good, root: "tsa_end_root.json", ok: true, cosignFlags: tsFlags},
		{name: "TSA expired before the timestamp", bundle: v2good, root: "tsa_expired_root.json", code: 1, cosignFlags: tsFlags},
		{name: "TSA not yet valid at the timestamp", bundle: v2good, root: "tsa_later_root.json", code: 1, cosignFlags: tsFlags},
		{name: "CA not yet valid at the integrated time", bundle: logged, root: "ca_later_root.json", code: 1},
		{name: "CT log key expired before the SCT", bundle: logged, root: "ct_expired_root.json", code: 1},
		{name: "rekor v2 message signature", bundle: ss.SignBlobRekorV2(gh, []byte("app contents\n"), sigstoretest.Options{}, sigstoretest.RekorV2Options{}), blob: true, ok: true, cosignFlags: tsFlags},
		{name: "rekor v2 checkpoint of another origin", bundle: v2(sigstoretest.RekorV2Options{Checkpoint: sigstoretest.CheckpointOtherOrigin}), code: 1, cosignFlags: tsFlags},
		{name: "rekor v2 proof for a smaller tree", bundle: v2(sigstoretest.RekorV2Options{ProofTreeSize: 2}), code: 1, cosignFlags: tsFlags},
		{name: "rekor v2 entry of another envelope", bundle: sigstoretest.Mutate(t, v2good, func(b *protobundle.Bundle) {
			b.VerificationMaterial.TlogEntries = otherV2.VerificationMaterial.TlogEntries
		}), code: 1, cosignFlags: tsFlags},
		// sigstore-go v1.3.0 verifies Rekor v2 hashedrekord entries only;
		// the deprecated dsse v0.0.2 kind is refused as unsupported.
		{name: "rekor v2 dsse v0.0.2 entry", bundle: v2(sigstoretest.RekorV2Options{DSSEEntry: true}), code: 2, cosignFlags: tsFlags,
			cosignDiffers: "cosign v2.6.5 is built with sigstore-go v1.1.4, which verified Rekor v2 dsse v0.0.2 entries (checkpoint, inclusion, the entry's signature and certificate); sigstore-go v1.3.0 and v1.4.0 verify Rekor v2 hashedrekord v0.0.2 only (rekor-tiles deprecates the dsse kind), so pinline refuses them"},
		{name: "rekor v2 timestamp of an untrusted authority", bundle: ss.SignDSSERekorV2(gh, st, sigstoretest.Options{TSAuthority: sigstoretest.NewTSA(t)}, sigstoretest.RekorV2Options{}), code: 1, cosignFlags: tsFlags},
		{name: "intoto v0.0.2 SET outside the certificate's validity", bundle: ss.SignDSSE(gh, st, sigstoretest.Options{Intoto: true, SignedAt: t0.Add(-20 * time.Minute), IntegratedAt: t0}), code: 1},
	}
	return append([]keylessVector{
		{name: "valid v0.3", bundle: good, ok: true},
		{name: "valid v0.2", bundle: ss.SignDSSE(gh, st, sigstoretest.Options{Version: "v0.2"}), ok: true},
		{name: "valid v0.1", bundle: ss.SignDSSE(gh, st, sigstoretest.Options{Version: "v0.1", NoProof: true}), ok: true},
		{name: "valid with timestamp", bundle: ss.SignDSSE(gh, st, sigstoretest.Options{TSA: true}), ok: true},
		{name: "valid message signature", bundle: ss.SignBlob(gh, []byte("app contents\n"), sigstoretest.Options{}), blob: true, ok: true},
		{name: "valid rekor v2", bundle: ss.RekorV2DSSE("dev@example.test", st), root: "virtual_root.json",
			flags: []string{"--certificate-identity", "dev@example.test", "--certificate-oidc-issuer", "https://issuer.test"}, ok: true,
			// Rekor v2 entries carry no integrated time: cosign counts the
			// RFC 3161 timestamp only when told to (pinline always does).
			// VirtualSigstore embeds no SCT and its root lists no CT log:
			// pinline then requires none, cosign must be told.
			cosignFlags: []string{"--use-signed-timestamps", "--insecure-ignore-sct"}},
		{name: "log entry swapped from another bundle", bundle: sigstoretest.Mutate(t, good, func(b *protobundle.Bundle) {
			b.VerificationMaterial.TlogEntries = otherEntries.VerificationMaterial.TlogEntries
		}), code: 1},
		{name: "certificate expired at signing", bundle: ss.SignDSSE(gh, st, sigstoretest.Options{SignedAt: now.Add(-2 * time.Hour), IntegratedAt: now.Add(-time.Hour)}), code: 1},
		{name: "wrong identity", bundle: good, flags: []string{"--certificate-identity", evil.SAN, "--certificate-oidc-issuer", sigstoretest.GitHubIssuer}, code: 1},
		{name: "github workflow extensions match", bundle: good, flags: append(idFlags(gh),
			"--certificate-github-workflow-repository", kRepo, "--certificate-github-workflow-ref", kRef, "--certificate-github-workflow-sha", gh.GitHubWorkflowSHA,
			"--certificate-github-workflow-name", gh.GitHubWorkflowName, "--certificate-github-workflow-trigger", gh.GitHubWorkflowTrigger), ok: true},
		{name: "github workflow sha differs", bundle: good, flags: append(idFlags(gh), "--certificate-github-workflow-sha", strings.Repeat("f", 40)), code: 1},
		{name: "github workflow trigger differs", bundle: good, flags: append(idFlags(gh), "--certificate-github-workflow-trigger", "workflow_dispatch"), code: 1},
		{name: "wrong issuer", bundle: good, flags: []string{"--certificate-identity", gh.SAN, "--certificate-oidc-issuer", "https://accounts.example.test"}, code: 1},
		{name: "SET flipped", bundle: sigstoretest.Mutate(t, good, func(b *protobundle.Bundle) {
			b.VerificationMaterial.TlogEntries[0].InclusionPromise.SignedEntryTimestamp[10] ^= 1
		}), code: 1},
		{name: "inclusion proof wrong", bundle: sigstoretest.Mutate(t, good, func(b *protobundle.Bundle) {
			b.VerificationMaterial.TlogEntries[0].InclusionProof.RootHash[0] ^= 1
		}), code: 1},
		{name: "missing tlog entry", bundle: ss.SignDSSE(gh, st, sigstoretest.Options{NoTlog: true, TSA: true}), code: 1},
		{name: "no SCT", bundle: ss.SignDSSE(gh, st, sigstoretest.Options{NoSCT: true}), code: 1},
		{name: "untrusted root", bundle: good, root: "other_root.json", code: 1},
		{name: "payload changed", bundle: sigstoretest.Mutate(t, good, func(b *protobundle.Bundle) {
			b.GetDsseEnvelope().Payload = []byte(strings.Replace(string(b.GetDsseEnvelope().Payload), kRef, "refs/tags/v9", 1))
		}), code: 1},
		{name: "timestamp corrupted, log entry valid", bundle: sigstoretest.Mutate(t, ss.SignDSSE(gh, st, sigstoretest.Options{TSA: true}), func(b *protobundle.Bundle) {
			ts := b.VerificationMaterial.TimestampVerificationData.Rfc3161Timestamps[0].SignedTimestamp
			ts[len(ts)-5] ^= 1
		}), code: 1, cosignDiffers: "cosign (sigstore-go) skips a timestamp that does not verify when the log entry gives the signing time; pinline requires every timestamp present to verify"},
		{name: "integrated time in the future", bundle: ss.SignDSSE(gh, st, sigstoretest.Options{SignedAt: now.Add(time.Hour), IntegratedAt: now.Add(time.Hour + time.Minute)}), code: 1,
			cosignDiffers: "sigstore-go accepts a log integrated time in the future inside the certificate's validity; pinline rejects signing times more than 5 minutes ahead"},
		{name: "timestamp outside the certificate's validity", bundle: ss.SignDSSE(gh, st, sigstoretest.Options{SignedAt: now.Add(-2 * time.Hour), IntegratedAt: now.Add(-2*time.Hour + time.Minute), TSA: true}), code: 1,
			// cosign ignores RFC 3161 timestamps unless told to use them.
			cosignFlags: []string{"--use-signed-timestamps"}},
		{name: "dsse signature flipped", bundle: sigstoretest.Mutate(t, good, func(b *protobundle.Bundle) { b.GetDsseEnvelope().Signatures[0].Sig[8] ^= 1 }), code: 1},
		{name: "message digest changed", bundle: sigstoretest.Mutate(t, ss.SignBlob(gh, []byte("app contents\n"), sigstoretest.Options{}), func(b *protobundle.Bundle) {
			b.GetMessageSignature().MessageDigest.Digest[0] ^= 1
		}), blob: true, code: 1,
			cosignDiffers: "cosign verify-blob hashes the artifact itself and ignores the bundle's messageDigest; pinline (sigstore-go) requires it to match (the conformance suite's message-digest-mismatch_fail)"},
		{name: "message signature of another blob", bundle: ss.SignBlob(gh, []byte("other\n"), sigstoretest.Options{}), blob: true, code: 1},
	}, conformance...)
}

// idFlags are the exact identity flags of w.
func idFlags(w sigstoretest.Identity) []string {
	return []string{"--certificate-identity", w.SAN, "--certificate-oidc-issuer", w.Issuer}
}

func (v *keylessVector) files(t *testing.T, dir string) (bundle, root string, flags []string) {
	bundle = filepath.Join(dir, strings.ReplaceAll(v.name, " ", "_")+".sigstore.json")
	if err := os.WriteFile(bundle, v.bundle, 0o644); err != nil {
		t.Fatal(err)
	}
	root = v.root
	if root == "" {
		root = "trusted_root.json"
	}
	flags = v.flags
	if flags == nil {
		flags = []string{"--certificate-identity", sigstoretest.GitHubWorkflow(kRepo, kPath, kRef).SAN, "--certificate-oidc-issuer", sigstoretest.GitHubIssuer}
	}
	return bundle, filepath.Join(dir, root), flags
}

func TestVerifyKeylessCLI(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, v := range keylessVectors(t, dir) {
		t.Run(v.name, func(t *testing.T) {
			t.Parallel()
			bundle, root, flags := v.files(t, dir)
			args := append([]string{"verify", "--attestation", bundle, "--artifact", filepath.Join(dir, "app"), "--trusted-root", root}, flags...)
			if v.blob {
				args = append(args, "--type", "blob")
			}
			code, out, errOut := runCLI(t, args...)
			want := 0
			if !v.ok {
				want = v.code
			}
			if code != want {
				t.Fatalf("exit %d, want %d\n%s%s", code, want, out, errOut)
			}
		})
	}
}

// TestVerifyKeylessCLIUsage: keyless evidence without the keyless flags,
// or a trusted root without an identity, is exit 2 with what is missing.
func TestVerifyKeylessCLIUsage(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	vs := keylessVectors(t, dir)
	bundle, root, _ := vs[0].files(t, dir)
	pub := filepath.Join(fixture(t), "pl.pub")
	art := filepath.Join(dir, "app")
	for name, c := range map[string]struct {
		args []string
		want string
	}{
		"key only":            {[]string{"--key", pub}, "pass --trusted-root and --certificate-identity"},
		"nothing":             {nil, "--trusted-root FILE with --certificate-identity"},
		"root, no identity":   {[]string{"--trusted-root", root}, "--certificate-identity"},
		"root, no issuer":     {[]string{"--trusted-root", root, "--certificate-identity", "x"}, "--certificate-oidc-issuer"},
		"identity, no root":   {[]string{"--certificate-identity", "x", "--certificate-oidc-issuer", "y"}, "--trusted-root"},
		"not a trusted root":  {[]string{"--trusted-root", pub, "--certificate-identity", "x", "--certificate-oidc-issuer", "y"}, "not a sigstore trusted root"},
		"tag and branch both": {[]string{"--trusted-root", root, "--repo", kRepo, "--source-tag", "v1", "--source-branch", "main"}, "exclusive"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			args := append([]string{"verify", "--attestation", bundle, "--artifact", art}, c.args...)
			code, out, errOut := runCLI(t, args...)
			if code != 2 || !strings.Contains(out+errOut, c.want) {
				t.Fatalf("exit %d, want 2 with %q\n%s%s", code, c.want, out, errOut)
			}
		})
	}
	// --insecure-ignore-tlog is announced.
	_, _, errOut := runCLI(t, "verify", "--attestation", bundle, "--artifact", art, "--trusted-root", root, "--repo", kRepo, "--insecure-ignore-tlog")
	if !strings.Contains(errOut, "WARNING: --insecure-ignore-tlog") {
		t.Fatalf("no warning for --insecure-ignore-tlog:\n%s", errOut)
	}
}

// TestVerifyKeylessSLSAProfile: slsa-verifier's flags on a builder's
// bundle; an unrelated workflow claiming the builder fails.
func TestVerifyKeylessSLSAProfile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ss := sigstoretest.New(t)
	root := filepath.Join(dir, "trusted_root.json")
	write(t, root, string(ss.TrustedRoot()))
	write(t, filepath.Join(dir, "app"), "app\n")
	sum := sha256.Sum256([]byte("app\n"))
	const builder = "https://github.com/builders/slsa/.github/workflows/builder.yml"
	id := sigstoretest.GitHubWorkflow(kRepo, kPath, kRef)
	id.SAN, id.BuildSignerURI = builder+"@refs/tags/v2.0.0", builder+"@refs/tags/v2.0.0"
	evil := sigstoretest.GitHubWorkflow("mallory/tools", ".github/workflows/evil.yml", "refs/heads/main")
	st := sigstoretest.Provenance(t, "app", hex.EncodeToString(sum[:]), builder+"@refs/tags/v2.0.0", kRepo, kPath, kRef)
	write(t, filepath.Join(dir, "good.sigstore.json"), string(ss.SignDSSE(id, st, sigstoretest.Options{})))
	write(t, filepath.Join(dir, "evil.sigstore.json"), string(ss.SignDSSE(evil, st, sigstoretest.Options{})))
	base := []string{"verify", "--artifact", filepath.Join(dir, "app"), "--trusted-root", root, "--builder-id", builder,
		"--certificate-identity-regexp", `^https://github\.com/`, "--certificate-oidc-issuer", sigstoretest.GitHubIssuer,
		"--source-uri", "github.com/" + kRepo, "--source-tag", "v1"}
	if code, out, e := runCLI(t, append(base, "--attestation", filepath.Join(dir, "good.sigstore.json"))...); code != 0 {
		t.Fatalf("builder bundle: exit %d\n%s%s", code, out, e)
	}
	if code, out, _ := runCLI(t, append(base, "--attestation", filepath.Join(dir, "evil.sigstore.json"))...); code != 1 || !strings.Contains(out, "builder id does not match") {
		t.Fatalf("unrelated workflow: exit %d\n%s", code, out)
	}
	if code, out, _ := runCLI(t, append(base[:len(base)-1], "v9", "--attestation", filepath.Join(dir, "good.sigstore.json"))...); code != 1 || !strings.Contains(out, "source ref does not match") {
		t.Fatalf("other tag: exit %d\n%s", code, out)
	}
}

// TestCosignKeylessDifferential runs cosign v2.6.5 on the same vectors:
// both accept the valid ones and reject every tampered one.
func TestCosignKeylessDifferential(t *testing.T) {
	t.Parallel()
	bin := cosignBin(t)
	dir := t.TempDir()
	for _, v := range keylessVectors(t, dir) {
		t.Run(v.name, func(t *testing.T) {
			t.Parallel()
			bundle, root, flags := v.files(t, dir)
			args := []string{"verify-blob-attestation", "--type", "slsaprovenance1"}
			if v.blob {
				args = []string{"verify-blob"}
			}
			args = append(append(args, "--bundle", bundle, "--new-bundle-format", "--trusted-root", root), v.cosignFlags...)
			args = append(append(args, flags...), filepath.Join(dir, "app"))
			out, err := cosign(t, bin, dir, args...)
			cosignOK := err == nil
			if v.cosignDiffers != "" {
				if cosignOK == v.ok {
					t.Fatalf("cosign now agrees (verdict %v); drop cosignDiffers:\n%s", cosignOK, out)
				}
				t.Logf("known difference: %s", v.cosignDiffers)
				return
			}
			if cosignOK != v.ok {
				t.Fatalf("cosign verdict %v, want %v:\n%s", cosignOK, v.ok, out)
			}
		})
	}
}

// TestVerifyKeylessIntotoJSONL: an slsa-github-generator v1 .intoto.jsonl
// (certificate beside the signature, no log entry) is checked offline as
// far as it can be and fails closed on the missing signing time, exit 1,
// with --insecure-ignore-tlog too; a forged certificate fails earlier.
func TestVerifyKeylessIntotoJSONL(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ss := sigstoretest.New(t)
	root := filepath.Join(dir, "trusted_root.json")
	write(t, root, string(ss.TrustedRoot()))
	write(t, filepath.Join(dir, "other_root.json"), string(sigstoretest.New(t).TrustedRoot()))
	write(t, filepath.Join(dir, "app"), "app\n")
	sum := sha256.Sum256([]byte("app\n"))
	const builder = "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml@refs/tags/v1.9.0"
	id := sigstoretest.GitHubWorkflow(kRepo, kPath, kRef)
	id.SAN, id.BuildSignerURI = builder, builder
	env := ss.Envelope(id, sigstoretest.ProvenanceV02(t, "app", hex.EncodeToString(sum[:]), builder, kRepo, kRef), sigstoretest.Options{})
	file := filepath.Join(dir, "app.intoto.jsonl")
	write(t, file, string(env)+"\n")
	base := []string{"verify", "--attestation", file, "--artifact", filepath.Join(dir, "app"), "--type", "https://slsa.dev/provenance/v0.2",
		"--certificate-identity-regexp", `^https://github\.com/slsa-framework/slsa-github-generator/`, "--certificate-oidc-issuer", sigstoretest.GitHubIssuer}
	for name, c := range map[string]struct {
		args []string
		want string
	}{
		"trusted root":           {[]string{"--trusted-root", root}, "no verified signing time"},
		"--insecure-ignore-tlog": {[]string{"--trusted-root", root, "--insecure-ignore-tlog"}, "no verified signing time"},
		"other root":             {[]string{"--trusted-root", filepath.Join(dir, "other_root.json")}, "does not chain"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			code, out, errOut := runCLI(t, append(base, c.args...)...)
			if code != 1 || !strings.Contains(out, c.want) {
				t.Fatalf("exit %d, want 1 with %q\n%s%s", code, c.want, out, errOut)
			}
		})
	}
}
