// Package sigstoretest is a local, offline sigstore for tests: a
// Fulcio-like CA issuing short-lived certificates with Fulcio's OIDC
// extensions and embedded SCTs from a CT log key, a Rekor v1 log (entry
// bodies made by rekor's own types, signed entry timestamps, inclusion
// proofs with signed checkpoints) and a timestamp authority, plus the
// sigstore trusted_root.json that trusts them. The log and the TSA are
// sigstore-go's VirtualSigstore (pkg/testing/ca); VirtualSigstore also
// makes the Rekor v2 vectors (VirtualRoot). Test vectors are generated per
// run, never copied from other projects.
package sigstoretest

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"math/big"
	"net/url"
	"testing"
	"time"

	"github.com/go-openapi/runtime"
	ct "github.com/google/certificate-transparency-go"
	cttls "github.com/google/certificate-transparency-go/tls"
	ctx509util "github.com/google/certificate-transparency-go/x509util"
	"github.com/secure-systems-lab/go-securesystemslib/dsse"
	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	protodsse "github.com/sigstore/protobuf-specs/gen/pb-go/dsse"
	protorekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	"github.com/sigstore/rekor/pkg/generated/models"
	"github.com/sigstore/rekor/pkg/pki"
	"github.com/sigstore/rekor/pkg/types"
	dsseentry "github.com/sigstore/rekor/pkg/types/dsse"
	"github.com/sigstore/rekor/pkg/types/hashedrekord"
	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/testing/ca"
	"github.com/sigstore/sigstore-go/pkg/tlog"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"google.golang.org/protobuf/encoding/protojson"

	// Registers the rekor entry kinds the log writes.
	_ "github.com/sigstore/rekor/pkg/types/dsse/v0.0.1"
	_ "github.com/sigstore/rekor/pkg/types/hashedrekord/v0.0.1"
)

// GitHubIssuer is GitHub Actions' OIDC issuer.
const GitHubIssuer = "https://token.actions.githubusercontent.com"

// Sigstore is one test instance.
type Sigstore struct {
	tb        testing.TB
	vs        *ca.VirtualSigstore
	rootCert  *x509.Certificate
	interCert *x509.Certificate
	interKey  *ecdsa.PrivateKey
	ctKey     *ecdsa.PrivateKey
	logIndex  int64
}

// New makes a fresh instance (new keys every time).
func New(tb testing.TB) *Sigstore {
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
	return &Sigstore{tb: tb, vs: vs, rootCert: rootCert, interCert: interCert, interKey: interKey, ctKey: ctKey, logIndex: 100}
}

