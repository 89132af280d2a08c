package attest

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"
	sgbundle "github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/tlog"
	"github.com/sigstore/sigstore-go/pkg/verify"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
)

// keyless reports whether a is certificate-signed evidence.
func (a *Attestation) keyless() bool {
	if a.Bundle != nil {
		return a.Bundle.Certificate
	}
	for _, s := range a.Envelope.Signatures {
		if s.Cert != "" {
			return true
		}
	}
	return false
}

// maxClockSkew is how far in the future a verified signing time may be.
const maxClockSkew = 5 * time.Minute

// errNeedKeyless is keyless evidence without keyless configuration.
func errNeedKeyless() error {
	return fmt.Errorf("%w: %w: keyless bundle (signed with a certificate): pass --trusted-root and --certificate-identity (a certificate as --key checks no chain, log entry or signing time)", ErrBadInput, ErrKeyless)
}

// signedEntity is what sigstore-go verifies: the bundle itself, or an
// envelope with the certificate beside its signature (no log entries, no
// timestamps: verification then fails unless they are not required).
func (a *Attestation) signedEntity() (verify.SignedEntity, error) {
	if a.Bundle != nil {
		return newBundleEntity(a.Bundle), nil
	}
	env := a.Envelope
	if len(env.Signatures) != 1 {
		return nil, failed(ErrCertificate, "a certificate-signed envelope must carry exactly one signature, got %d", len(env.Signatures))
	}
	certs, err := cryptoutils.UnmarshalCertificatesFromPEM([]byte(env.Signatures[0].Cert))
	if err != nil || len(certs) == 0 {
		return nil, badInput(ErrMalformedEnvelope, "signature 0: cert is not a PEM certificate (%v)", err)
	}
	de := &dsse.Envelope{PayloadType: env.PayloadType, Payload: base64.StdEncoding.EncodeToString(env.Payload),
		Signatures: []dsse.Signature{{KeyID: env.Signatures[0].KeyID, Sig: base64.StdEncoding.EncodeToString(env.Signatures[0].Sig)}}}
	return &envelopeEntity{cert: sgbundle.NewCertificate(certs[0]), env: &sgbundle.Envelope{Envelope: de}}, nil
}

// bundleEntity is a parsed bundle whose log entries were decoded once at
// parse time (parseSigstoreBundle) and whose verification and signature
// content are decoded once per verification (sigstore-go's Bundle decodes
// them on every call, several times per Verify).
type bundleEntity struct {
	*sgbundle.Bundle
	entries []*tlog.Entry
	vc      verify.VerificationContent
	vcErr   error
	sc      verify.SignatureContent
	scErr   error
	vcOnce  bool
	scOnce  bool
}

func newBundleEntity(info *BundleInfo) *bundleEntity {
	return &bundleEntity{Bundle: info.sg, entries: info.entries}
}

func (b *bundleEntity) TlogEntries() ([]*tlog.Entry, error) { return b.entries, nil }

func (b *bundleEntity) HasInclusionPromise() bool {
	return slices.ContainsFunc(b.entries, (*tlog.Entry).HasInclusionPromise)
}

func (b *bundleEntity) HasInclusionProof() bool {
	return slices.ContainsFunc(b.entries, (*tlog.Entry).HasInclusionProof)
}

func (b *bundleEntity) VerificationContent() (verify.VerificationContent, error) {
	if !b.vcOnce {
		b.vcOnce = true
		b.vc, b.vcErr = b.Bundle.VerificationContent()
	}
	return b.vc, b.vcErr
}

func (b *bundleEntity) SignatureContent() (verify.SignatureContent, error) {
	if !b.scOnce {
		b.scOnce = true
		b.sc, b.scErr = b.Bundle.SignatureContent()
	}
	return b.sc, b.scErr
}

