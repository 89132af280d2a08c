package attest

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/pinline/pinline/internal/sigstoretest"
)

const (
	testRepo     = "acme/app"
	testWorkflow = ".github/workflows/release.yml"
	testRef      = "refs/tags/v1"
	// testBuilder is a reusable builder workflow (slsa-github-generator style).
	testBuilder = "https://github.com/builders/slsa/.github/workflows/builder.yml"
)

// keylessStatement is SLSA v1 provenance about "app" built by builderID.
func keylessStatement(t testing.TB, builderID string) []byte {
	return sigstoretest.Provenance(t, "app", sha("app"), builderID, testRepo, testWorkflow, testRef)
}

// builderIdentity is the certificate of testBuilder called by acme/app.
func builderIdentity() sigstoretest.Identity {
	id := sigstoretest.GitHubWorkflow(testRepo, testWorkflow, testRef)
	id.SAN = testBuilder + "@refs/tags/v2.0.0"
	id.BuildSignerURI = id.SAN
	return id
}

// keylessEnv is one instance with its roots on disk.
type keylessEnv struct {
	ss                  *sigstoretest.Sigstore
	root, virtualRoot   string
	tsaChain, otherRoot string
}

func newKeylessEnv(t *testing.T) *keylessEnv {
	t.Helper()
	dir := t.TempDir()
	e := &keylessEnv{ss: sigstoretest.New(t)}
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	e.root = write("trusted_root.json", e.ss.TrustedRoot())
	e.virtualRoot = write("virtual_root.json", e.ss.VirtualRoot())
	e.tsaChain = write("tsa.pem", e.ss.TSAChain())
	e.otherRoot = write("other_root.json", sigstoretest.New(t).TrustedRoot())
	return e
}

