package gateway

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"

	engineconfig "github.com/pinline/pinline/engine-config"
)

// initPools builds one pool per tier, engines named by Tier.EngineID, and
// publishes their initial state (healthy until a check says otherwise).
func (s *Server) initPools() {
	for i := range s.cfg.Tiers {
		t := &s.cfg.Tiers[i]
		paths := t.BackendPaths()
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

func (s *Server) dialUnix(ctx context.Context, path string) (net.Conn, error) {
	return s.dialer.DialContext(ctx, "unix", path)
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
