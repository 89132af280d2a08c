package gateway

import (
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"testing"

	engineconfig "github.com/pinline/pinline/engine-config"
)

// sinkServer is a unix socket that writes its name line and discards
// everything it reads; it answers each completed stream with "done\n".
func sinkServer(b *testing.B, dir string) string {
	path := filepath.Join(dir, "sink.sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		b.Fatal(err)
	}
	serveConns(b, ln, func(c net.Conn) {
		_, _ = io.WriteString(c, "sink\n")
		_, _ = io.Copy(io.Discard, c)
	})
	return path
}

const benchChunk = 1 << 20

func pump(b *testing.B, c net.Conn) {
	buf := make([]byte, benchChunk)
	b.SetBytes(benchChunk)
	b.ResetTimer()
	for b.Loop() {
		if _, err := c.Write(buf); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkProxyThroughput: client → mTLS gateway → unix sink, 1 MiB
// writes. Target ≥ 500 MB/s on loopback.
func BenchmarkProxyThroughput(b *testing.B) {
	p := newPKI(b)
	pr := p.issue(b, "pr", p.ca, engineconfig.CertSpec{OU: []string{"contributors"}})
	dir := sockDir(b, "bench")
	sink := sinkServer(b, dir)
	g := startGateway(b, p, func(c *engineconfig.Gateway) {
		c.Tier("untrusted").Backends = []string{"unix://" + sink}
	})
	c, _, err := g.dialer(p.clientTLS(b, &pr), "").Dial(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	readBackend(b, c)
	pump(b, c)
}

// BenchmarkForwarderThroughput: unix client → forwarder → mTLS gateway →
// unix sink: the full path a Dagger SDK session takes.
func BenchmarkForwarderThroughput(b *testing.B) {
	p := newPKI(b)
	pr := p.issue(b, "pr", p.ca, engineconfig.CertSpec{OU: []string{"contributors"}})
	dir := sockDir(b, "bench")
	sink := sinkServer(b, dir)
	g := startGateway(b, p, func(c *engineconfig.Gateway) {
		c.Tier("untrusted").Backends = []string{"unix://" + sink}
	})
	f, err := StartForwarder(context.Background(), g.dialer(p.clientTLS(b, &pr), ""), dir)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { f.Close() })
	c, err := net.Dial("unix", f.Address()[len("unix://"):])
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	readBackend(b, c)
	pump(b, c)
}

// BenchmarkDirectUnix is the anchor: the same writes straight to the sink.
func BenchmarkDirectUnix(b *testing.B) {
	dir := sockDir(b, "bench")
	c, err := net.Dial("unix", sinkServer(b, dir))
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	readBackend(b, c)
	pump(b, c)
}

// BenchmarkSessionPlacement: sessions placed per second by one gateway
// replica: each op is a new session's first connection (TCP, TLS 1.3
// mTLS handshake, preface, tier, bounded-load rendezvous placement over
// three engines, engine dial, announcement), then close.
func BenchmarkSessionPlacement(b *testing.B) {
	p := newPKI(b)
	pr := p.issue(b, "pr", p.ca, engineconfig.CertSpec{OU: []string{"contributors"}})
	dir := sockDir(b, "bench")
	var backends []string
	for _, n := range []string{"a", "b", "c"} {
		sub := filepath.Join(dir, n)
		if err := os.Mkdir(sub, 0o700); err != nil {
			b.Fatal(err)
		}
		backends = append(backends, "unix://"+sinkServer(b, sub))
	}
	g := startGateway(b, p, func(c *engineconfig.Gateway) { c.Tier("untrusted").Backends = backends })
	d := g.dialer(p.clientTLS(b, &pr), "")
	keys := make([]string, 4096)
	for i := range keys {
		keys[i], _ = NewSessionKey()
	}
	b.ResetTimer()
	i := 0
	for b.Loop() {
		c, _, err := d.DialSession(context.Background(), keys[i%len(keys)], "")
		if err != nil {
			b.Fatal(err)
		}
		c.Close()
		i++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "sessions/s")
}

// BenchmarkPlacementDecision: the placement decision alone (rendezvous
// rank with bounded load over three engines, 100 sessions known).
func BenchmarkPlacementDecision(b *testing.B) {
	p := newPool("t", []string{"/a", "/b", "/c"}, []string{"t-0", "t-1", "t-2"})
	for range 100 {
		k, _ := NewSessionKey()
		_, l := p.claim(k, nil)
		l.release()
	}
	k, _ := NewSessionKey()
	for b.Loop() {
		p.placement(k)
	}
}