func must(tb testing.TB, err error) {
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

// SignDSSE signs payload (an in-toto statement) as id and returns the
// bundle JSON.
func (s *Sigstore) SignDSSE(id Identity, payload []byte, o Options) []byte {
	s.tb.Helper()
	o.defaults()
	leaf, key := s.leaf(id, o.SignedAt, !o.NoSCT)
	const pt = "application/vnd.in-toto+json"
	pae := dsse.PAE(pt, payload)
	sig := s.sign(key, pae)
	env := &dsse.Envelope{PayloadType: pt, Payload: base64.StdEncoding.EncodeToString(payload),
		Signatures: []dsse.Signature{{Sig: base64.StdEncoding.EncodeToString(sig)}}}
	b := s.bundle(leaf, o)
	b.Content = &protobundle.Bundle_DsseEnvelope{DsseEnvelope: &protodsse.Envelope{Payload: payload, PayloadType: pt,
		Signatures: []*protodsse.Signature{{Sig: sig}}}}
	if !o.NoTlog {
		envJSON, err := json.Marshal(env)
		must(s.tb, err)
		s.addEntry(b, dsseentry.KIND, envJSON, leaf, sig, o)
	}
	if o.TSA {
		s.addTimestamp(b, sig)
	}
	return s.marshal(b)
}

// SignBlob signs blob as id (a message signature) and returns the bundle JSON.
func (s *Sigstore) SignBlob(id Identity, blob []byte, o Options) []byte {
	s.tb.Helper()
	o.defaults()
	leaf, key := s.leaf(id, o.SignedAt, !o.NoSCT)
	sig := s.sign(key, blob)
	d := sha256.Sum256(blob)
	b := s.bundle(leaf, o)
	b.Content = &protobundle.Bundle_MessageSignature{MessageSignature: &protocommon.MessageSignature{
		MessageDigest: &protocommon.HashOutput{Algorithm: protocommon.HashAlgorithm_SHA2_256, Digest: d[:]}, Signature: sig}}
	if !o.NoTlog {
		s.addEntry(b, hashedrekord.KIND, blob, leaf, sig, o)
	}
	if o.TSA {
		s.addTimestamp(b, sig)
	}
	return s.marshal(b)
}

// Envelope signs payload as id and returns the DSSE envelope with the
// certificate beside the signature (slsa-github-generator v1's
// .intoto.jsonl form) and no log entry.
func (s *Sigstore) Envelope(id Identity, payload []byte) []byte {
	s.tb.Helper()
	leaf, key := s.leaf(id, time.Now().Add(-time.Minute), true)
	const pt = "application/vnd.in-toto+json"
	sig := s.sign(key, dsse.PAE(pt, payload))
	pemCert, err := cryptoutils.MarshalCertificateToPEM(leaf)
	must(s.tb, err)
	out, err := json.Marshal(map[string]any{"payloadType": pt, "payload": base64.StdEncoding.EncodeToString(payload),
		"signatures": []map[string]string{{"keyid": "", "sig": base64.StdEncoding.EncodeToString(sig), "cert": string(pemCert)}}})
	must(s.tb, err)
	return out
}

// RekorV2DSSE signs payload with VirtualSigstore's own CA and logs it as a
// Rekor v2 hashedrekord entry (inclusion proof and checkpoint, no SET; an
// RFC 3161 timestamp gives the signing time). It verifies against
// VirtualRoot, which lists no CT log (VirtualSigstore embeds no SCTs).
func (s *Sigstore) RekorV2DSSE(email string, payload []byte) []byte {
	s.tb.Helper()
	e, err := s.vs.AttestHashedRekordV2(email, "https://issuer.test", payload)
	must(s.tb, err)
	vc, _ := e.VerificationContent()
	sc, _ := e.SignatureContent()
	env := sc.EnvelopeContent().RawEnvelope()
	p, err := base64.StdEncoding.DecodeString(env.Payload)
	must(s.tb, err)
	sig, err := base64.StdEncoding.DecodeString(env.Signatures[0].Sig)
	must(s.tb, err)
	b := &protobundle.Bundle{MediaType: "application/vnd.dev.sigstore.bundle.v0.3+json", VerificationMaterial: &protobundle.VerificationMaterial{
		Content:                   &protobundle.VerificationMaterial_Certificate{Certificate: &protocommon.X509Certificate{RawBytes: vc.Certificate().Raw}},
		TimestampVerificationData: &protobundle.TimestampVerificationData{}}}
	b.Content = &protobundle.Bundle_DsseEnvelope{DsseEnvelope: &protodsse.Envelope{Payload: p, PayloadType: env.PayloadType, Signatures: []*protodsse.Signature{{Sig: sig}}}}
	entries, _ := e.TlogEntries()
	for _, te := range entries {
		b.VerificationMaterial.TlogEntries = append(b.VerificationMaterial.TlogEntries, te.TransparencyLogEntry())
	}
	tss, _ := e.Timestamps()
	for _, ts := range tss {
		b.VerificationMaterial.TimestampVerificationData.Rfc3161Timestamps = append(b.VerificationMaterial.TimestampVerificationData.Rfc3161Timestamps, &protocommon.RFC3161SignedTimestamp{SignedTimestamp: ts})
	}
	return s.marshal(b)
}

// TrustedRoot is the trusted_root.json trusting this instance: its CA, CT
// log, the Rekor log and the TSA, and the extra authorities.
func (s *Sigstore) TrustedRoot(extra ...*TSA) []byte {
	s.tb.Helper()
	fulcio := &root.FulcioCertificateAuthority{Root: s.rootCert, Intermediates: []*x509.Certificate{s.interCert},
		ValidityPeriodStart: time.Now().Add(-5 * time.Hour), URI: "https://fulcio.sigstoretest.invalid"}
	ctID := logID(s.tb, s.ctKey.Public())
	ctlogs := map[string]*root.TransparencyLog{hex.EncodeToString(ctID): {
		BaseURL: "https://ctlog.sigstoretest.invalid", ID: ctID, HashFunc: crypto.SHA256, PublicKey: s.ctKey.Public(),
		SignatureHashFunc: crypto.SHA256, ValidityPeriodStart: time.Now().Add(-5 * time.Hour)}}
	return s.marshalRoot([]root.CertificateAuthority{fulcio}, ctlogs, extra...)
}

// VirtualRoot trusts VirtualSigstore's own CA (RekorV2DSSE), its log and
// TSA, and no CT log.
func (s *Sigstore) VirtualRoot() []byte {
	s.tb.Helper()
	return s.marshalRoot(s.vs.FulcioCertificateAuthorities(), map[string]*root.TransparencyLog{})
}

// TSAChain is the timestamp authority's chain as PEM (leaf first, root
// last), for --timestamp-certificate-chain.
func (s *Sigstore) TSAChain() []byte {
	s.tb.Helper()
	tsa := s.vs.TimestampingAuthorities()[0].(*root.SigstoreTimestampingAuthority)
	var out []byte
	for _, c := range append(append([]*x509.Certificate{tsa.Leaf}, tsa.Intermediates...), tsa.Root) {
		p, err := cryptoutils.MarshalCertificateToPEM(c)
		must(s.tb, err)
		out = append(out, p...)
	}
	return out
}

func (s *Sigstore) marshalRoot(cas []root.CertificateAuthority, ctlogs map[string]*root.TransparencyLog, extra ...*TSA) []byte {
	rekor := s.vs.RekorLogs()
	for _, l := range rekor {
		// VirtualSigstore's log is valid for an hour around its creation;
		// the expired-certificate cases sign two hours back.
		l.ValidityPeriodStart = time.Now().Add(-5 * time.Hour)
		l.ValidityPeriodEnd = time.Time{}
		// The trusted root records the log id as raw bytes.
		raw, err := hex.DecodeString(string(l.ID))
		must(s.tb, err)
		l.ID = raw
	}
	tsas := s.vs.TimestampingAuthorities()
	for _, t := range extra {
		tsas = append(tsas, t.authority())
	}
	tr, err := root.NewTrustedRoot(root.TrustedRootMediaType01, cas, ctlogs, tsas, rekor)
	must(s.tb, err)
	out, err := tr.MarshalJSON()
	must(s.tb, err)
	return out
}

func logID(tb testing.TB, pub crypto.PublicKey) []byte {
	der, err := x509.MarshalPKIXPublicKey(pub)
	must(tb, err)
	h := sha256.Sum256(der)
	return h[:]
}

func (s *Sigstore) sign(key *ecdsa.PrivateKey, msg []byte) []byte {
	h := sha256.Sum256(msg)
	sig, err := ecdsa.SignASN1(rand.Reader, key, h[:])
	must(s.tb, err)
	return sig
}

// leaf issues a 10-minute certificate for id from notBefore, with an
// embedded SCT unless sct is false.
func (s *Sigstore) leaf(id Identity, notBefore time.Time, sct bool) (*x509.Certificate, *ecdsa.PrivateKey) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(s.tb, err)
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	must(s.tb, err)
	tmpl := &x509.Certificate{
		SerialNumber: serial, NotBefore: notBefore, NotAfter: notBefore.Add(10 * time.Minute),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
	}
	if u, err := url.Parse(id.SAN); err == nil && u.Scheme != "" {
		tmpl.URIs = []*url.URL{u}
	} else {
		tmpl.EmailAddresses = []string{id.SAN}
	}
	tmpl.ExtraExtensions = s.extensions(id)
	if sct {
		// The SCT signs the precertificate's TBS; the final certificate is
		// the same TBS plus the SCT list (appended last, so removing it
		// gives the signed bytes back).
		pre := s.issue(tmpl, key)
		tmpl.ExtraExtensions = append(tmpl.ExtraExtensions, s.sctExtension(pre))
	}
	return s.issue(tmpl, key), key
}

