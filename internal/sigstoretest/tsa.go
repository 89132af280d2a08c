package sigstoretest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/digitorus/timestamp"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/testing/ca"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
)

// TSA is an RFC 3161 timestamp authority over HTTP on 127.0.0.1 (a
// minimal responder built on digitorus/timestamp, the library sigstore's
// timestamp-authority uses).
type TSA struct {
	URL      string
	Requests atomic.Int64
	root     *x509.Certificate
	inter    *x509.Certificate
	leaf     *x509.Certificate
	key      *ecdsa.PrivateKey
}

// NewTSA starts an authority for the test's lifetime.
func NewTSA(tb testing.TB) *TSA {
	tb.Helper()
	return NewTSAAt(tb, time.Now().Add(-time.Minute))
}

// NewTSAAt is NewTSA with a timestamping certificate valid for 10 minutes
// from notBefore (expired-chain cases).
func NewTSAAt(tb testing.TB, notBefore time.Time) *TSA {
	tb.Helper()
	rootCert, rootKey, err := ca.GenerateRootCa()
	must(tb, err)
	// ca's TSA intermediate is valid from 2 minutes ago only: this one
	// covers notBefore by an hour on both sides.
	interKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(tb, err)
	der, err := x509.CreateCertificate(rand.Reader, &x509.Certificate{SerialNumber: big.NewInt(3),
		Subject: pkix.Name{CommonName: "sigstoretest-tsa-intermediate"}, NotBefore: notBefore.Add(-time.Hour), NotAfter: notBefore.Add(time.Hour),
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageTimeStamping},
		BasicConstraintsValid: true, IsCA: true}, rootCert, interKey.Public(), rootKey)
	must(tb, err)
	inter, err := x509.ParseCertificate(der)
	must(tb, err)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(tb, err)
	// ca's TSA leaf is valid for 10 minutes from the given time.
	leaf, err := ca.GenerateTSALeafCert(notBefore, key, inter, interKey)
	must(tb, err)
	t := &TSA{root: rootCert, inter: inter, leaf: leaf, key: key}
	srv := httptest.NewServer(http.HandlerFunc(t.serve))
	tb.Cleanup(srv.Close)
	t.URL = srv.URL
	return t
}

func (t *TSA) serve(w http.ResponseWriter, r *http.Request) {
	t.Requests.Add(1)
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<16))
	if err != nil || r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/timestamp-query" {
		http.Error(w, "want POST application/timestamp-query", http.StatusBadRequest)
		return
	}
	req, err := timestamp.ParseRequest(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	ts := timestamp.Timestamp{HashAlgorithm: req.HashAlgorithm, HashedMessage: req.HashedMessage, Time: time.Now(),
		Nonce: req.Nonce, Policy: asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 2}, AddTSACertificate: req.Certificates,
		ExtraExtensions: req.Extensions}
	resp, err := ts.CreateResponseWithOpts(t.leaf, t.key, crypto.SHA256)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/timestamp-reply")
	_, _ = w.Write(resp)
}

// NotAfter is when the authority's timestamping certificate expires.
func (t *TSA) NotAfter() time.Time { return t.leaf.NotAfter }

// Stamp is the authority's response over SHA-256(sig) dated at (now
// when zero), without the HTTP round trip.
func (t *TSA) Stamp(sig []byte, at time.Time) ([]byte, error) {
	if at.IsZero() {
		at = time.Now()
	}
	h := sha256.Sum256(sig)
	ts := timestamp.Timestamp{HashAlgorithm: crypto.SHA256, HashedMessage: h[:], Time: at,
		Policy: asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 2}, AddTSACertificate: true}
	return ts.CreateResponseWithOpts(t.leaf, t.key, crypto.SHA256)
}

// Chain is the authority's chain as PEM, leaf first and root last (cosign's
// --timestamp-certificate-chain).
func (t *TSA) Chain(tb testing.TB) []byte {
	var out []byte
	for _, c := range []*x509.Certificate{t.leaf, t.inter, t.root} {
		p, err := cryptoutils.MarshalCertificateToPEM(c)
		must(tb, err)
		out = append(out, p...)
	}
	return out
}

// authority is the authority as trusted-root material.
func (t *TSA) authority() root.TimestampingAuthority {
	return &root.SigstoreTimestampingAuthority{Root: t.root, Intermediates: []*x509.Certificate{t.inter}, Leaf: t.leaf,
		URI: t.URL, ValidityPeriodStart: t.leaf.NotBefore.Add(-time.Hour)}
}
