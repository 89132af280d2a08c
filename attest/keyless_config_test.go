package attest

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/pinline/pinline/internal/sigstoretest"
)

// TestKeylessNeedsTrustedRoot: keyless evidence with only --key (even the
// bundle's own leaf certificate) is refused as bad input, whatever its log
// entry says; the message names what is missing.
func TestKeylessNeedsTrustedRoot(t *testing.T) {
	t.Parallel()
	e := newKeylessEnv(t)
	gh := sigstoretest.GitHubWorkflow(testRepo, testWorkflow, testRef)
	b := e.ss.SignDSSE(gh, keylessStatement(t, gh.SAN), sigstoretest.Options{})
	atts, err := ParseAttestations("b.sigstore.json", b)
	if err != nil {
		t.Fatal(err)
	}
	k := newTestKey(t, "unrelated")
	_, err = Verify(context.Background(), &VerifyOptions{Verifiers: []Verifier{k.verifier}, Artifacts: []Artifact{{Name: "app", SHA256: sha("app")}}}, atts)
	if !errors.Is(err, ErrKeyless) || !errors.Is(err, ErrBadInput) {
		t.Fatalf("got %v", err)
	}
	if want := "pass --trusted-root and --certificate-identity"; !bytes.Contains([]byte(err.Error()), []byte(want)) {
		t.Fatalf("error does not say what is missing: %v", err)
	}
}

func TestKeylessIdentityRequired(t *testing.T) {
	t.Parallel()
	e := newKeylessEnv(t)
	tm, err := LoadTrustedRoot(e.root, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []CertificateIdentity{{}, {SubjectAlternativeName: "x"}, {Issuer: "y"}, {SubjectAlternativeNameRegexp: "(", Issuer: "y"}, {Repo: "noslash"}} {
		if _, err := NewKeyless(tm, "r", id, false); !errors.Is(err, ErrBadInput) || !errors.Is(err, ErrKeyless) {
			t.Errorf("%+v: got %v", id, err)
		}
	}
	if _, err := LoadTrustedRoot(filepath.Join(t.TempDir(), "missing.json"), ""); !errors.Is(err, ErrBadInput) {
		t.Errorf("missing root: %v", err)
	}
	if tm, err := LoadTrustedRoot(e.root, e.tsaChain); err != nil || len(tm.TimestampingAuthorities()) != 2 {
		t.Errorf("root and TSA chain: %v", err)
	}
	if _, err := LoadTrustedRoot("", e.root); !errors.Is(err, ErrBadInput) {
		t.Errorf("a JSON file as TSA chain: %v", err)
	}
	bad := filepath.Join(t.TempDir(), "bad.json")
	_ = os.WriteFile(bad, []byte(`{"mediaType":"nope"}`), 0o644)
	if _, err := LoadTrustedRoot(bad, ""); !errors.Is(err, ErrBadInput) {
		t.Errorf("bad root: %v", err)
	}
}
