package gateway

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	engineconfig "github.com/pinline/pinline/engine-config"
)

func TestAssignmentAndRefusals(t *testing.T) {
	t.Parallel()
	p := newPKI(t)
	spiffe := func(s string) []string { return []string{s} }
	mainCert := p.issue(t, "main", p.ca, engineconfig.CertSpec{CN: "ci", URIs: spiffe("spiffe://example.org/ci/main")})
	prCert := p.issue(t, "pr", p.ca, engineconfig.CertSpec{CN: "ci", URIs: spiffe("spiffe://example.org/ci/pr/42")})
	evil := p.issue(t, "evil", p.ca, engineconfig.CertSpec{CN: "ci", URIs: spiffe("spiffe://example.org/ci/main-evil")})
	release := p.issue(t, "release", p.ca, engineconfig.CertSpec{CN: "release-bot"})
	contrib := p.issue(t, "contrib", p.ca, engineconfig.CertSpec{CN: "alice", OU: []string{"contributors"}})
	both := p.issue(t, "both", p.ca, engineconfig.CertSpec{CN: "release-x", OU: []string{"contributors"}})
	nobody := p.issue(t, "nobody", p.ca, engineconfig.CertSpec{CN: "nobody", DNS: []string{"nobody.example"}})
	expired := p.issue(t, "expired", p.ca, engineconfig.CertSpec{CN: "release-old", URIs: spiffe("spiffe://example.org/ci/main"),
		NotBefore: p.now.Add(-48 * time.Hour), NotAfter: p.now.Add(-24 * time.Hour)})
	foreign := p.issue(t, "foreign", p.stranger, engineconfig.CertSpec{CN: "release-bot", URIs: spiffe("spiffe://example.org/ci/main")})

	tests := []struct {
		name       string
		cert       *tls.Certificate
		tier       string
		wantTier   string
		wantID     string
		backends   []string // acceptable backend names
		wantReason string
	}{
		{name: "spiffe exact", cert: &mainCert, wantTier: "trusted", wantID: "spiffe:spiffe://example.org/ci/main", backends: []string{"T"}},
		{name: "spiffe prefix", cert: &prCert, wantTier: "untrusted", wantID: "spiffe:spiffe://example.org/ci/pr/42", backends: []string{"U1", "U2"}},
		{name: "cn prefix", cert: &release, wantTier: "trusted", wantID: "cn:release-bot", backends: []string{"T"}},
		{name: "ou exact", cert: &contrib, wantTier: "untrusted", wantID: "ou:contributors", backends: []string{"U1", "U2"}},
		{name: "ambiguous gets lowest rank", cert: &both, wantTier: "untrusted", wantID: "ou:contributors", backends: []string{"U1", "U2"}},
		{name: "ambiguous may request higher admitted tier", cert: &both, tier: "trusted", wantTier: "trusted", wantID: "cn:release-x", backends: []string{"T"}},
		{name: "trusted may request its own tier", cert: &mainCert, tier: "trusted", wantTier: "trusted", wantID: "spiffe:spiffe://example.org/ci/main", backends: []string{"T"}},
		{name: "PR asks for higher tier", cert: &prCert, tier: "trusted", wantReason: engineconfig.ReasonAboveCert},
		{name: "trusted asks for lower tier it is not admitted to", cert: &mainCert, tier: "untrusted", wantReason: engineconfig.ReasonTierNotGiven},
		{name: "unknown tier", cert: &mainCert, tier: "gold", wantReason: engineconfig.ReasonUnknownTier},
		{name: "spiffe prefix is not a string prefix", cert: &evil, wantReason: engineconfig.ReasonNoTier},
		{name: "identity matches no tier", cert: &nobody, wantReason: engineconfig.ReasonNoTier},
		{name: "no client certificate", cert: nil, wantReason: engineconfig.ReasonNoClientCert},
		{name: "wrong CA", cert: &foreign, wantReason: "certificate-unknown-authority"},
		{name: "expired certificate", cert: &expired, wantReason: "certificate-expired"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g := startGateway(t, p, nil)
			conn, h, err := g.dialer(p.clientTLS(t, tc.cert), tc.tier).Dial(context.Background())
			if tc.wantReason != "" {
				if err == nil {
					conn.Close()
					t.Fatalf("connection admitted to %q, want refusal %q", h.Tier, tc.wantReason)
				}
				recs := g.audit.waitRecords(t, 1)
				if len(recs) != 1 {
					t.Fatalf("audit records = %d, want 1", len(recs))
				}
				r := recs[0]
				if r.Outcome != OutcomeRefused || r.Reason != tc.wantReason {
					t.Errorf("audit outcome/reason = %q/%q, want refused/%q (detail %q)", r.Outcome, r.Reason, tc.wantReason, r.Detail)
				}
				if r.Backend != "" || r.BytesUp != 0 || r.BytesDown != 0 {
					t.Errorf("refused connection reached a backend: %+v", r)
				}
				// Every presented certificate is described, even one the
				// handshake rejected (then marked unverified, with no
				// identity or tier).
				wantFP, wantUnverified := "", strings.HasPrefix(tc.wantReason, "certificate-")
				if tc.cert != nil {
					wantFP = engineconfig.Fingerprint(tc.cert.Leaf)
				}
				if r.Fingerprint != wantFP || r.Unverified != wantUnverified {
					t.Errorf("audit fingerprint/unverified = %q/%v, want %q/%v", r.Fingerprint, r.Unverified, wantFP, wantUnverified)
				}
				if tc.cert != nil && (r.Subject != tc.cert.Leaf.Subject.String() || r.Serial != tc.cert.Leaf.SerialNumber.Text(16)) {
					t.Errorf("audit subject/serial = %q/%q, want %q/%q", r.Subject, r.Serial, tc.cert.Leaf.Subject, tc.cert.Leaf.SerialNumber.Text(16))
				}
				if r.Identity != "" || r.Tier != "" {
					t.Errorf("refused connection got identity %q tier %q", r.Identity, r.Tier)
				}
				return
			}
			if err != nil {
				t.Fatalf("dial: %v", err)
			}
			want := g.cfg.Tier(tc.wantTier)
			if h.Tier != tc.wantTier || h.Identity != tc.wantID || h.BuilderID != want.BuilderID || h.CacheMode != "strong" {
				t.Errorf("preface = %+v, want tier %q identity %q builder %q", h, tc.wantTier, tc.wantID, want.BuilderID)
			}
			if h.Fingerprint != engineconfig.Fingerprint(tc.cert.Leaf) {
				t.Errorf("fingerprint = %q, want %q", h.Fingerprint, engineconfig.Fingerprint(tc.cert.Leaf))
			}
			name := readBackend(t, conn)
			if !strings.Contains(strings.Join(tc.backends, " "), name) {
				t.Errorf("reached backend %q, want one of %v", name, tc.backends)
			}
			msg := "ping\n"
			if _, err := io.WriteString(conn, msg); err != nil {
				t.Fatal(err)
			}
			echo := make([]byte, len(msg))
			if _, err := io.ReadFull(conn, echo); err != nil || string(echo) != msg {
				t.Fatalf("echo = %q, %v", echo, err)
			}
			conn.Close()
			r := g.audit.waitRecords(t, 1)[0]
			// The backend the audit names is the tier's socket that
			// answered (its name is what readBackend got), as an address.
			wantBackend := ""
			for _, p := range want.BackendPaths() {
				if filepath.Base(p) == name+".sock" {
					wantBackend = "unix://" + p
				}
			}
			if wantBackend == "" {
				t.Fatalf("backend %q is none of tier %q's sockets %v", name, tc.wantTier, want.BackendPaths())
			}
			wantRec := AuditRecord{Identity: tc.wantID, Fingerprint: h.Fingerprint, Serial: tc.cert.Leaf.SerialNumber.Text(16),
				RequestedTier: tc.tier, Tier: tc.wantTier, Backend: wantBackend, Engine: h.Engine, BytesUp: int64(len(msg)),
				BytesDown: int64(len(name) + 1 + len(msg)), Outcome: OutcomeOK, Subject: tc.cert.Leaf.Subject.String()}
			got := r
			got.Time, got.Remote, got.DurationMS = time.Time{}, "", 0
			if diff := cmp.Diff(wantRec, got); diff != "" {
				t.Errorf("audit record (-want +got):\n%s", diff)
			}
			if wantEngine := map[string]string{"T": "trusted-0", "U1": "untrusted-0", "U2": "untrusted-1"}[name]; h.Engine != wantEngine {
				t.Errorf("announced engine %q for backend %s, want %q", h.Engine, name, wantEngine)
			}
			if !strings.HasSuffix(r.Backend, "/"+name+".sock") {
				t.Errorf("audit backend %q does not name %s", r.Backend, name)
			}
		})
	}
}

