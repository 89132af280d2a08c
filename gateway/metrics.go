package gateway

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are the gateway's Prometheus series, on a registry of their own
// (no process-global state: several servers in one test binary do not
// collide). Labels are tier and engine ids and refusal reasons, never
// identities, fingerprints or socket paths.
type metrics struct {
	reg         *prometheus.Registry
	sessions    *prometheus.CounterVec
	sessionsAct *prometheus.GaugeVec
	conns       *prometheus.CounterVec
	connsAct    *prometheus.GaugeVec
	refusals    *prometheus.CounterVec
	bytes       *prometheus.CounterVec
	handshake   prometheus.Histogram
	up          *prometheus.GaugeVec
	draining    *prometheus.GaugeVec
}

func newMetrics() *metrics {
	te := []string{"tier", "engine"}
	m := &metrics{
		reg: prometheus.NewRegistry(),
		sessions: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "pinline_gateway_sessions_total",
			Help: "Sessions placed on an engine (a session key seen with no open connection)."}, te),
		sessionsAct: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "pinline_gateway_sessions_active",
			Help: "Sessions this replica knows on the engine: open connections, or some in the last 30 s."}, te),
		conns: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "pinline_gateway_connections_total",
			Help: "Connections proxied to an engine, by outcome when they ended."}, []string{"tier", "engine", "outcome"}),
		connsAct: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "pinline_gateway_connections_active",
			Help: "Open proxied connections."}, te),
		refusals: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "pinline_gateway_refusals_total",
			Help: "Connections refused or failed before proxying, by reason."}, []string{"reason"}),
		bytes: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "pinline_gateway_bytes_total",
			Help: "Bytes proxied; direction up is client to engine."}, []string{"tier", "engine", "direction"}),
		handshake: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "pinline_gateway_handshake_seconds",
			Help:    "TLS handshake plus client preface, for connections that completed both.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14)}),
		up: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "pinline_gateway_backend_up",
			Help: "1 when the engine passed its last health check or dial."}, te),
		draining: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "pinline_gateway_backend_draining",
			Help: "1 while an operator drains the engine (no new sessions)."}, te),
	}
	m.reg.MustRegister(m.sessions, m.sessionsAct, m.conns, m.connsAct, m.refusals, m.bytes, m.handshake, m.up, m.draining)
	return m
}

// backendState publishes a backend's health and draining flags.
func (m *metrics) backendState(tier string, b *backend) {
	m.up.WithLabelValues(tier, b.id).Set(boolGauge(!b.down.Load()))
	m.draining.WithLabelValues(tier, b.id).Set(boolGauge(b.draining.Load()))
}

func boolGauge(v bool) float64 {
	if v {
		return 1
	}
	return 0
}

// opened counts a proxied connection on engine; newSession: the first
// open connection of its session on this replica.
func (m *metrics) opened(tier, engine string, newSession bool) {
	m.connsAct.WithLabelValues(tier, engine).Inc()
	if newSession {
		m.sessions.WithLabelValues(tier, engine).Inc()
		m.sessionsAct.WithLabelValues(tier, engine).Inc()
	}
}

// closed ends a connection opened with opened. (A session stops being
// active when the replica forgets it, sessionLinger after its last
// connection closed: pool.forgot.)
func (m *metrics) closed(tier, engine string) {
	m.connsAct.WithLabelValues(tier, engine).Dec()
}

// ended accounts a connection's audit record.
func (m *metrics) ended(r *AuditRecord) {
	switch {
	case r.Outcome == OutcomeOK:
		m.conns.WithLabelValues(r.Tier, r.Engine, r.Outcome).Inc()
		m.bytes.WithLabelValues(r.Tier, r.Engine, "up").Add(float64(r.BytesUp))
		m.bytes.WithLabelValues(r.Tier, r.Engine, "down").Add(float64(r.BytesDown))
	case r.Outcome == OutcomeProbe:
	default:
		reason := r.Reason
		if reason == "" {
			reason = "internal"
		}
		m.refusals.WithLabelValues(reason).Inc()
	}
}

// ServeMetrics serves GET /metrics (Prometheus text format) on ln until
// ctx is cancelled.
func (s *Server) ServeMetrics(ctx context.Context, ln net.Listener) error {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError}))
	return serveHTTP(ctx, ln, mux)
}

// serveHTTP runs h on ln until ctx ends.
func serveHTTP(ctx context.Context, ln net.Listener, h http.Handler) error {
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = hs.Shutdown(sctx)
	}()
	if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve %s: %w", ln.Addr(), err)
	}
	return nil
}
