package sigstoretest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"math/big"
	"net/url"
	"time"

	ct "github.com/google/certificate-transparency-go"
	cttls "github.com/google/certificate-transparency-go/tls"
	ctx509util "github.com/google/certificate-transparency-go/x509util"
)

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

// CA is the Fulcio-like CA's root and intermediate certificates.
func (s *Sigstore) CA() (rootCert, intermediate *x509.Certificate) { return s.rootCert, s.interCert }