func (s *Sigstore) issue(tmpl *x509.Certificate, key *ecdsa.PrivateKey) *x509.Certificate {
	der, err := x509.CreateCertificate(rand.Reader, tmpl, s.interCert, key.Public(), s.interKey)
	must(s.tb, err)
	c, err := x509.ParseCertificate(der)
	must(s.tb, err)
	return c
}

func (s *Sigstore) extensions(id Identity) []pkix.Extension {
	oid := func(n int) asn1.ObjectIdentifier { return asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, n} }
	var out []pkix.Extension
	raw := func(n int, v string) {
		if v != "" {
			out = append(out, pkix.Extension{Id: oid(n), Value: []byte(v)})
		}
	}
	der := func(n int, v string) {
		if v != "" {
			b, err := asn1.MarshalWithParams(v, "utf8")
			must(s.tb, err)
			out = append(out, pkix.Extension{Id: oid(n), Value: b})
		}
	}
	raw(1, id.Issuer)
	raw(2, id.GitHubWorkflowTrigger)
	raw(3, id.GitHubWorkflowSHA)
	raw(4, id.GitHubWorkflowName)
	raw(5, id.GitHubWorkflowRepository)
	raw(6, id.GitHubWorkflowRef)
	der(8, id.Issuer)
	der(9, id.BuildSignerURI)
	der(12, id.SourceRepositoryURI)
	der(14, id.SourceRepositoryRef)
	der(16, id.SourceRepositoryOwnerURI)
	return out
}