// checkBundleChain rejects a v0.1/v0.2 certificate chain that carries a
// root (self-issued) certificate: the bundle spec says the chain MUST NOT
// contain the root, which only the trusted root supplies (the conformance
// suite's bundle-with-root-cert_fail; sigstore-go accepts it when the root
// is the trusted one, so pinline checks it first).
func checkBundleChain(b *BundleInfo) error {
	chain := b.sg.GetVerificationMaterial().GetX509CertificateChain().GetCertificates()
	for i, c := range chain {
		if i == 0 {
			continue // the leaf
		}
		cert, err := x509.ParseCertificate(c.GetRawBytes())
		if err != nil {
			return failed(ErrCertificate, "certificate %d of the bundle's chain: %v", i, err)
		}
		if bytes.Equal(cert.RawSubject, cert.RawIssuer) {
			return failed(ErrCertificate, "the bundle's certificate chain carries a root certificate (%s): only the trusted root may supply it", cert.Subject)
		}
	}
	return nil
}

// oneEntry is a signed entity with only one of its log entries.
type oneEntry struct {
	verify.SignedEntity
	entry *tlog.Entry
}

func (o *oneEntry) TlogEntries() ([]*tlog.Entry, error) { return []*tlog.Entry{o.entry}, nil }

// envelopeEntity is a bare envelope with a signing certificate.
type envelopeEntity struct {
	verify.BaseSignedEntity
	cert *sgbundle.Certificate
	env  *sgbundle.Envelope
}

func (e *envelopeEntity) VerificationContent() (verify.VerificationContent, error) {
	return e.cert, nil
}
func (e *envelopeEntity) SignatureContent() (verify.SignatureContent, error) { return e.env, nil }
func (e *envelopeEntity) Version() (string, error)                           { return "v0.3", nil }
func (e *envelopeEntity) TlogEntries() ([]*tlog.Entry, error)                { return nil, nil }
func (e *envelopeEntity) Timestamps() ([][]byte, error)                      { return nil, nil }

// verifyKeyless checks a through sigstore-go and the identity, and records
// the verified facts in r. digests, for a message signature, are the
// artifacts' sha256 digests to try (the signed blob must be one of them);
// it returns the matching one ("" for envelopes).
func (k *Keyless) verifyKeyless(a *Attestation, r *Result, digests []string) (string, error) {
	ent, err := a.signedEntity()
	if err != nil {
		return "", err
	}
	if e, ok := ent.(*envelopeEntity); ok {
		return "", k.verifyCertEnvelope(e)
	}
	if err := checkBundleChain(a.Bundle); err != nil {
		return "", err
	}
	var res *verify.VerificationResult
	matched := ""
	if a.Bundle != nil && a.Bundle.MessageSignature {
		var lastErr error
		for _, d := range digests {
			raw, _ := hex.DecodeString(d)
			res, lastErr = k.verifier.Verify(ent, verify.NewPolicy(verify.WithArtifactDigest("sha256", raw), verify.WithoutIdentitiesUnsafe()))
			if lastErr == nil {
				matched = d
				break
			}
		}
		if matched == "" {
			if lastErr == nil {
				lastErr = errors.New("no artifact digest to check the blob signature against")
			}
			return "", failed(ErrCertificate, "%v", lastErr)
		}
	} else {
		res, err = k.verifier.Verify(ent, verify.NewPolicy(verify.WithoutArtifactUnsafe(), verify.WithoutIdentitiesUnsafe()))
		if err != nil {
			return "", failed(ErrCertificate, "%v", err)
		}
	}
	if res.Signature == nil || res.Signature.Certificate == nil {
		return "", failed(ErrCertificate, "no certificate was verified")
	}
	// sigstore-go needs one verified signing time and skips timestamps
	// that do not verify (or repeat an authority); pinline requires every
	// timestamp to verify. When sigstore-go verified as many as the bundle
	// has, that holds; otherwise they are checked again for the reason.
	if a.Bundle != nil && a.Bundle.Timestamps > 0 && countTSA(res.VerifiedTimestamps) != a.Bundle.Timestamps {
		if _, err := verifyTimestamps(a, k.trusted); err != nil {
			return "", err
		}
		return "", failed(ErrTimestamp, "%d of %d RFC 3161 timestamps verified", countTSA(res.VerifiedTimestamps), a.Bundle.Timestamps)
	}
	// A signing time in the future (beyond clock skew) is one no honest
	// log or authority signed: sigstore-go accepts it, pinline does not.
	for _, ts := range res.VerifiedTimestamps {
		if ts.Timestamp.After(time.Now().Add(maxClockSkew)) {
			return "", failed(ErrCertificate, "%s time %s is in the future", ts.Type, ts.Timestamp.UTC().Format(time.RFC3339))
		}
	}
	sum := res.Signature.Certificate
	r.Certificate = &Certificate{SubjectAlternativeName: sum.SubjectAlternativeName, Extensions: sum.Extensions}
	for _, ts := range res.VerifiedTimestamps {
		r.Timestamps = append(r.Timestamps, Timestamp{Type: ts.Type, URI: ts.URI, Time: ts.Timestamp.UTC()})
	}
	if !k.IgnoreTlog {
		// Verify met the log threshold: with one entry, that entry
		// verified. sigstore-go skips entries it cannot verify, so with
		// several each is checked on its own and only verified ones are
		// listed (they are facts for the deploy policy).
		entries, _ := ent.TlogEntries()
		for _, e := range entries {
			if len(entries) > 1 {
				if _, err := verify.VerifyTlogEntry(&oneEntry{SignedEntity: ent, entry: e}, k.trusted, 1, true); err != nil {
					continue
				}
			}
			le := LogEntry{Verified: true, LogIndex: e.LogIndex(), LogID: e.LogKeyID(), RekorV2: e.IsRekorV2(),
				Kind: e.TransparencyLogEntry().GetKindVersion().GetKind()}
			if e.HasInclusionPromise() {
				le.IntegratedTime = e.IntegratedTime().UTC()
			}
			r.LogEntries = append(r.LogEntries, le)
		}
	}
	if err := k.identity.Verify(*sum); err != nil {
		return "", failed(ErrCertificateIdentity, "%v", err)
	}
	if err := k.wantID.checkShortcuts(sum); err != nil {
		return "", err
	}
	return matched, nil
}

