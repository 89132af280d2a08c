package attest

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protorekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	"google.golang.org/protobuf/proto"

	"github.com/pinline/pinline/internal/sigstoretest"
	"github.com/pinline/pinline/policy"
)

// TestKeylessPolicyInput: the deploy policy sees only verified facts: the
// verified log entries with their integrated time, the certificate's
// identity, the verified timestamps; key-signed evidence has none.
func TestKeylessPolicyInput(t *testing.T) {
	t.Parallel()
	e := newKeylessEnv(t)
	ctx := context.Background()
	gh := sigstoretest.GitHubWorkflow(testRepo, testWorkflow, testRef)
	b := e.ss.SignDSSE(gh, keylessStatement(t, gh.SAN), sigstoretest.Options{TSA: true})
	atts, err := ParseAttestations("b.sigstore.json", b)
	if err != nil {
		t.Fatal(err)
	}
	p, err := policy.LoadDeploy(ctx, writePolicy(t, `package pinline.deploy
deny contains "not keyless" if not input.verification.keyless
deny contains "no verified log entry" if count([e | some e in input.verification.tlogEntries; e.verified; e.integratedTime != ""]) == 0
deny contains "wrong repository" if input.verification.certificate.sourceRepositoryURI != "https://github.com/acme/app"
deny contains "wrong signer" if input.verification.certificate.subjectAlternativeName != "`+gh.SAN+`"
deny contains "no TSA time" if count([t | some t in input.verification.timestamps; t.type == "TimestampAuthority"]) == 0
`), policy.DeployOptions{})
	if err != nil {
		t.Fatal(err)
	}
	o := &VerifyOptions{Keyless: e.keyless(t, e.root, CertificateIdentity{Repo: testRepo}, false), Policy: p,
		Artifacts: []Artifact{{Name: "app", SHA256: sha("app")}}}
	if _, err := Verify(ctx, o, atts); err != nil {
		t.Fatalf("policy on verified facts: %v", err)
	}
	// The negative control: the same facts deny when the policy says so.
	if o.Policy, err = policy.LoadDeploy(ctx, writePolicy(t, `package pinline.deploy
deny contains "acme" if input.verification.certificate.sourceRepositoryOwnerURI == "https://github.com/acme"
`), policy.DeployOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(ctx, o, atts); !errors.Is(err, ErrPolicyDenied) {
		t.Fatalf("policy on the certificate owner: %v", err)
	}
	r := &Result{}
	in := PolicyInput(&atts[0], r, o) // nothing verified yet: no facts
	v := in["verification"].(map[string]any)
	if v["certificate"] != nil || len(v["tlogEntries"].([]any)) != 0 || len(v["timestamps"].([]any)) != 0 || v["keyless"] != false {
		t.Fatalf("unverified facts reached the policy input: %+v", v)
	}
}

// TestKeylessJSONLines: JSON lines of keyless bundles verify each line.
func TestKeylessJSONLines(t *testing.T) {
	t.Parallel()
	e := newKeylessEnv(t)
	gh := sigstoretest.GitHubWorkflow(testRepo, testWorkflow, testRef)
	st := keylessStatement(t, gh.SAN)
	lines := bytes.Join([][]byte{e.ss.SignDSSE(gh, st, sigstoretest.Options{}), e.ss.SignDSSE(gh, st, sigstoretest.Options{Version: "v0.2"}), nil}, []byte("\n"))
	atts, err := ParseAttestations("b.sigstore.jsonl", lines)
	if err != nil || len(atts) != 2 {
		t.Fatalf("%d attestations, %v", len(atts), err)
	}
	o := &VerifyOptions{Keyless: e.keyless(t, e.root, CertificateIdentity{Repo: testRepo}, false), Artifacts: []Artifact{{Name: "app", SHA256: sha("app")}}}
	rep, err := Verify(context.Background(), o, atts)
	if err != nil || len(rep.Artifacts[0].CoveredBy) != 2 {
		t.Fatalf("%v %+v", err, rep.Artifacts)
	}
}

// TestKeylessOnlyRejectsKeySigned: with keyless verification only, a
// key-signed attestation fails (the conformance suite's
// managed-key-and-client-identity case).
func TestKeylessOnlyRejectsKeySigned(t *testing.T) {
	t.Parallel()
	e := newKeylessEnv(t)
	k := newTestKey(t, "k")
	_, b := signedProvenance(t, k, sampleDescription(time.Unix(0, 0)))
	atts, err := ParseAttestations("k.sigstore.json", b)
	if err != nil {
		t.Fatal(err)
	}
	o := &VerifyOptions{Keyless: e.keyless(t, e.root, CertificateIdentity{Repo: testRepo}, false), Artifacts: []Artifact{{Name: "app", SHA256: sha("app")}}}
	if _, err := Verify(context.Background(), o, atts); !errors.Is(err, ErrSignatureMismatch) || !errors.Is(err, ErrVerificationFailed) {
		t.Fatalf("got %v", err)
	}
}

// TestKeylessListsOnlyVerifiedEntries: sigstore-go accepts a bundle when
// one entry verifies and skips the others; only verified entries reach the
// result and the policy input.
func TestKeylessListsOnlyVerifiedEntries(t *testing.T) {
	t.Parallel()
	e := newKeylessEnv(t)
	gh := sigstoretest.GitHubWorkflow(testRepo, testWorkflow, testRef)
	st := keylessStatement(t, gh.SAN)
	good := e.ss.SignDSSE(gh, st, sigstoretest.Options{})
	b := mutateBundle(t, good, func(b *protobundle.Bundle) {
		bad := proto.Clone(b.VerificationMaterial.TlogEntries[0]).(*protorekor.TransparencyLogEntry)
		bad.LogIndex++
		bad.InclusionPromise.SignedEntryTimestamp[10] ^= 1
		b.VerificationMaterial.TlogEntries = append(b.VerificationMaterial.TlogEntries, bad)
	})
	atts, err := ParseAttestations("b.sigstore.json", b)
	if err != nil {
		t.Fatal(err)
	}
	o := &VerifyOptions{Keyless: e.keyless(t, e.root, CertificateIdentity{Repo: testRepo}, false), Artifacts: []Artifact{{Name: "app", SHA256: sha("app")}}}
	rep, err := Verify(context.Background(), o, atts)
	if err != nil {
		t.Fatal(err)
	}
	if got := rep.Attestations[0].LogEntries; len(got) != 1 || !got[0].Verified {
		t.Fatalf("log entries %+v, want only the verified one", got)
	}
}
