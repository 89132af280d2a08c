package gateway

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"

	engineconfig "github.com/pinline/pinline/engine-config"
)

// initPools builds one pool per tier, engines named by Tier.EngineID, and
// publishes their initial state (healthy until a check says otherwise).
func (s *Server) initPools() {
	for i := range s.cfg.Tiers {
		t := &s.cfg.Tiers[i]
		paths := t.BackendURLs()
		ids := make([]string, len(paths))
		for j := range paths {
			ids[j] = t.EngineID(j)
		}
		p := newPool(t.Name, paths, ids)
		tier := t.Name
		p.forgot = func(engine string) { s.metrics.sessionsAct.WithLabelValues(tier, engine).Dec() }
		s.pools[t.Name] = p
		for _, b := range p.backends {
			s.metrics.backendState(t.Name, b)
		}
	}
}

// SetLog sends operator messages (engines going down or up, draining) to
// w; the audit log stays one record per connection.
func (s *Server) SetLog(w io.Writer) { s.log = w }

// dialBackend connects to an engine: unix:///path, or tls://host:port
// with the gateway's backendTLS client certificate (the engine's own mTLS
// listener, verified against backendTLS.ca for host).
func (s *Server) dialBackend(ctx context.Context, url string) (net.Conn, error) {
	if path, ok := strings.CutPrefix(url, "unix://"); ok {
		return s.dialer.DialContext(ctx, "unix", path)
	}
	addr, ok := strings.CutPrefix(url, "tls://")
	if !ok || s.backendTLS == nil {
		return nil, fmt.Errorf("backend %q: no way to dial it", url)
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	raw, err := s.dialer.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	cfg := s.backendTLS.Clone()
	cfg.ServerName = host
	c := tls.Client(raw, cfg)
	if err := c.HandshakeContext(ctx); err != nil {
		raw.Close()
		return nil, fmt.Errorf("tls handshake with %s: %w", addr, err)
	}
	return c, nil
}

// engineGone answers a connection whose session is pinned to an engine
// that is down or unknown: outcome error, reason session-engine-gone, and
// the client fails the run (it never moves to another engine). It reports
// whether err was such a case.
func (s *Server) engineGone(conn net.Conn, rec *AuditRecord, p *pool, hello ClientHello, err error) bool {
	if !errors.Is(err, errEngineGone) {
		return false
	}
	rec.Reason, rec.Detail, rec.Engine = engineconfig.ReasonEngineGone, err.Error(), hello.Engine
	for _, b := range p.backends {
		if b.id == hello.Engine {
			s.metrics.backendState(p.tier, b)
		}
	}
	_ = writeLine(conn, ServerHello{Version: ProtocolVersion, Error: OutcomeError, Reason: rec.Reason,
		Detail: fmt.Sprintf("engine %s of tier %q, which this session runs on, is gone; the session cannot move", hello.Engine, p.tier)})
	return true
}

// endLease releases a proxied connection's hold on its engine and updates
// the connection and session gauges.
func (s *Server) endLease(l *lease) {
	l.release()
	s.metrics.closed(l.p.tier, l.b.id)
}
