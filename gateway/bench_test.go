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
	b.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_, _ = io.WriteString(c, "sink\n")
				_, _ = io.Copy(io.Discard, c)
			}()
		}
	}()
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
	dir, err := os.MkdirTemp("", "bench")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { os.RemoveAll(dir) })
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
	dir, err := os.MkdirTemp("", "bench")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { os.RemoveAll(dir) })
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
	dir, err := os.MkdirTemp("", "bench")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { os.RemoveAll(dir) })
	c, err := net.Dial("unix", sinkServer(b, dir))
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	readBackend(b, c)
	pump(b, c)
}
