package engineconfig

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"os"
	"time"
)

// This file is the one place in pinline that builds a *tls.Config. Both
// sides require TLS 1.2 or newer; the server requires and verifies client
// certificates against the configured client CAs.

// ALPN protocols. The pinline gateway answers ALPNGateway and then speaks
// the preface; a Dagger engine's own TLS listener (v0.19.10: a plain
// tls.NewListener) negotiates no protocol, and an engine that advertises
// one answers ALPNH2. Both of those get a plain TLS tunnel carrying the
// engine's HTTP/2 stream.
const (
	ALPNGateway = "pinline-gateway/1"
	ALPNH2      = "h2"
)

// ServerTLSConfig returns the gateway's TLS configuration: its certificate,
// client certificates required and verified against clientCAs, ALPN
// ALPNGateway (a client offering only other protocols fails the
// handshake; one offering none is accepted).
func ServerTLSConfig(cert tls.Certificate, clientCAs *x509.CertPool) *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS12,
		NextProtos:   []string{ALPNGateway},
		Certificates: []tls.Certificate{cert},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    clientCAs,
	}
}

// ClientTLSConfig returns a client TLS configuration presenting cert and
// verifying the server against roots and serverName. It offers ALPN
// ALPNGateway and ALPNH2: the server's answer tells a pinline gateway from
// an engine's own TLS listener.
func ClientTLSConfig(roots *x509.CertPool, cert tls.Certificate, serverName string) *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS12,
		NextProtos:   []string{ALPNGateway, ALPNH2},
		RootCAs:      roots,
		Certificates: []tls.Certificate{cert},
		ServerName:   serverName,
	}
}

// LoadCAPool reads one or more PEM files of CA certificates. field names the
// configuration key in errors. A file without any certificate is an error.
func LoadCAPool(field string, paths ...string) (*x509.CertPool, error) {
	if len(paths) == 0 {
		return nil, invalidf("%s: no CA file given", field)
	}
	pool := x509.NewCertPool()
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, invalidf("%s: unreadable CA file: %v", field, err)
		}
		certs, err := parseCerts(data)
		if err != nil {
			return nil, invalidf("%s: %s: %v", field, p, err)
		}
		if len(certs) == 0 {
			return nil, invalidf("%s: %s: contains no PEM certificate", field, p)
		}
		for _, c := range certs {
			pool.AddCert(c)
		}
	}
	return pool, nil
}

// LoadKeyPair reads a PEM certificate and its key and checks that the leaf
// certificate is valid at now. field names the configuration key in errors.
func LoadKeyPair(field, certPath, keyPath string, now time.Time) (tls.Certificate, error) {
	if certPath == "" {
		return tls.Certificate{}, invalidf("%s.cert: missing", field)
	}
	if keyPath == "" {
		return tls.Certificate{}, invalidf("%s.key: missing key for certificate %q", field, certPath)
	}
	certPEM, err := os.ReadFile(certPath)
	if err != nil {
		return tls.Certificate{}, invalidf("%s.cert: unreadable: %v", field, err)
	}
	keyPEM, err := os.ReadFile(keyPath)
	if err != nil {
		return tls.Certificate{}, invalidf("%s.key: unreadable: %v", field, err)
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return tls.Certificate{}, invalidf("%s: %s / %s: %v", field, certPath, keyPath, err)
	}
	leaf := pair.Leaf
	if leaf == nil {
		if leaf, err = x509.ParseCertificate(pair.Certificate[0]); err != nil {
			return tls.Certificate{}, invalidf("%s.cert: %s: %v", field, certPath, err)
		}
		pair.Leaf = leaf
	}
	if now.After(leaf.NotAfter) {
		return tls.Certificate{}, invalidf("%s.cert: %s: certificate expired at %s", field, certPath, leaf.NotAfter.UTC().Format(time.RFC3339))
	}
	if now.Before(leaf.NotBefore) {
		return tls.Certificate{}, invalidf("%s.cert: %s: certificate not valid before %s", field, certPath, leaf.NotBefore.UTC().Format(time.RFC3339))
	}
	return pair, nil
}

func parseCerts(data []byte) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			return out, nil
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parse certificate: %w", err)
		}
		out = append(out, c)
	}
}

func fingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:])
}
