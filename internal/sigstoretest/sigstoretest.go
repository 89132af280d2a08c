package sigstoretest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"time"

	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	"github.com/sigstore/sigstore-go/pkg/testing/ca"
	"google.golang.org/protobuf/encoding/protojson"
)

// GitHubIssuer is GitHub Actions' OIDC issuer.
const GitHubIssuer = "https://token.actions.githubusercontent.com"

// TB is what the generators need of a test: testing.TB satisfies it, and
// so can a benchmark's vector generator outside a test.
type TB interface {
	Helper()
	Fatal(args ...any)
}

// Sigstore is one test instance.
type Sigstore struct {
	tb        TB
	vs        *ca.VirtualSigstore
	rootCert  *x509.Certificate
	interCert *x509.Certificate
	interKey  *ecdsa.PrivateKey
	ctKey     *ecdsa.PrivateKey
	logIndex  int64
	v2Key     *ecdsa.PrivateKey // the Rekor v2 log (rekorv2.go)
	created   time.Time
}

// New makes a fresh instance (new keys every time).
func New(tb TB) *Sigstore {
	tb.Helper()
	vs, err := ca.NewVirtualSigstore()
	must(tb, err)
	rootCert, rootKey, err := ca.GenerateRootCa()
	must(tb, err)
	// The intermediate is valid for the past hour too, so tests can sign
	// "in the past" (expired-certificate cases).
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "sigstoretest-intermediate"},
		NotBefore: time.Now().Add(-4 * time.Hour), NotAfter: time.Now().Add(4 * time.Hour),
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
		BasicConstraintsValid: true, IsCA: true,
	}
	interKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(tb, err)
	der, err := x509.CreateCertificate(rand.Reader, tmpl, rootCert, interKey.Public(), rootKey)
	must(tb, err)
	interCert, err := x509.ParseCertificate(der)
	must(tb, err)
	ctKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(tb, err)
	v2Key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(tb, err)
	return &Sigstore{tb: tb, vs: vs, rootCert: rootCert, interCert: interCert, interKey: interKey, ctKey: ctKey, logIndex: 100,
		v2Key: v2Key, created: time.Now()}
}

func must(tb TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}

// Identity is what a certificate says about its holder.
type Identity struct {
	SAN    string // a URI (workflows) or an email address
	Issuer string
	// Fulcio extensions 1.3.6.1.4.1.57264.1.*
	BuildSignerURI, SourceRepositoryURI, SourceRepositoryRef, SourceRepositoryOwnerURI string
	// Legacy GitHub extensions 1.2 (trigger), 1.3 (sha), 1.4 (name), 1.5 (repository), 1.6 (ref).
	GitHubWorkflowTrigger, GitHubWorkflowSHA, GitHubWorkflowName, GitHubWorkflowRepository, GitHubWorkflowRef string
}

// GitHubWorkflow is the identity of GitHub Actions workflow path in
// repository owner/repo running at ref (e.g. refs/tags/v1).
func GitHubWorkflow(repo, path, ref string) Identity {
	owner, _, _ := bytes.Cut([]byte(repo), []byte("/"))
	w := "https://github.com/" + repo + "/" + path + "@" + ref
	return Identity{
		SAN: w, Issuer: GitHubIssuer, BuildSignerURI: w,
		SourceRepositoryURI: "https://github.com/" + repo, SourceRepositoryRef: ref,
		SourceRepositoryOwnerURI: "https://github.com/" + string(owner),
		GitHubWorkflowTrigger:    "push", GitHubWorkflowSHA: "0123456789abcdef0123456789abcdef01234567",
		GitHubWorkflowName: "release", GitHubWorkflowRepository: repo, GitHubWorkflowRef: ref,
	}
}

// Options shape one signing.
type Options struct {
	Version      string    // bundle version: "v0.1", "v0.2" or "v0.3" (default)
	SignedAt     time.Time // certificate NotBefore (default: a minute ago); it is valid 10 minutes
	IntegratedAt time.Time // the log's integrated time (default SignedAt + 1 minute)
	NoTlog       bool      // no transparency log entry
	NoProof      bool      // SET only, no inclusion proof (only valid in v0.1)
	TSA          bool      // add an RFC 3161 timestamp
	NoSCT        bool      // certificate without an embedded SCT
	// TSAuthority, when set, makes the RFC 3161 timestamps (TSA, Rekor v2)
	// instead of VirtualSigstore's authority, dated TimestampAt (default now).
	TSAuthority *TSA
	TimestampAt time.Time
	Intoto      bool // log a DSSE envelope as an intoto v0.0.2 entry (cosign's older form), not dsse v0.0.1
}

func (o *Options) defaults() {
	if o.Version == "" {
		o.Version = "v0.3"
	}
	if o.SignedAt.IsZero() {
		o.SignedAt = time.Now().Add(-time.Minute)
	}
	if o.IntegratedAt.IsZero() {
		o.IntegratedAt = o.SignedAt.Add(time.Minute)
	}
}

// Mutate decodes a bundle, applies f (the tampering) and encodes it again.
func Mutate(tb TB, data []byte, f func(b *protobundle.Bundle)) []byte {
	tb.Helper()
	var b protobundle.Bundle
	must(tb, protojson.Unmarshal(data, &b))
	f(&b)
	out, err := protojson.Marshal(&b)
	must(tb, err)
	return out
}