func (s *Sigstore) sctExtension(pre *x509.Certificate) pkix.Extension {
	var keyID [32]byte
	copy(keyID[:], logID(s.tb, s.ctKey.Public()))
	sct := ct.SignedCertificateTimestamp{SCTVersion: ct.V1, LogID: ct.LogID{KeyID: keyID}, Timestamp: uint64(pre.NotBefore.UnixMilli())}
	entry := ct.LogEntry{Leaf: ct.MerkleTreeLeaf{Version: ct.V1, LeafType: ct.TimestampedEntryLeafType,
		TimestampedEntry: &ct.TimestampedEntry{Timestamp: sct.Timestamp, EntryType: ct.PrecertLogEntryType,
			PrecertEntry: &ct.PreCert{IssuerKeyHash: sha256.Sum256(s.interCert.RawSubjectPublicKeyInfo), TBSCertificate: pre.RawTBSCertificate}}}}
	data, err := ct.SerializeSCTSignatureInput(sct, entry)
	must(s.tb, err)
	sct.Signature = ct.DigitallySigned{Algorithm: cttls.SignatureAndHashAlgorithm{Hash: cttls.SHA256, Signature: cttls.ECDSA}, Signature: s.sign(s.ctKey, data)}
	list, err := ctx509util.MarshalSCTsIntoSCTList([]*ct.SignedCertificateTimestamp{&sct})
	must(s.tb, err)
	tlsBytes, err := cttls.Marshal(*list)
	must(s.tb, err)
	val, err := asn1.Marshal(tlsBytes)
	must(s.tb, err)
	return pkix.Extension{Id: asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 11129, 2, 4, 2}, Value: val}
}

func (s *Sigstore) bundle(leaf *x509.Certificate, o Options) *protobundle.Bundle {
	mt, err := bundle.MediaTypeString(o.Version)
	must(s.tb, err)
	vm := &protobundle.VerificationMaterial{TimestampVerificationData: &protobundle.TimestampVerificationData{}}
	if o.Version == "v0.3" {
		vm.Content = &protobundle.VerificationMaterial_Certificate{Certificate: &protocommon.X509Certificate{RawBytes: leaf.Raw}}
	} else {
		vm.Content = &protobundle.VerificationMaterial_X509CertificateChain{X509CertificateChain: &protocommon.X509CertificateChain{
			Certificates: []*protocommon.X509Certificate{{RawBytes: leaf.Raw}, {RawBytes: s.interCert.Raw}}}}
	}
	return &protobundle.Bundle{MediaType: mt, VerificationMaterial: vm}
}

