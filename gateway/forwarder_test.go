package gateway

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"testing"

	engineconfig "github.com/pinline/pinline/engine-config"
)

func TestForwarder(t *testing.T) {
	t.Parallel()
	p := newPKI(t)
	mainCert := p.issue(t, "main", p.ca, engineconfig.CertSpec{URIs: []string{"spiffe://example.org/ci/main"}})
	g := startGateway(t, p, nil)
	parent := sockDir(t, "fwd")
	f, err := StartForwarder(context.Background(), g.dialer(p.clientTLS(t, &mainCert), ""), parent)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(f.Dir())
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o700 {
		t.Errorf("forwarder dir mode = %v, want 0700", fi.Mode().Perm())
	}
	if !strings.HasPrefix(f.Address(), "unix://"+f.Dir()+"/") {
		t.Errorf("address %q not inside %s", f.Address(), f.Dir())
	}
	h := f.Announced()
	if h.Tier != "trusted" || h.BuilderID != "https://pinline.dev/builders/trusted/v1" || h.Identity != "spiffe:spiffe://example.org/ci/main" {
		t.Errorf("announced %+v", h)
	}
	for range 3 {
		c, err := net.Dial("unix", strings.TrimPrefix(f.Address(), "unix://"))
		if err != nil {
			t.Fatal(err)
		}
		if n := readBackend(t, c); n != "T" {
			t.Errorf("forwarded to %s, want T", n)
		}
		if _, err := io.WriteString(c, "x"); err != nil {
			t.Fatal(err)
		}
		b := make([]byte, 1)
		if _, err := io.ReadFull(c, b); err != nil || b[0] != 'x' {
			t.Errorf("echo %q %v", b, err)
		}
		c.Close()
	}
	if err := f.Err(); err != nil {
		t.Errorf("forwarder errors: %v", err)
	}
	if err := f.Close(); err != nil {
		t.Errorf("close: %v", err)
	}
	if _, err := os.Stat(f.Dir()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("private dir left behind: %v", err)
	}
	// probe + 3 forwarded connections
	if n := len(g.audit.waitRecords(t, 4)); n != 4 {
		t.Errorf("audit records = %d, want 4", n)
	}
}

func TestForwarderRefused(t *testing.T) {
	t.Parallel()
	p := newPKI(t)
	pr := p.issue(t, "pr", p.ca, engineconfig.CertSpec{URIs: []string{"spiffe://example.org/ci/pr/7"}})
	g := startGateway(t, p, nil)
	parent := t.TempDir()
	_, err := StartForwarder(context.Background(), g.dialer(p.clientTLS(t, &pr), "trusted"), parent)
	if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), engineconfig.ReasonAboveCert) {
		t.Fatalf("err = %v, want refusal %s", err, engineconfig.ReasonAboveCert)
	}
	if ents, _ := os.ReadDir(parent); len(ents) != 0 {
		t.Errorf("refused forwarder left %d entries in %s", len(ents), parent)
	}
	r := g.audit.waitRecords(t, 1)[0]
	if r.Reason != engineconfig.ReasonAboveCert || r.RequestedTier != "trusted" || r.Identity != "" {
		t.Errorf("audit = %+v", r)
	}
}

func TestNewDialerFromEngineJSON(t *testing.T) {
	t.Parallel()
	p := newPKI(t)
	p.issue(t, "main", p.ca, engineconfig.CertSpec{URIs: []string{"spiffe://example.org/ci/main"}})
	g := startGateway(t, p, nil)
	js := `{"engine": {"address": "tcp://` + g.addr + `", "tier": "trusted", "tls": {"ca": "ca.crt", "cert": "main.crt", "key": "main.key"}}}`
	c, err := engineconfig.ParseClient([]byte(js), p.dir)
	if err != nil {
		t.Fatal(err)
	}
	d, err := NewDialer(c, p.now)
	if err != nil {
		t.Fatal(err)
	}
	conn, h, err := d.Dial(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if h.Tier != "trusted" {
		t.Errorf("tier = %q", h.Tier)
	}
	plain, err := engineconfig.ParseClient([]byte(`{"engine":{"address":"unix:///run/x.sock"}}`), "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewDialer(plain, p.now); err == nil {
		t.Error("NewDialer accepted a config without tls")
	}
}

// TestProbeDialsNoBackend: the forwarder's start is a probe the gateway
// answers without dialling an engine (audit outcome "probe"), so it works
// even when every engine of the tier is down; the first forwarded
// connection then fails with ErrUnavailable naming the tier, recorded
// once however often the client retries. A probe above the certificate
// is still refused.
func TestProbeDialsNoBackend(t *testing.T) {
	t.Parallel()
	p := newPKI(t)
	pr := p.issue(t, "pr", p.ca, engineconfig.CertSpec{OU: []string{"contributors"}})
	g := startGateway(t, p, func(c *engineconfig.Gateway) {
		c.Tier("untrusted").Backends = []string{"unix:///nonexistent/a.sock"}
	})
	d := g.dialer(p.clientTLS(t, &pr), "")
	f, err := StartForwarder(context.Background(), d, "")
	if err != nil {
		t.Fatalf("forwarder start with the tier's engines down: %v", err)
	}
	defer f.Close()
	if a := f.Announced(); a.Tier != "untrusted" || a.BuilderID != "https://pinline.dev/builders/untrusted/v1" {
		t.Errorf("announced %+v", a)
	}
	r := g.audit.waitRecords(t, 1)[0]
	if r.Outcome != OutcomeProbe || r.Backend != "" || r.Tier != "untrusted" || r.Identity == "" {
		t.Errorf("probe audit = %+v, want outcome probe, tier and identity, no backend", r)
	}
	for range 3 {
		c, err := net.Dial("unix", strings.TrimPrefix(f.Address(), "unix://"))
		if err != nil {
			t.Fatal(err)
		}
		if n, err := c.Read(make([]byte, 1)); n != 0 || err == nil {
			t.Errorf("forwarded connection to a dead tier: read %d, %v; want closed", n, err)
		}
		c.Close()
	}
	err = f.Err()
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), `tier "untrusted"`) ||
		strings.Count(err.Error(), engineconfig.ReasonBackendDown) != 1 {
		t.Errorf("forwarder error = %v, want one ErrUnavailable naming the tier", err)
	}
	recs := g.audit.waitRecords(t, 4)
	for _, r := range recs[1:] {
		if r.Outcome != OutcomeError || r.Reason != engineconfig.ReasonBackendDown || !strings.Contains(r.Detail, "/nonexistent/a.sock") {
			t.Errorf("audit = %+v, want error/%s naming the backend", r, engineconfig.ReasonBackendDown)
		}
	}

	d.Tier = "trusted"
	if _, err := d.Probe(context.Background()); !isRefused(err) || !strings.Contains(err.Error(), engineconfig.ReasonAboveCert) {
		t.Errorf("probe above the certificate: %v, want refused", err)
	}
}