// countTSA counts the verified RFC 3161 timestamps among ts.
func countTSA(ts []verify.TimestampVerificationResult) int {
	n := 0
	for _, t := range ts {
		if t.Type == "TimestampAuthority" {
			n++
		}
	}
	return n
}

// signerName is the key column of a keyless result.
func (c *Certificate) signerName() string {
	return c.SubjectAlternativeName + " (" + c.Issuer + ")"
}

// verifyBlob finishes a message-signature bundle (a blob signature): the
// caller asked for blobs, the signed digest is one of the artifacts, and
// the certificate meets the constraints.
func (o *VerifyOptions) verifyBlob(ctx context.Context, a *Attestation, r *Result, blob string) error {
	if o.PredicateType != TypeBlob {
		want := o.PredicateType
		if want == "" {
			want = PredicateSLSAProvenanceV1
		}
		return r.fail("predicateType", failed(ErrPredicateType, "the bundle signs a blob (message signature), not an attestation of %q; pass --type blob to verify blob signatures", want))
	}
	r.PredicateType = TypeBlob
	r.pass("predicateType", "blob (message signature)")
	if err := o.checkSubjects(r, []map[string]string{{"sha256": blob}}); err != nil {
		return err
	}
	if err := o.checkConstraints(nil, r); err != nil {
		return err
	}
	return o.evalPolicy(ctx, a, r)
}

// describeTimes is the signingTime check's detail.
func describeTimes(ts []Timestamp) string {
	parts := make([]string, 0, len(ts))
	for _, t := range ts {
		parts = append(parts, t.Type+" "+t.Time.Format(time.RFC3339))
	}
	return "certificate valid at " + strings.Join(parts, ", ")
}

// verifyTimestamps checks every RFC 3161 timestamp of a's bundle over its
// signature against the trusted authorities.
func verifyTimestamps(a *Attestation, tm root.TrustedMaterial) ([]Timestamp, error) {
	ts, errs, err := verify.VerifySignedTimestamp(newBundleEntity(a.Bundle), tm)
	if err == nil && len(errs) > 0 {
		err = errors.Join(errs...)
	}
	if err != nil {
		return nil, failed(ErrTimestamp, "%v", err)
	}
	out := make([]Timestamp, 0, len(ts))
	for _, t := range ts {
		out = append(out, Timestamp{Type: "TimestampAuthority", URI: t.URI, Time: t.Time.UTC()})
	}
	return out, nil
}
