package engineconfig

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"time"
)

// CA is a development certificate authority (ECDSA P-256). It is for
// development and tests; production deployments bring their own PKI.
type CA struct {
	Cert *x509.Certificate
	key  *ecdsa.PrivateKey
	PEM  []byte
}

// CertSpec describes a certificate to issue.
type CertSpec struct {
	CN   string
	O    []string
	OU   []string
	DNS  []string
	IPs  []net.IP
	URIs []string // e.g. spiffe://example.org/ci/main
	// Server issues a serverAuth certificate, otherwise clientAuth.
	Server    bool
	NotBefore time.Time
	NotAfter  time.Time
}

// NewCA creates a self-signed CA valid from now for validity.
func NewCA(cn string, now time.Time, validity time.Duration) (*CA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate CA key: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: cn, Organization: []string{"pinline development CA"}},
		NotBefore:             now.Add(-time.Minute),
		NotAfter:              now.Add(validity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("create CA certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &CA{Cert: cert, key: key, PEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}, nil
}

// Issue signs a certificate for spec and returns PEM certificate and key.
func (ca *CA) Issue(spec CertSpec) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("generate key: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: spec.CN, Organization: spec.O, OrganizationalUnit: spec.OU},
		NotBefore:    spec.NotBefore,
		NotAfter:     spec.NotAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		DNSNames:     spec.DNS,
		IPAddresses:  spec.IPs,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	if spec.Server {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	}
	for _, s := range spec.URIs {
		u, err := url.Parse(s)
		if err != nil || u.Scheme == "" {
			return nil, nil, invalidf("uri SAN %q: not an absolute URI", s)
		}
		tmpl.URIs = append(tmpl.URIs, u)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, &key.PublicKey, ca.key)
	if err != nil {
		return nil, nil, fmt.Errorf("sign certificate: %w", err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), nil
}

// KeyPEM returns the CA's private key in PEM.
func (ca *CA) KeyPEM() ([]byte, error) {
	der, err := x509.MarshalECPrivateKey(ca.key)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), nil
}

// DevClient is a client certificate to create with WriteDevCerts.
type DevClient struct {
	Name string // file base name: <name>.crt, <name>.key
	Spec CertSpec
}

// WriteDevCerts writes a development CA (ca.crt, ca.key), a gateway server
// certificate for 127.0.0.1 and localhost plus extra hosts (gateway.crt,
// gateway.key) and the given client certificates into dir. Keys are 0600.
// It returns the files written.
func WriteDevCerts(dir string, hosts []string, clients []DevClient, now time.Time, validity time.Duration) ([]string, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fileErr(fmt.Errorf("create %s: %w", dir, err))
	}
	ca, err := NewCA("pinline dev CA", now, validity)
	if err != nil {
		return nil, err
	}
	caKey, err := ca.KeyPEM()
	if err != nil {
		return nil, err
	}
	var files []string
	write := func(name string, data []byte, mode os.FileMode) error {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, mode); err != nil {
			return fileErr(fmt.Errorf("write %s: %w", p, err))
		}
		files = append(files, p)
		return nil
	}
	if err := write("ca.crt", ca.PEM, 0o644); err != nil {
		return nil, err
	}
	if err := write("ca.key", caKey, 0o600); err != nil {
		return nil, err
	}
	srv := CertSpec{CN: "pinline gateway", Server: true, NotBefore: now.Add(-time.Minute), NotAfter: now.Add(validity),
		DNS: []string{"localhost"}, IPs: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			srv.IPs = append(srv.IPs, ip)
		} else {
			srv.DNS = append(srv.DNS, h)
		}
	}
	all := append([]DevClient{{Name: "gateway", Spec: srv}}, clients...)
	for _, c := range all {
		if !logicalName.MatchString(c.Name) {
			return nil, invalidf("certificate name %q must match %s", c.Name, logicalName)
		}
		s := c.Spec
		if s.NotBefore.IsZero() {
			s.NotBefore = now.Add(-time.Minute)
		}
		if s.NotAfter.IsZero() {
			s.NotAfter = now.Add(validity)
		}
		crt, key, err := ca.Issue(s)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.Name, err)
		}
		if err := write(c.Name+".crt", crt, 0o644); err != nil {
			return nil, err
		}
		if err := write(c.Name+".key", key, 0o600); err != nil {
			return nil, err
		}
	}
	return files, nil
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 126))
	if err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return n.Add(n, big.NewInt(1))
}
