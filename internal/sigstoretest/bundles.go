package sigstoretest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"time"

	"github.com/digitorus/timestamp"
	"github.com/go-openapi/runtime"
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
	"github.com/sigstore/rekor/pkg/types/intoto"
	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/tlog"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"google.golang.org/protobuf/encoding/protojson"

	// Registers the rekor entry kinds the log writes.
	_ "github.com/sigstore/rekor/pkg/types/dsse/v0.0.1"
	_ "github.com/sigstore/rekor/pkg/types/hashedrekord/v0.0.1"
	_ "github.com/sigstore/rekor/pkg/types/intoto/v0.0.2"
)

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
		kind := dsseentry.KIND
		if o.Intoto {
			kind = intoto.KIND
		}
		s.addEntry(b, kind, envJSON, leaf, sig, o)
	}
	if o.TSA {
		s.addTimestamp(b, sig, o)
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
		s.addTimestamp(b, sig, o)
	}
	return s.marshal(b)
}

// Envelope signs payload as id and returns the DSSE envelope with the
// certificate beside the signature (slsa-github-generator v1's
// .intoto.jsonl form) and no log entry. o.SignedAt and o.NoSCT apply.
func (s *Sigstore) Envelope(id Identity, payload []byte, o Options) []byte {
	s.tb.Helper()
	o.defaults()
	leaf, key := s.leaf(id, o.SignedAt, !o.NoSCT)
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
	if kind == intoto.KIND {
		version = "0.0.2"
	}
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

func (s *Sigstore) addTimestamp(b *protobundle.Bundle, sig []byte, o Options) {
	var ts []byte
	var err error
	if o.TSAuthority != nil {
		ts, err = o.TSAuthority.Stamp(sig, o.TimestampAt)
	} else {
		ts, err = s.vs.TimestampResponse(sig)
	}
	must(s.tb, err)
	b.VerificationMaterial.TimestampVerificationData.Rfc3161Timestamps = append(b.VerificationMaterial.TimestampVerificationData.Rfc3161Timestamps,
		&protocommon.RFC3161SignedTimestamp{SignedTimestamp: ts})
}

func (s *Sigstore) marshal(b *protobundle.Bundle) []byte {
	out, err := protojson.Marshal(b)
	must(s.tb, err)
	return out
}

// TimestampTime is the time of a bundle's first RFC 3161 timestamp (for
// trusted-root validity windows that end exactly there).
func TimestampTime(tb TB, bundle []byte) time.Time {
	tb.Helper()
	var t time.Time
	Mutate(tb, bundle, func(b *protobundle.Bundle) {
		ts, err := timestamp.ParseResponse(b.VerificationMaterial.TimestampVerificationData.Rfc3161Timestamps[0].SignedTimestamp)
		must(tb, err)
		t = ts.Time
	})
	return t
}
