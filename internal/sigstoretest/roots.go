package sigstoretest

import (
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"time"

	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
)

// TrustedRoot is the trusted_root.json trusting this instance: its CA, CT
// log, the Rekor v1 and v2 logs and the TSA, and the extra authorities.
func (s *Sigstore) TrustedRoot(extra ...*TSA) []byte {
	s.tb.Helper()
	return s.TrustedRootWith(RootOptions{}, extra...)
}

// RootOptions set the validFor windows of a trusted root (the conformance
// suite's trust-root validity cases). Zero values keep the defaults: every
// start 5 hours ago, no end.
type RootOptions struct {
	CAStart, CAEnd     time.Time // the Fulcio CA
	TlogStart, TlogEnd time.Time // the Rekor v1 and v2 log keys
	TSAStart, TSAEnd   time.Time // the timestamp authority
	CTStart, CTEnd     time.Time // the CT log key
	// NoTlogStart drops the Rekor log keys' validFor.start (a malformed
	// root: the start is required).
	NoTlogStart bool
}

// TrustedRootWith is TrustedRoot with the validity windows of o.
func (s *Sigstore) TrustedRootWith(o RootOptions, extra ...*TSA) []byte {
	s.tb.Helper()
	start := func(t time.Time) time.Time {
		if t.IsZero() {
			return s.created.Add(-5 * time.Hour)
		}
		return t
	}
	fulcio := &root.FulcioCertificateAuthority{Root: s.rootCert, Intermediates: []*x509.Certificate{s.interCert},
		ValidityPeriodStart: start(o.CAStart), ValidityPeriodEnd: o.CAEnd, URI: "https://fulcio.sigstoretest.invalid"}
	ctID := logID(s.tb, s.ctKey.Public())
	ctlogs := map[string]*root.TransparencyLog{hex.EncodeToString(ctID): {
		BaseURL: "https://ctlog.sigstoretest.invalid", ID: ctID, HashFunc: crypto.SHA256, PublicKey: s.ctKey.Public(),
		SignatureHashFunc: crypto.SHA256, ValidityPeriodStart: start(o.CTStart), ValidityPeriodEnd: o.CTEnd}}
	rekor := s.rekorLogs()
	for _, l := range rekor {
		l.ValidityPeriodStart, l.ValidityPeriodEnd = start(o.TlogStart), o.TlogEnd
	}
	var tsas []root.TimestampingAuthority
	for _, t := range s.vs.TimestampingAuthorities() {
		c := *t.(*root.SigstoreTimestampingAuthority)
		c.ValidityPeriodStart, c.ValidityPeriodEnd = start(o.TSAStart), o.TSAEnd
		tsas = append(tsas, &c)
	}
	for _, t := range extra {
		tsas = append(tsas, t.authority())
	}
	out := s.marshalTrustedRoot([]root.CertificateAuthority{fulcio}, ctlogs, tsas, rekor)
	if o.NoTlogStart {
		var m map[string]any
		must(s.tb, json.Unmarshal(out, &m))
		for _, l := range m["tlogs"].([]any) {
			delete(l.(map[string]any)["publicKey"].(map[string]any)["validFor"].(map[string]any), "start")
		}
		var err error
		out, err = json.Marshal(m)
		must(s.tb, err)
	}
	return out
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

func (s *Sigstore) marshalRoot(cas []root.CertificateAuthority, ctlogs map[string]*root.TransparencyLog) []byte {
	rekor := s.rekorLogs()
	for _, l := range rekor {
		l.ValidityPeriodStart = s.created.Add(-5 * time.Hour)
	}
	return s.marshalTrustedRoot(cas, ctlogs, s.vs.TimestampingAuthorities(), rekor)
}

// rekorLogs are VirtualSigstore's Rekor v1 log and this instance's Rekor v2
// log, keyed by hex log id, with raw log ids (as the trusted root records
// them) and no validity window.
func (s *Sigstore) rekorLogs() map[string]*root.TransparencyLog {
	rekor := s.vs.RekorLogs()
	for _, l := range rekor {
		raw, err := hex.DecodeString(string(l.ID))
		must(s.tb, err)
		l.ID = raw
		l.ValidityPeriodStart, l.ValidityPeriodEnd = time.Time{}, time.Time{}
	}
	id := logID(s.tb, s.v2Key.Public())
	rekor[hex.EncodeToString(id)] = &root.TransparencyLog{BaseURL: "https://" + RekorV2Origin, ID: id, HashFunc: crypto.SHA256,
		PublicKey: s.v2Key.Public(), SignatureHashFunc: crypto.SHA256}
	return rekor
}

func (s *Sigstore) marshalTrustedRoot(cas []root.CertificateAuthority, ctlogs map[string]*root.TransparencyLog, tsas []root.TimestampingAuthority, rekor map[string]*root.TransparencyLog) []byte {
	tr, err := root.NewTrustedRoot(root.TrustedRootMediaType01, cas, ctlogs, tsas, rekor)
	must(s.tb, err)
	out, err := tr.MarshalJSON()
	must(s.tb, err)
	return out
}

func logID(tb TB, pub crypto.PublicKey) []byte {
	der, err := x509.MarshalPKIXPublicKey(pub)
	must(tb, err)
	h := sha256.Sum256(der)
	return h[:]
}
