package gateway

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	engineconfig "github.com/pinline/pinline/engine-config"
)

// pki is a test PKI: a CA the gateway trusts, a stranger CA, and files.
type pki struct {
	dir      string
	ca       *engineconfig.CA
	stranger *engineconfig.CA
	now      time.Time
}

func newPKI(t testing.TB) *pki {
	t.Helper()
	now := time.Now()
	ca, err := engineconfig.NewCA("test CA", now, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	st, err := engineconfig.NewCA("stranger CA", now, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	p := &pki{dir: t.TempDir(), ca: ca, stranger: st, now: now}
	p.write(t, "ca.crt", ca.PEM)
	p.issue(t, "gateway", ca, engineconfig.CertSpec{CN: "gateway", Server: true, DNS: []string{"localhost"},
		IPs: []net.IP{net.IPv4(127, 0, 0, 1)}})
	return p
}

func (p *pki) write(t testing.TB, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(p.dir, name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// issue writes <name>.crt/.key signed by ca; zero validity means one hour.
func (p *pki) issue(t testing.TB, name string, ca *engineconfig.CA, s engineconfig.CertSpec) tls.Certificate {
	t.Helper()
	if s.NotBefore.IsZero() {
		s.NotBefore = p.now.Add(-time.Minute)
	}
	if s.NotAfter.IsZero() {
		s.NotAfter = p.now.Add(time.Hour)
	}
	crt, key, err := ca.Issue(s)
	if err != nil {
		t.Fatal(err)
	}
	p.write(t, name+".crt", crt)
	p.write(t, name+".key", key)
	pair, err := tls.X509KeyPair(crt, key)
	if err != nil {
		t.Fatal(err)
	}
	return pair
}

func (p *pki) roots(t testing.TB) *x509.CertPool {
	t.Helper()
	pool := x509.NewCertPool()
	pool.AddCert(p.ca.Cert)
	return pool
}

// clientTLS is a client config presenting cert (none when nil).
func (p *pki) clientTLS(t testing.TB, cert *tls.Certificate) *tls.Config {
	t.Helper()
	var c tls.Certificate
	if cert != nil {
		c = *cert
	}
	cfg := engineconfig.ClientTLSConfig(p.roots(t), c, "127.0.0.1")
	cfg.Certificates = nil
	if cert != nil {
		// Present the certificate even when the server's CA list does not
		// name its issuer (Go clients would otherwise send none).
		cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return cert, nil }
	}
	return cfg
}

// backendServer is a unix socket engine stand-in: it writes
// "<name>\n" and then echoes everything back.
func backendServer(t testing.TB, dir, name string) string {
	t.Helper()
	path, _ := backendListener(t, dir, name)
	return path
}

// backendListener is backendServer that also returns the listener, for
// tests that take the engine away (closing it).
func backendListener(t testing.TB, dir, name string) (string, net.Listener) {
	t.Helper()
	path := filepath.Join(dir, name+".sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	serveConns(t, ln, func(c net.Conn) {
		_, _ = io.WriteString(c, name+"\n")
		_, _ = io.Copy(c, c)
	})
	return path, ln
}

// serveConns accepts on ln until the test ends (then closes it), handling
// each connection on its own goroutine and closing it after handle.
func serveConns(t testing.TB, ln net.Listener, handle func(c net.Conn)) {
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				handle(c)
			}()
		}
	}()
}

// syncBuf is a goroutine-safe audit sink.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) records(t testing.TB) []AuditRecord {
	t.Helper()
	s.mu.Lock()
	data := s.b.String()
	s.mu.Unlock()
	var out []AuditRecord
	sc := bufio.NewScanner(strings.NewReader(data))
	for sc.Scan() {
		var r AuditRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("audit line %q: %v", sc.Text(), err)
		}
		out = append(out, r)
	}
	return out
}

// waitRecords waits until the audit log holds n records.
func (s *syncBuf) waitRecords(t testing.TB, n int) []AuditRecord {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		r := s.records(t)
		if len(r) >= n || time.Now().After(deadline) {
			return r
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// testGateway is a running gateway with two tiers:
//
//	trusted (rank 10): spiffe exact spiffe://example.org/ci/main, CN prefix "release-"; backend T
//	untrusted (rank 1): spiffe prefix spiffe://example.org/ci/pr/, OU exact "contributors"; backends U1, U2
type testGateway struct {
	addr  string
	audit *syncBuf
	cfg   *engineconfig.Gateway
	srv   *Server
	stop  context.CancelFunc
	done  chan error
}

const gatewayYAML = `
listen: 127.0.0.1:0
tls: {cert: gateway.crt, key: gateway.key, clientCAs: [ca.crt]}
handshakeTimeout: 2s
tiers:
  - name: trusted
    rank: 10
    builderId: https://pinline.dev/builders/trusted/v1
    cacheMode: strong
    backends: ["unix://%T"]
    identities:
      - {field: spiffe, exact: "spiffe://example.org/ci/main"}
      - {field: cn, prefix: "release-"}
  - name: untrusted
    rank: 1
    builderId: https://pinline.dev/builders/untrusted/v1
    cacheMode: strong
    backends: ["unix://%U1", "unix://%U2"]
    identities:
      - {field: spiffe, prefix: "spiffe://example.org/ci/pr/"}
      - {field: ou, exact: "contributors"}
`

func startGateway(t testing.TB, p *pki, mutate func(*engineconfig.Gateway)) *testGateway {
	t.Helper()
	sockDir := sockDir(t, "gw")
	y := strings.NewReplacer("%T", backendServer(t, sockDir, "T"), "%U1", backendServer(t, sockDir, "U1"),
		"%U2", backendServer(t, sockDir, "U2")).Replace(gatewayYAML)
	cfg, err := engineconfig.ParseGateway([]byte(y), p.dir)
	if err != nil {
		t.Fatal(err)
	}
	if mutate != nil {
		mutate(cfg)
	}
	return serveGateway(t, cfg)
}

// serveGateway runs a gateway with cfg (several calls with one cfg are
// replicas) whose health check suits the stand-in backends.
func serveGateway(t testing.TB, cfg *engineconfig.Gateway) *testGateway {
	t.Helper()
	audit := &syncBuf{}
	srv, err := New(cfg, audit, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv.check = checkAnswers
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	g := &testGateway{addr: ln.Addr().String(), audit: audit, cfg: cfg, srv: srv, stop: cancel, done: make(chan error, 1)}
	go func() { g.done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-g.done:
		case <-time.After(10 * time.Second):
			t.Error("gateway did not stop")
		}
	})
	return g
}

func (g *testGateway) dialer(cfg *tls.Config, tier string) *Dialer {
	return &Dialer{Address: g.addr, TLS: cfg, Tier: tier, Timeout: 5 * time.Second}
}

// readBackend reads the backend's name line from an open proxied stream.
func readBackend(t testing.TB, c net.Conn) string {
	t.Helper()
	line, err := readLine(c)
	if err != nil {
		t.Fatalf("read backend name: %v", err)
	}
	return string(line)
}

func isRefused(err error) bool { return errors.Is(err, ErrRefused) }

// sockDir is a temporary directory with a short path (unix socket paths
// are limited to about 100 bytes; t.TempDir's can be longer), removed when
// the test ends.
func sockDir(t testing.TB, prefix string) string {
	t.Helper()
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}