func (e *keylessEnv) keyless(t *testing.T, rootPath string, id CertificateIdentity, ignoreTlog bool) *Keyless {
	t.Helper()
	tm, err := LoadTrustedRoot(rootPath, "")
	if err != nil {
		t.Fatal(err)
	}
	k, err := NewKeyless(tm, rootPath, id, ignoreTlog)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func mutateBundle(t *testing.T, data []byte, f func(b *protobundle.Bundle)) []byte {
	return sigstoretest.Mutate(t, data, f)
}

// keylessCase is one vector: how it was made, how it is verified, the
// verdict (nil = verified) and the error class.
type keylessCase struct {
	name       string
	bundle     []byte
	root       string // trusted root (default e.root)
	id         CertificateIdentity
	ignoreTlog bool
	typ        string
	artifact   string // default "app"
	opts       func(o *VerifyOptions)
	want       error // reason, nil = verified
	class      error // ErrVerificationFailed or ErrBadInput
}

// keylessCases is the table the attest test and the CLI's cosign
// differential test share.
func keylessCases(t *testing.T, e *keylessEnv) []keylessCase {
	ss := e.ss
	gh := sigstoretest.GitHubWorkflow(testRepo, testWorkflow, testRef)
	ghID := CertificateIdentity{SubjectAlternativeName: gh.SAN, Issuer: sigstoretest.GitHubIssuer}
	payload := keylessStatement(t, gh.SAN)
	good := ss.SignDSSE(gh, payload, sigstoretest.Options{})
	other := ss.SignDSSE(gh, keylessStatement(t, gh.SAN+"x"), sigstoretest.Options{})
	otherEntries := mutateBundle(t, other, func(*protobundle.Bundle) {})
	var swapped []byte
	{
		var ob protobundle.Bundle
		_ = protojson.Unmarshal(otherEntries, &ob)
		swapped = mutateBundle(t, good, func(b *protobundle.Bundle) { b.VerificationMaterial.TlogEntries = ob.VerificationMaterial.TlogEntries })
	}
	now := time.Now()
	builder := builderIdentity()
	evil := sigstoretest.GitHubWorkflow("mallory/tools", ".github/workflows/evil.yml", "refs/heads/main")
	anyGitHub := CertificateIdentity{SubjectAlternativeNameRegexp: `^https://github\.com/`, Issuer: sigstoretest.GitHubIssuer}
	builderOpts := func(o *VerifyOptions) {
		o.BuilderID = testBuilder
		o.SourceURI = "github.com/" + testRepo
		o.SourceRef = testRef
	}
	// v02 is SLSA v0.2 provenance of the builder about acme/app, edited by f
	// (the predicate).
	v02 := func(repo, ref string, f func(p map[string]any)) []byte {
		var m map[string]any
		_ = json.Unmarshal(sigstoretest.ProvenanceV02(t, "app", sha("app"), testBuilder+"@refs/tags/v2.0.0", repo, ref), &m)
		if f != nil {
			f(m["predicate"].(map[string]any))
		}
		out, _ := json.Marshal(m)
		return out
	}
	genPayload := sigstoretest.ProvenanceV02(t, "app", sha("app"), testBuilder+"@refs/tags/v2.0.0", testRepo, testRef)
	genEnv := ss.Envelope(builder, genPayload, sigstoretest.Options{})
	return []keylessCase{
		{name: "v0.3 dsse, SET and inclusion proof", bundle: good, id: ghID},
		{name: "v0.2 dsse (certificate chain)", bundle: ss.SignDSSE(gh, payload, sigstoretest.Options{Version: "v0.2"}), id: ghID},
		{name: "v0.1 dsse (SET only)", bundle: ss.SignDSSE(gh, payload, sigstoretest.Options{Version: "v0.1", NoProof: true}), id: ghID},
		{name: "v0.3 dsse with RFC 3161 timestamp", bundle: ss.SignDSSE(gh, payload, sigstoretest.Options{TSA: true}), id: ghID},
		{name: "rekor v2 entry with timestamp", bundle: ss.RekorV2DSSE("dev@example.test", payload), root: e.virtualRoot,
			id: CertificateIdentity{SubjectAlternativeName: "dev@example.test", Issuer: "https://issuer.test"}},
		{name: "message signature (blob)", bundle: ss.SignBlob(gh, []byte("app"), sigstoretest.Options{}), id: ghID, typ: TypeBlob},
		{name: "github shortcut --repo", bundle: good, id: CertificateIdentity{Repo: testRepo}},
		{name: "github shortcut --owner", bundle: good, id: CertificateIdentity{Owner: "acme"}},
		{name: "github shortcut --signer-workflow", bundle: good, id: CertificateIdentity{SignerWorkflow: testRepo + "/" + testWorkflow}},
		{name: "github shortcut --signer-workflow, other workflow", bundle: good, id: CertificateIdentity{SignerWorkflow: testRepo + "/.github/workflows/other.yml"},
			want: ErrCertificateIdentity, class: ErrVerificationFailed},
		{name: "github workflow extensions all match", bundle: good, id: withGitHubExt(ghID, gh, nil)},
		{name: "github workflow extension sha differs", bundle: good, id: withGitHubExt(ghID, gh, func(c *CertificateIdentity) { c.GitHubWorkflowSHA = strings.Repeat("f", 40) }),
			want: ErrCertificateIdentity, class: ErrVerificationFailed},
		{name: "github workflow extension trigger differs", bundle: good, id: withGitHubExt(ghID, gh, func(c *CertificateIdentity) { c.GitHubWorkflowTrigger = "workflow_dispatch" }),
			want: ErrCertificateIdentity, class: ErrVerificationFailed},
		{name: "github workflow extension repository differs", bundle: good, id: withGitHubExt(ghID, gh, func(c *CertificateIdentity) { c.GitHubWorkflowRepository = "mallory/app" }),
			want: ErrCertificateIdentity, class: ErrVerificationFailed},
		{name: "github workflow extension ref differs", bundle: good, id: withGitHubExt(ghID, gh, func(c *CertificateIdentity) { c.GitHubWorkflowRef = "refs/heads/main" }),
			want: ErrCertificateIdentity, class: ErrVerificationFailed},
		{name: "github workflow extension name differs", bundle: good, id: withGitHubExt(ghID, gh, func(c *CertificateIdentity) { c.GitHubWorkflowName = "nightly" }),
			want: ErrCertificateIdentity, class: ErrVerificationFailed},
		{name: "builder, source and ref agree", bundle: ss.SignDSSE(builder, keylessStatement(t, testBuilder+"@refs/tags/v2.0.0"), sigstoretest.Options{}),
			id: anyGitHub, opts: builderOpts},
		{name: "SLSA v0.2 provenance: builder, source and ref agree", bundle: ss.SignDSSE(builder, v02(testRepo, testRef, nil), sigstoretest.Options{}),
			id: anyGitHub, typ: PredicateSLSAProvenanceV02, opts: builderOpts},
		{name: "SLSA v0.2 provenance: payload builder differs from the certificate", bundle: ss.SignDSSE(builder, sigstoretest.ProvenanceV02(t, "app", sha("app"), "https://github.com/mallory/builder.yml@refs/tags/v1", testRepo, testRef), sigstoretest.Options{}),
			id: anyGitHub, typ: PredicateSLSAProvenanceV02, opts: builderOpts, want: ErrBuilderID, class: ErrVerificationFailed},
		{name: "SLSA v0.2 provenance: config source of another repository", bundle: ss.SignDSSE(builder, v02("mallory/app", testRef, nil), sigstoretest.Options{}),
			id: anyGitHub, typ: PredicateSLSAProvenanceV02, opts: builderOpts, want: ErrSourceURI, class: ErrVerificationFailed},
		{name: "SLSA v0.2 provenance: github_ref differs", bundle: ss.SignDSSE(builder, v02(testRepo, "refs/heads/dev", nil), sigstoretest.Options{}),
			id: anyGitHub, typ: PredicateSLSAProvenanceV02, opts: builderOpts, want: ErrSourceRef, class: ErrVerificationFailed},
		{name: "SLSA v0.2 provenance: config source ref and github_ref disagree", bundle: ss.SignDSSE(builder, v02(testRepo, testRef, func(p map[string]any) {
			p["invocation"].(map[string]any)["environment"].(map[string]any)["github_ref"] = "refs/heads/dev"
		}), sigstoretest.Options{}), id: anyGitHub, typ: PredicateSLSAProvenanceV02, opts: func(o *VerifyOptions) { builderOpts(o); o.SourceRef = "refs/heads/dev" }, want: ErrSourceRef, class: ErrVerificationFailed},
		{name: "no tlog, timestamp, --insecure-ignore-tlog", bundle: ss.SignDSSE(gh, payload, sigstoretest.Options{NoTlog: true, TSA: true}), id: ghID, ignoreTlog: true},

		{name: "no tlog entry", bundle: ss.SignDSSE(gh, payload, sigstoretest.Options{NoTlog: true, TSA: true}), id: ghID, want: ErrCertificate, class: ErrVerificationFailed},
		{name: "no tlog, no timestamp, --insecure-ignore-tlog", bundle: ss.SignDSSE(gh, payload, sigstoretest.Options{NoTlog: true}), id: ghID, ignoreTlog: true, want: ErrCertificate, class: ErrVerificationFailed},
		{name: "certificate expired at signing", bundle: ss.SignDSSE(gh, payload, sigstoretest.Options{SignedAt: now.Add(-2 * time.Hour), IntegratedAt: now.Add(-time.Hour)}),
			id: ghID, want: ErrCertificate, class: ErrVerificationFailed},
		{name: "signed before the certificate", bundle: ss.SignDSSE(gh, payload, sigstoretest.Options{SignedAt: now.Add(-time.Minute), IntegratedAt: now.Add(-time.Hour)}),
			id: ghID, want: ErrCertificate, class: ErrVerificationFailed},
		{name: "SET flipped", bundle: mutateBundle(t, good, func(b *protobundle.Bundle) {
			b.VerificationMaterial.TlogEntries[0].InclusionPromise.SignedEntryTimestamp[10] ^= 1
		}), id: ghID, want: ErrCertificate, class: ErrVerificationFailed},
		{name: "inclusion proof root hash wrong", bundle: mutateBundle(t, good, func(b *protobundle.Bundle) {
			b.VerificationMaterial.TlogEntries[0].InclusionProof.RootHash[0] ^= 1
		}), id: ghID, want: ErrCertificate, class: ErrVerificationFailed},
		{name: "integrated time moved", bundle: mutateBundle(t, good, func(b *protobundle.Bundle) {
			b.VerificationMaterial.TlogEntries[0].IntegratedTime -= 30
		}), id: ghID, want: ErrCertificate, class: ErrVerificationFailed},
		{name: "timestamp corrupted (log entry valid)", bundle: mutateBundle(t, ss.SignDSSE(gh, payload, sigstoretest.Options{TSA: true}), func(b *protobundle.Bundle) {
			ts := b.VerificationMaterial.TimestampVerificationData.Rfc3161Timestamps[0].SignedTimestamp
			ts[len(ts)-5] ^= 1
		}), id: ghID, want: ErrTimestamp, class: ErrVerificationFailed},
		{name: "two timestamps of the same authority", bundle: mutateBundle(t, ss.SignDSSE(gh, payload, sigstoretest.Options{TSA: true}), func(b *protobundle.Bundle) {
			tvd := b.VerificationMaterial.TimestampVerificationData
			tvd.Rfc3161Timestamps = append(tvd.Rfc3161Timestamps, tvd.Rfc3161Timestamps[0])
		}), id: ghID, want: ErrTimestamp, class: ErrVerificationFailed},
		{name: "integrated time in the future", bundle: ss.SignDSSE(gh, payload, sigstoretest.Options{SignedAt: now.Add(time.Hour), IntegratedAt: now.Add(time.Hour + time.Minute)}),
			id: ghID, want: ErrCertificate, class: ErrVerificationFailed},
		{name: "checkpoint signature invalid", bundle: mutateBundle(t, good, func(b *protobundle.Bundle) {
			cp := b.VerificationMaterial.TlogEntries[0].InclusionProof.Checkpoint
			cp.Envelope = strings.Replace(cp.Envelope, "\n\u2014 ", "\n\u2014 x", 1)
			i := strings.LastIndex(cp.Envelope, " ")
			sig := []byte(cp.Envelope[i+1:])
			sig[len(sig)/2] ^= 1
			cp.Envelope = cp.Envelope[:i+1] + string(sig)
		}), id: ghID, want: ErrCertificate, class: ErrVerificationFailed},
		{name: "timestamp outside the certificate's validity", bundle: ss.SignDSSE(gh, payload, sigstoretest.Options{SignedAt: now.Add(-2 * time.Hour), IntegratedAt: now.Add(-2*time.Hour + time.Minute), TSA: true}),
			id: ghID, want: ErrCertificate, class: ErrVerificationFailed},
		{name: "rekor v2 entry without timestamp", bundle: mutateBundle(t, ss.RekorV2DSSE("dev@example.test", payload), func(b *protobundle.Bundle) {
			b.VerificationMaterial.TimestampVerificationData = nil
		}), root: e.virtualRoot, id: CertificateIdentity{SubjectAlternativeName: "dev@example.test", Issuer: "https://issuer.test"}, want: ErrCertificate, class: ErrVerificationFailed},
		{name: "dsse signature flipped", bundle: mutateBundle(t, good, func(b *protobundle.Bundle) {
			b.GetDsseEnvelope().Signatures[0].Sig[8] ^= 1
		}), id: ghID, want: ErrCertificate, class: ErrVerificationFailed},
		{name: "message digest changed", bundle: mutateBundle(t, ss.SignBlob(gh, []byte("app"), sigstoretest.Options{}), func(b *protobundle.Bundle) {
			b.GetMessageSignature().MessageDigest.Digest[0] ^= 1
		}), id: ghID, typ: TypeBlob, want: ErrCertificate, class: ErrVerificationFailed},
		{name: "hashedrekord entry swapped from another blob", bundle: func() []byte {
			var ob protobundle.Bundle
			_ = protojson.Unmarshal(ss.SignBlob(gh, []byte("other"), sigstoretest.Options{}), &ob)
			return mutateBundle(t, ss.SignBlob(gh, []byte("app"), sigstoretest.Options{}), func(b *protobundle.Bundle) {
				b.VerificationMaterial.TlogEntries = ob.VerificationMaterial.TlogEntries
			})
		}(), id: ghID, typ: TypeBlob, want: ErrCertificate, class: ErrVerificationFailed},
		{name: "log entry swapped from another bundle", bundle: swapped, id: ghID, want: ErrCertificate, class: ErrVerificationFailed},
		{name: "payload changed after signing", bundle: mutateBundle(t, good, func(b *protobundle.Bundle) {
			b.GetDsseEnvelope().Payload = bytes.Replace(b.GetDsseEnvelope().Payload, []byte(testRef), []byte("refs/tags/v9"), 1)
		}), id: ghID, want: ErrCertificate, class: ErrVerificationFailed},
		{name: "certificate without SCT", bundle: ss.SignDSSE(gh, payload, sigstoretest.Options{NoSCT: true}), id: ghID, want: ErrCertificate, class: ErrVerificationFailed},
		{name: "untrusted CA (other root)", bundle: good, root: e.otherRoot, id: ghID, want: ErrCertificate, class: ErrVerificationFailed},
		{name: "wrong identity", bundle: good, id: CertificateIdentity{SubjectAlternativeName: evil.SAN, Issuer: sigstoretest.GitHubIssuer},
			want: ErrCertificateIdentity, class: ErrVerificationFailed},
		{name: "wrong issuer", bundle: good, id: CertificateIdentity{SubjectAlternativeName: gh.SAN, Issuer: "https://accounts.example.test"},
			want: ErrCertificateIdentity, class: ErrVerificationFailed},
		{name: "github shortcut, other owner", bundle: ss.SignDSSE(evil, payload, sigstoretest.Options{}), id: CertificateIdentity{Owner: "acme"},
			want: ErrCertificateIdentity, class: ErrVerificationFailed},
		{name: "unrelated workflow claims the builder", bundle: ss.SignDSSE(evil, keylessStatement(t, testBuilder+"@refs/tags/v2.0.0"), sigstoretest.Options{}),
			id: anyGitHub, opts: builderOpts, want: ErrBuilderID, class: ErrVerificationFailed},
		{name: "certificate and payload disagree on the ref", bundle: ss.SignDSSE(builder, bytes.Replace(keylessStatement(t, testBuilder+"@refs/tags/v2.0.0"), []byte(testRef), []byte("refs/heads/dev"), 1), sigstoretest.Options{}),
			id: anyGitHub, opts: builderOpts, want: ErrSourceRef, class: ErrVerificationFailed},
		{name: "message signature, other blob", bundle: ss.SignBlob(gh, []byte("other"), sigstoretest.Options{}), id: ghID, typ: TypeBlob, want: ErrCertificate, class: ErrVerificationFailed},
		{name: "message signature as provenance", bundle: ss.SignBlob(gh, []byte("app"), sigstoretest.Options{}), id: ghID, want: ErrPredicateType, class: ErrVerificationFailed},
		{name: "attestation as blob", bundle: good, id: ghID, typ: TypeBlob, want: ErrPredicateType, class: ErrVerificationFailed},
		// slsa-github-generator v1 .intoto.jsonl: everything offline verifies
		// except the signing time, which only the online log entry gives.
		{name: "intoto.jsonl with cert: no signing time", bundle: genEnv, id: anyGitHub, want: ErrNoSigningTime, class: ErrVerificationFailed},
		{name: "intoto.jsonl with cert, --insecure-ignore-tlog: no signing time", bundle: genEnv, id: anyGitHub, ignoreTlog: true, want: ErrNoSigningTime, class: ErrVerificationFailed},
		{name: "intoto.jsonl with cert, two lines", bundle: append(append(append([]byte{}, genEnv...), '\n'), genEnv...), id: anyGitHub, want: ErrNoSigningTime, class: ErrVerificationFailed},
		{name: "intoto.jsonl with cert of another CA", bundle: genEnv, root: e.otherRoot, id: anyGitHub, want: ErrCertificate, class: ErrVerificationFailed},
		{name: "intoto.jsonl with cert, other identity", bundle: genEnv, id: CertificateIdentity{Repo: "mallory/tools"}, want: ErrCertificateIdentity, class: ErrVerificationFailed},
		{name: "intoto.jsonl with cert, payload changed", bundle: editJSON(t, genEnv, func(m map[string]any) {
			m["payload"] = base64.StdEncoding.EncodeToString(bytes.Replace(genPayload, []byte(testRef), []byte("refs/tags/v9"), 1))
		}), id: anyGitHub, want: ErrCertificate, class: ErrVerificationFailed},
		{name: "intoto.jsonl with cert, cert of another signer", bundle: editJSON(t, genEnv, func(m map[string]any) {
			var o map[string]any
			_ = json.Unmarshal(ss.Envelope(gh, genPayload, sigstoretest.Options{}), &o)
			m["signatures"].([]any)[0].(map[string]any)["cert"] = o["signatures"].([]any)[0].(map[string]any)["cert"]
		}), id: anyGitHub, want: ErrCertificate, class: ErrVerificationFailed},
		{name: "intoto.jsonl with cert, no SCT", bundle: ss.Envelope(builder, genPayload, sigstoretest.Options{NoSCT: true}), id: anyGitHub, want: ErrCertificate, class: ErrVerificationFailed},
		{name: "intoto.jsonl with cert issued before the CA", bundle: ss.Envelope(builder, genPayload, sigstoretest.Options{SignedAt: now.Add(-10 * time.Hour)}), id: anyGitHub, want: ErrCertificate, class: ErrVerificationFailed},
		{name: "intoto.jsonl with cert, two signatures", bundle: editJSON(t, genEnv, func(m map[string]any) {
			sigs := m["signatures"].([]any)
			m["signatures"] = append(sigs, sigs[0])
		}), id: anyGitHub, want: ErrCertificate, class: ErrVerificationFailed},
	}
}

// withGitHubExt is id constrained on every GitHub workflow extension of
// the certificate of w, then changed by f.
func withGitHubExt(id CertificateIdentity, w sigstoretest.Identity, f func(c *CertificateIdentity)) CertificateIdentity {
	id.GitHubWorkflowRepository, id.GitHubWorkflowRef, id.GitHubWorkflowSHA = w.GitHubWorkflowRepository, w.GitHubWorkflowRef, w.GitHubWorkflowSHA
	id.GitHubWorkflowName, id.GitHubWorkflowTrigger = w.GitHubWorkflowName, w.GitHubWorkflowTrigger
	if f != nil {
		f(&id)
	}
	return id
}

func TestKeylessVerification(t *testing.T) {
	t.Parallel()
	e := newKeylessEnv(t)
	for _, c := range keylessCases(t, e) {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			root := c.root
			if root == "" {
				root = e.root
			}
			atts, err := ParseAttestations(c.name, c.bundle)
			if err != nil {
				t.Fatal(err)
			}
			art := c.artifact
			if art == "" {
				art = "app"
			}
			o := &VerifyOptions{Keyless: e.keyless(t, root, c.id, c.ignoreTlog), PredicateType: c.typ, Artifacts: []Artifact{{Name: art, SHA256: sha(art)}}}
			if c.opts != nil {
				c.opts(o)
			}
			rep, err := Verify(context.Background(), o, atts)
			if c.want == nil {
				if err != nil {
					t.Fatalf("want verified, got %v", err)
				}
				r := rep.Attestations[0]
				if r.Certificate == nil || len(r.Timestamps) == 0 {
					t.Fatalf("verified keyless result without certificate or signing time: %+v", r)
				}
				if !c.ignoreTlog && (len(r.LogEntries) == 0 || !r.LogEntries[0].Verified) {
					t.Fatalf("no verified log entry: %+v", r.LogEntries)
				}
				return
			}
			if !errors.Is(err, c.want) || !errors.Is(err, c.class) {
				t.Fatalf("want %v (%v), got %v", c.want, c.class, err)
			}
		})
	}
}
