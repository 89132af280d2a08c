package sigstoretest

import (
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"testing"
	"time"

	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
)

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
