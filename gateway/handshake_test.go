package gateway

import (
	"context"
	"net"
	"testing"
	"time"

	engineconfig "github.com/pinline/pinline/engine-config"
)

// Idle sockets that never finish a TLS handshake hold handshake slots,
// bounded per source address and counted apart from established
// connections: however many an attacker opens, a real mTLS client still
// gets through (here even with maxConnections 1).
func TestIdleSocketsDoNotLockOutClients(t *testing.T) {
	t.Parallel()
	p := newPKI(t)
	pr := p.issue(t, "pr", p.ca, engineconfig.CertSpec{OU: []string{"contributors"}})
	const perSource, idle = 4, 40
	g := startGateway(t, p, func(c *engineconfig.Gateway) {
		c.MaxConnections = 1
		c.MaxHandshakes = 16
		c.MaxHandshakesPerSource = perSource
		c.HandshakeTimeout = 30 * time.Second // the idle sockets outlive the test
	})
	// The attacker: many idle sockets from another loopback address, and
	// a few from the client's own address (below its share).
	attacker := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}, Timeout: 2 * time.Second}
	var socks []net.Conn
	defer func() {
		for _, c := range socks {
			c.Close()
		}
	}()
	for range idle {
		c, err := attacker.Dial("tcp", g.addr)
		if err != nil {
			t.Fatalf("idle socket: %v", err)
		}
		socks = append(socks, c)
	}
	for range perSource - 1 {
		c, err := net.DialTimeout("tcp", g.addr, 2*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		socks = append(socks, c)
	}
	refused := idle - perSource
	recs := g.audit.waitRecords(t, refused)
	if len(recs) != refused {
		t.Fatalf("%d audit records, want %d handshake-limit refusals", len(recs), refused)
	}
	for _, r := range recs {
		if r.Reason != engineconfig.ReasonHandshakeLimit || r.Outcome != OutcomeRefused {
			t.Fatalf("audit = %+v, want refused/%s", r, engineconfig.ReasonHandshakeLimit)
		}
	}
	// The real client, from 127.0.0.1, while every idle socket is open.
	c, _, err := g.dialer(p.clientTLS(t, &pr), "").Dial(context.Background())
	if err != nil {
		t.Fatalf("real client locked out by idle sockets: %v", err)
	}
	defer c.Close()
	if name := readBackend(t, c); name == "" {
		t.Error("no backend")
	}
	// Established connections keep their own limit.
	if c2, _, err := g.dialer(p.clientTLS(t, &pr), "").Dial(context.Background()); err == nil {
		c2.Close()
		t.Error("second established connection admitted over maxConnections 1")
	}
}