func TestLeastConnections(t *testing.T) {
	t.Parallel()
	p := newPKI(t)
	pr := p.issue(t, "pr", p.ca, engineconfig.CertSpec{CN: "ci", URIs: []string{"spiffe://example.org/ci/pr/1"}})
	g := startGateway(t, p, nil)
	d := g.dialer(p.clientTLS(t, &pr), "")
	open := map[string][]net.Conn{}
	dial := func() string {
		c, _, err := d.Dial(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		n := readBackend(t, c)
		open[n] = append(open[n], c)
		return n
	}
	for range 4 {
		dial()
	}
	if len(open["U1"]) != 2 || len(open["U2"]) != 2 {
		t.Fatalf("4 connections spread as U1=%d U2=%d, want 2/2", len(open["U1"]), len(open["U2"]))
	}
	// Free two slots on U1: the next two connections must go there.
	open["U1"][0].Close()
	open["U1"][1].Close()
	open["U1"] = nil
	g.audit.waitRecords(t, 2)
	for i := range 2 {
		if n := dial(); n != "U1" {
			t.Errorf("connection %d after freeing U1 went to %s", i, n)
		}
	}
	for _, cs := range open {
		for _, c := range cs {
			c.Close()
		}
	}
}

func TestPoolPick(t *testing.T) {
	t.Parallel()
	p := newPool("t", []string{"a", "b", "c"}, nil)
	var got []string
	var held []*backend
	for range 5 {
		b := p.pick(nil)
		held = append(held, b)
		got = append(got, b.path)
	}
	if diff := cmp.Diff([]string{"a", "b", "c", "a", "b"}, got); diff != "" {
		t.Errorf("picks (-want +got):\n%s", diff)
	}
	p.release(held[2]) // c now has 0 active
	if b := p.pick(nil); b.path != "c" {
		t.Errorf("after release, picked %s, want c", b.path)
	}
	if b := p.pick(map[*backend]bool{held[2]: true, held[0]: true}); b.path != "b" {
		t.Errorf("with a and c skipped, picked %s, want b", b.path)
	}
}

func TestBackendDownFallsOver(t *testing.T) {
	t.Parallel()
	p := newPKI(t)
	pr := p.issue(t, "pr", p.ca, engineconfig.CertSpec{OU: []string{"contributors"}})
	g := startGateway(t, p, func(c *engineconfig.Gateway) {
		c.Tier("untrusted").Backends[0] = "unix:///nonexistent/engine.sock"
	})
	for range 3 {
		c, _, err := g.dialer(p.clientTLS(t, &pr), "").Dial(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if n := readBackend(t, c); n != "U2" {
			t.Errorf("reached %s, want U2 (U1 is down)", n)
		}
		c.Close()
	}
	g2 := startGateway(t, p, func(c *engineconfig.Gateway) {
		c.Tier("untrusted").Backends = []string{"unix:///nonexistent/a.sock"}
	})
	if _, _, err := g2.dialer(p.clientTLS(t, &pr), "").Dial(context.Background()); err == nil {
		t.Fatal("dial succeeded with every backend down")
	}
	if r := g2.audit.waitRecords(t, 1)[0]; r.Reason != engineconfig.ReasonBackendDown || r.Outcome != OutcomeError {
		t.Errorf("audit = %+v, want error/%s", r, engineconfig.ReasonBackendDown)
	}
}

func TestTimeoutsAndLimits(t *testing.T) {
	t.Parallel()
	p := newPKI(t)
	pr := p.issue(t, "pr", p.ca, engineconfig.CertSpec{OU: []string{"contributors"}})

	t.Run("handshake timeout", func(t *testing.T) {
		t.Parallel()
		g := startGateway(t, p, func(c *engineconfig.Gateway) { c.HandshakeTimeout = 150 * time.Millisecond })
		raw, err := net.Dial("tcp", g.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer raw.Close()
		_ = raw.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := raw.Read(make([]byte, 1)); err == nil {
			t.Error("silent client got data")
		}
		if r := g.audit.waitRecords(t, 1)[0]; r.Reason != engineconfig.ReasonClientTimeout {
			t.Errorf("reason = %q, want %q", r.Reason, engineconfig.ReasonClientTimeout)
		}
	})
	t.Run("silent after handshake", func(t *testing.T) {
		t.Parallel()
		g := startGateway(t, p, func(c *engineconfig.Gateway) { c.HandshakeTimeout = 300 * time.Millisecond })
		c, err := tls.Dial("tcp", g.addr, p.clientTLS(t, &pr))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if r := g.audit.waitRecords(t, 1); len(r) != 1 || r[0].Reason != engineconfig.ReasonClientTimeout {
			t.Errorf("audit = %+v, want %s", r, engineconfig.ReasonClientTimeout)
		}
	})
	t.Run("idle timeout", func(t *testing.T) {
		t.Parallel()
		g := startGateway(t, p, func(c *engineconfig.Gateway) { c.IdleTimeout = 100 * time.Millisecond })
		c, _, err := g.dialer(p.clientTLS(t, &pr), "").Dial(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		readBackend(t, c)
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := c.Read(make([]byte, 1)); err == nil {
			t.Error("idle connection still open")
		}
		if r := g.audit.waitRecords(t, 1)[0]; r.Reason != "idle-timeout" || r.Outcome != OutcomeOK {
			t.Errorf("audit = %+v, want ok/idle-timeout", r)
		}
	})
	t.Run("connection limit", func(t *testing.T) {
		t.Parallel()
		g := startGateway(t, p, func(c *engineconfig.Gateway) { c.MaxConnections = 1 })
		d := g.dialer(p.clientTLS(t, &pr), "")
		c1, _, err := d.Dial(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		defer c1.Close()
		if c2, _, err := d.Dial(context.Background()); err == nil {
			c2.Close()
			t.Fatal("second connection admitted over the limit")
		}
		recs := g.audit.waitRecords(t, 1)
		if len(recs) != 1 || recs[0].Reason != engineconfig.ReasonConnLimit {
			t.Errorf("audit = %+v, want %s", recs, engineconfig.ReasonConnLimit)
		}
	})
}

func TestGracefulShutdown(t *testing.T) {
	t.Parallel()
	p := newPKI(t)
	pr := p.issue(t, "pr", p.ca, engineconfig.CertSpec{OU: []string{"contributors"}})
	g := startGateway(t, p, func(c *engineconfig.Gateway) { c.ShutdownGrace = 200 * time.Millisecond })
	c, _, err := g.dialer(p.clientTLS(t, &pr), "").Dial(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	readBackend(t, c)
	start := time.Now()
	g.stop()
	select {
	case err := <-g.done:
		if err != nil {
			t.Errorf("Serve: %v", err)
		}
		g.done <- err
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return after cancel")
	}
	if el := time.Since(start); el < 150*time.Millisecond {
		t.Errorf("open connection cut after %v, before the grace period", el)
	}
	_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, err := c.Read(make([]byte, 1)); err == nil {
		t.Error("connection still open after shutdown")
	}
	if _, err := net.Dial("tcp", g.addr); err == nil {
		t.Error("listener still accepting after shutdown")
	}
}

func TestAuditFailureStopsGateway(t *testing.T) {
	t.Parallel()
	p := newPKI(t)
	cfg, err := engineconfig.ParseGateway([]byte(strings.NewReplacer("%T", "/x/t.sock", "%U1", "/x/u1.sock", "%U2", "/x/u2.sock").Replace(gatewayYAML)), p.dir)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(cfg, failingWriter{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(context.Background(), ln) }()
	if c, err := net.Dial("tcp", ln.Addr().String()); err == nil {
		c.Close()
	}
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "audit log") {
			t.Errorf("Serve = %v, want audit log error", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("gateway kept serving without an audit log")
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, os.ErrClosed }
