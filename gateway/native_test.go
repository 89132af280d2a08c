package gateway

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	engineconfig "github.com/pinline/pinline/engine-config"
)

// nativeEngine is a stand-in for an engine's own TLS listener (v0.19.10:
// tls.NewListener, no ALPN): it answers an HTTP/2 preface with a SETTINGS
// frame and then echoes.
func nativeEngine(t *testing.T, p *pki) string {
	t.Helper()
	srvCert, err := tls.LoadX509KeyPair(p.dir+"/gateway.crt", p.dir+"/gateway.key")
	if err != nil {
		t.Fatal(err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{srvCert}, ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: p.roots(t), MinVersion: tls.VersionTLS12}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	serveConns(t, ln, func(c net.Conn) {
		buf := make([]byte, len(h2Preface))
		if _, err := io.ReadFull(c, buf); err != nil || string(buf) != h2Preface {
			return
		}
		_, _ = c.Write([]byte{0, 0, 0, 4, 0, 0, 0, 0, 0})
		_, _ = io.Copy(c, c)
	})
	return ln.Addr().String()
}

func TestForwarderEngineNative(t *testing.T) {
	t.Parallel()
	p := newPKI(t)
	addr := nativeEngine(t, p)
	cert := p.issue(t, "native", p.ca, engineconfig.CertSpec{CN: "ci-native", URIs: []string{"spiffe://example.org/ci/native"}})
	cfg := p.clientTLS(t, &cert)
	cfg.Certificates, cfg.GetClientCertificate = []tls.Certificate{cert}, nil
	parent := sockDir(t, "fwd")
	f, err := StartForwarder(context.Background(), &Dialer{Address: addr, TLS: cfg, Tier: "trusted", Timeout: 5 * time.Second}, parent)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	a := f.Announced()
	if !a.EngineNative || a.CacheMode != engineconfig.CacheEngineNative || a.Tier != "trusted" ||
		a.Identity != "spiffe:spiffe://example.org/ci/native" || a.Fingerprint != engineconfig.Fingerprint(cert.Leaf) || a.BuilderID != "" {
		t.Errorf("announced %+v, want engine-native, requested tier, the certificate's own identity", a)
	}
	// The forwarded stream is a plain TLS tunnel to the engine: the SDK's
	// HTTP/2 preface reaches it unchanged.
	c, err := net.Dial("unix", strings.TrimPrefix(f.Address(), "unix://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, h2Preface+"ping"); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, 9+4)
	if _, err := io.ReadFull(c, got); err != nil || got[3] != 4 || string(got[9:]) != "ping" {
		t.Fatalf("through the tunnel: %q, %v", got, err)
	}

	// A certificate of another CA: the engine rejects it (with TLS 1.3
	// only on the first read) and the probe says so at once.
	other := p.issue(t, "other", p.stranger, engineconfig.CertSpec{CN: "ci-native"})
	ocfg := p.clientTLS(t, &other)
	// "At once": the engine's rejection, not the dial timeout running out
	// (how long it takes is no result of this test).
	_, err = StartForwarder(context.Background(), &Dialer{Address: addr, TLS: ocfg, Timeout: 5 * time.Second}, parent)
	if err == nil || errors.Is(err, ErrRefused) {
		t.Fatalf("certificate of another CA: %v, want an operational error", err)
	}
	if isTimeout(err) {
		t.Errorf("certificate of another CA: %v, want the engine's rejection, not a timeout", err)
	}
}

// isTimeout reports whether err is a deadline running out rather than an
// answer.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) || errors.As(err, &ne) && ne.Timeout()
}

func TestGatewayNegotiatesALPN(t *testing.T) {
	t.Parallel()
	p := newPKI(t)
	g := startGateway(t, p, nil)
	pr := p.issue(t, "pr", p.ca, engineconfig.CertSpec{OU: []string{"contributors"}})
	c, _, err := g.dialer(p.clientTLS(t, &pr), "").Dial(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if got := c.ConnectionState().NegotiatedProtocol; got != engineconfig.ALPNGateway {
		t.Errorf("gateway negotiated %q, want %q", got, engineconfig.ALPNGateway)
	}
	// A client offering only h2 (a Dagger client) fails the handshake
	// instead of reaching the preface reader.
	h2 := p.clientTLS(t, &pr)
	h2.NextProtos = []string{"h2"}
	tc, err := tls.Dial("tcp", g.addr, h2)
	if err == nil {
		_ = tc.SetDeadline(time.Now().Add(2 * time.Second))
		_, err = tc.Read(make([]byte, 1))
		tc.Close()
	}
	if err == nil || !strings.Contains(err.Error(), "application protocol") {
		t.Errorf("h2-only client: %v, want a no-application-protocol failure", err)
	}
}

// TestTLSBackend: the gateway reaches an engine's own mTLS listener
// (tls://host:port, as in Kubernetes) with its backendTLS certificate,
// health-checks it over TLS and proxies the stream.
func TestTLSBackend(t *testing.T) {
	t.Parallel()
	p := newPKI(t)
	addr := nativeEngine(t, p)
	p.issue(t, "gw-client", p.ca, engineconfig.CertSpec{CN: "pinline-gateway"})
	y := `listen: 127.0.0.1:0
tls: {cert: gateway.crt, key: gateway.key, clientCAs: [ca.crt]}
backendTLS: {cert: gw-client.crt, key: gw-client.key, ca: ca.crt}
tiers:
  - name: pr
    rank: 1
    builderId: https://pinline.dev/builders/pr/v1
    cacheMode: strong
    backends: ["tls://` + addr + `"]
    identities: [{field: ou, exact: contributors}]
`
	cfg, err := engineconfig.ParseGateway([]byte(y), p.dir)
	if err != nil {
		t.Fatal(err)
	}
	g := serveGateway(t, cfg)
	g.srv.check = checkEngine
	g.srv.checkAll(context.Background())
	if st := g.srv.Backends(); len(st) != 1 || !st[0].Healthy || st[0].Backend != "tls://"+addr {
		t.Fatalf("backends %+v, want one healthy tls:// engine", st)
	}
	pr := p.issue(t, "pr", p.ca, engineconfig.CertSpec{OU: []string{"contributors"}})
	key, _ := NewSessionKey()
	c, h, err := g.dialer(p.clientTLS(t, &pr), "").DialSession(context.Background(), key, "")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, h2Preface+"ping"); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, 13)
	if _, err := io.ReadFull(c, got); err != nil || got[3] != 4 || string(got[9:]) != "ping" {
		t.Fatalf("through the gateway to a tls:// engine: %q, %v", got, err)
	}
	if h.Engine != "pr-0" {
		t.Errorf("engine %q", h.Engine)
	}
	// Without backendTLS a tls:// backend is a configuration error.
	if _, err := engineconfig.ParseGateway([]byte(strings.Replace(y, "backendTLS: {cert: gw-client.crt, key: gw-client.key, ca: ca.crt}\n", "", 1)), p.dir); err == nil || !strings.Contains(err.Error(), "backendTLS") {
		t.Errorf("tls:// backend without backendTLS: %v", err)
	}
}