// addEntry logs artifact (the envelope JSON for dsse, the blob for
// hashedrekord) as a Rekor v1 entry with a SET and, unless o.NoProof, an
// inclusion proof with a signed checkpoint.
func (s *Sigstore) addEntry(b *protobundle.Bundle, kind string, artifact []byte, leaf *x509.Certificate, sig []byte, o Options) {
	ctx := context.Background()
	certPEM, err := cryptoutils.MarshalCertificateToPEM(leaf)
	must(s.tb, err)
	props := types.ArtifactProperties{PublicKeyBytes: [][]byte{certPEM}, PKIFormat: string(pki.X509), SignatureBytes: sig}
	version := dsseentry.New().DefaultVersion()
	if kind == hashedrekord.KIND {
		h := sha256.Sum256(artifact)
		props.ArtifactHash = hex.EncodeToString(h[:])
		version = hashedrekord.New().DefaultVersion()
	} else {
		props.ArtifactBytes = artifact
	}
	pe, err := types.NewProposedEntry(ctx, kind, version, props)
	must(s.tb, err)
	impl, err := types.CreateVersionedEntry(pe)
	must(s.tb, err)
	can, err := types.CanonicalizeEntry(ctx, impl)
	must(s.tb, err)
	// Round trip as rekor does, so the body is the log's canonical form.
	pe2, err := models.UnmarshalProposedEntry(bytes.NewReader(can), runtime.JSONConsumer())
	must(s.tb, err)
	impl2, err := types.UnmarshalEntry(pe2)
	must(s.tb, err)
	body, err := impl2.Canonicalize(ctx)
	must(s.tb, err)

	rekorID, err := s.vs.RekorLogID()
	must(s.tb, err)
	rawID, _ := hex.DecodeString(rekorID)
	s.logIndex++
	set, err := s.vs.RekorSignPayload(tlog.RekorPayload{LogID: rekorID, IntegratedTime: o.IntegratedAt.Unix(), LogIndex: s.logIndex,
		Body: base64.StdEncoding.EncodeToString(body)})
	must(s.tb, err)
	tle := &protorekor.TransparencyLogEntry{LogIndex: s.logIndex, LogId: &protocommon.LogId{KeyId: rawID},
		KindVersion:    &protorekor.KindVersion{Kind: kind, Version: version},
		IntegratedTime: o.IntegratedAt.Unix(), InclusionPromise: &protorekor.InclusionPromise{SignedEntryTimestamp: set},
		CanonicalizedBody: body}
	if !o.NoProof {
		p, err := s.vs.GetInclusionProof(body)
		must(s.tb, err)
		rootHash, _ := hex.DecodeString(*p.RootHash)
		var hashes [][]byte
		for _, h := range p.Hashes {
			d, _ := hex.DecodeString(h)
			hashes = append(hashes, d)
		}
		// VirtualSigstore proves a one-leaf tree: the proof's index is 0.
		tle.InclusionProof = &protorekor.InclusionProof{LogIndex: *p.LogIndex, RootHash: rootHash, TreeSize: *p.TreeSize,
			Hashes: hashes, Checkpoint: &protorekor.Checkpoint{Envelope: *p.Checkpoint}}
	}
	b.VerificationMaterial.TlogEntries = append(b.VerificationMaterial.TlogEntries, tle)
}

func (s *Sigstore) addTimestamp(b *protobundle.Bundle, sig []byte) {
	ts, err := s.vs.TimestampResponse(sig)
	must(s.tb, err)
	b.VerificationMaterial.TimestampVerificationData.Rfc3161Timestamps = append(b.VerificationMaterial.TimestampVerificationData.Rfc3161Timestamps,
		&protocommon.RFC3161SignedTimestamp{SignedTimestamp: ts})
}

func (s *Sigstore) marshal(b *protobundle.Bundle) []byte {
	out, err := protojson.Marshal(b)
	must(s.tb, err)
	return out
}

// Mutate decodes a bundle, applies f (the tampering) and encodes it again.
func Mutate(tb testing.TB, data []byte, f func(b *protobundle.Bundle)) []byte {
	tb.Helper()
	var b protobundle.Bundle
	must(tb, protojson.Unmarshal(data, &b))
	f(&b)
	out, err := protojson.Marshal(&b)
	must(tb, err)
	return out
}

// Provenance is an in-toto statement of SLSA v1 provenance about one
// subject (name, sha256 hex) in the GitHub Actions build type's shape: the
// workflow of repo (owner/repo) at path and ref, run by builderID.
func Provenance(tb testing.TB, name, sha256Hex, builderID, repo, path, ref string) []byte {
	tb.Helper()
	st := map[string]any{
		"_type":         "https://in-toto.io/Statement/v1",
		"subject":       []any{map[string]any{"name": name, "digest": map[string]string{"sha256": sha256Hex}}},
		"predicateType": "https://slsa.dev/provenance/v1",
		"predicate": map[string]any{
			"buildDefinition": map[string]any{
				"buildType": "https://actions.github.io/buildtypes/workflow/v1",
				"externalParameters": map[string]any{"workflow": map[string]any{
					"ref": ref, "repository": "https://github.com/" + repo, "path": path}},
			},
			"runDetails": map[string]any{"builder": map[string]any{"id": builderID}},
		},
	}
	b, err := json.Marshal(st)
	must(tb, err)
	return b
}
