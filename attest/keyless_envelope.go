package attest

import (
	"encoding/asn1"
	"errors"
	"time"

	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"
	"github.com/sigstore/sigstore-go/pkg/verify"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
)

// ErrNoSigningTime is keyless evidence that verifies in every other
// respect but carries nothing that dates its signature: no transparency
// log entry and no RFC 3161 timestamp (class ErrVerificationFailed). A
// Fulcio certificate is valid for minutes, so without a verified signing
// time anyone who ever held its key could have signed (slsa-github-generator
// v1's .intoto.jsonl: its log entry lives online only).
var ErrNoSigningTime = errors.New("no verified signing time")

// verifyCertEnvelope checks an envelope that carries its certificate beside
// the signature (slsa-github-generator v1 .intoto.jsonl) with what can be
// checked offline, through sigstore-go: the chain to a Fulcio CA of the
// trusted root at the certificate's own issuance time, its SCT, the DSSE
// signature with the certificate's key and the identity. Each failure has
// its reason (ErrCertificate, ErrCertificateIdentity). Such an envelope has
// no log entry and no timestamp, so even when all of that holds it ends in
// ErrNoSigningTime: the transparency log entry is required (and
// --insecure-ignore-tlog needs an RFC 3161 timestamp instead, which the
// format cannot carry). It fails closed.
func (k *Keyless) verifyCertEnvelope(e *envelopeEntity) error {
	leaf := e.cert.Certificate()
	sum, err := certificate.SummarizeCertificate(leaf)
	if err != nil {
		return failed(ErrCertificate, "certificate: %v", err)
	}
	// As sigstore-go's Verify: Go cannot parse Fulcio's OtherName SAN, which
	// SummarizeCertificate has read.
	leaf.UnhandledCriticalExtensions = deleteOID(leaf.UnhandledCriticalExtensions, cryptoutils.SANOID)
	chains, err := verify.VerifyLeafCertificate(leaf.NotBefore, leaf, k.trusted)
	if err != nil {
		return failed(ErrCertificate, "the envelope's certificate does not chain to a certificate authority of the trusted root: %v", err)
	}
	if k.sctCheck {
		if err := verify.VerifySignedCertificateTimestamp(chains, 1, k.trusted); err != nil {
			return failed(ErrCertificate, "the envelope's certificate: %v", err)
		}
	}
	if err := verify.VerifySignature(e.env, e.cert, k.trusted); err != nil {
		return failed(ErrCertificate, "the envelope's signature does not verify with its certificate: %v", err)
	}
	if err := k.identity.Verify(sum); err != nil {
		return failed(ErrCertificateIdentity, "%v", err)
	}
	if err := k.wantID.checkShortcuts(&sum); err != nil {
		return err
	}
	return failed(ErrNoSigningTime, "the envelope is signed by %s with a certificate valid %s to %s, but carries no transparency log entry or RFC 3161 timestamp, so nothing dates the signature inside that window "+
		"(slsa-github-generator v1 .intoto.jsonl: its log entry is online only, and pinline fetches nothing; verify the sigstore bundle of the same provenance instead)",
		sum.SubjectAlternativeName, leaf.NotBefore.UTC().Format(time.RFC3339), leaf.NotAfter.UTC().Format(time.RFC3339))
}

func deleteOID(oids []asn1.ObjectIdentifier, oid asn1.ObjectIdentifier) []asn1.ObjectIdentifier {
	out := oids[:0:0]
	for _, o := range oids {
		if !o.Equal(oid) {
			out = append(out, o)
		}
	}
	return out
}
