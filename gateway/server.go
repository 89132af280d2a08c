package gateway

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	engineconfig "github.com/pinline/pinline/engine-config"
)

// Server is the mTLS gateway.
type Server struct {
	cfg    *engineconfig.Gateway
	tls    *tls.Config
	audit  *auditLog
	pools  map[string]*pool
	now    func() time.Time
	dialer net.Dialer

	active   atomic.Int64 // authenticated connections
	shaking  handshakes   // connections in the TLS handshake or preface
	wg       sync.WaitGroup
	stop     chan struct{} // closed when the shutdown grace is over
	auditErr atomic.Pointer[error]
	failed   chan struct{}
	failOnce sync.Once

	metrics *metrics
	check   healthCheck
	// backendTLS is the client config toward tls:// engines (nil: none).
	backendTLS *tls.Config
	log        io.Writer // operator messages (health changes, draining); nil: none
}

// New loads the gateway's TLS material (checked at now) and returns a
// server that writes its audit log to audit.
func New(cfg *engineconfig.Gateway, audit io.Writer, now func() time.Time) (*Server, error) {
	if now == nil {
		now = time.Now
	}
	tc, err := cfg.ServerTLS(now())
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, tls: tc, audit: newAuditLog(audit), pools: map[string]*pool{}, now: now,
		stop: make(chan struct{}), failed: make(chan struct{}), metrics: newMetrics(), check: checkEngine,
		shaking: handshakes{max: cfg.MaxHandshakes, maxPer: cfg.MaxHandshakesPerSource, per: map[string]int{}}}
	if s.backendTLS, err = cfg.BackendClientTLS(now()); err != nil {
		return nil, err
	}
	s.initPools()
	return s, nil
}

// ListenAndServe listens on the configured address and serves until ctx
// is cancelled.
func (s *Server) ListenAndServe(ctx context.Context, ready func(net.Addr)) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", s.cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen %s: %w", s.cfg.Listen, err)
	}
	if ready != nil {
		ready(ln.Addr())
	}
	return s.Serve(ctx, ln)
}

// Serve accepts connections on ln until ctx is cancelled, then stops
// accepting, lets open connections finish for the shutdown grace, closes
// the rest and returns. It returns an error if the audit log cannot be
// written (fail closed: no unaudited connections).
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-ctx.Done():
		case <-s.failed:
		}
		ln.Close()
	}()
	go s.healthLoop(ctx)
	var acceptErr error
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() == nil && s.auditErr.Load() == nil {
				var ne net.Error
				if errors.As(err, &ne) && ne.Timeout() {
					continue
				}
				acceptErr = fmt.Errorf("accept: %w", err)
			}
			break
		}
		// Unauthenticated connections are bounded apart from established
		// ones, in total and per source address: idle sockets that never
		// finish a handshake use up only their own source's share.
		src := sourceOf(c.RemoteAddr())
		if detail, ok := s.shaking.acquire(src); !ok {
			c.Close()
			s.record(&AuditRecord{Time: s.now().UTC(), Remote: c.RemoteAddr().String(), Outcome: OutcomeRefused,
				Reason: engineconfig.ReasonHandshakeLimit, Detail: detail})
			continue
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.handle(ctx, c, src)
		}()
	}
	s.drain()
	if p := s.auditErr.Load(); p != nil {
		return fmt.Errorf("audit log: %w", *p)
	}
	return acceptErr
}

// drain waits for open connections for the shutdown grace, then closes
// them.
func (s *Server) drain() {
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	t := time.NewTimer(s.cfg.ShutdownGrace)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		close(s.stop)
		<-done
	}
}

func (s *Server) record(r *AuditRecord) {
	s.metrics.ended(r)
	if err := s.audit.write(r); err != nil {
		s.auditErr.CompareAndSwap(nil, &err)
		s.failOnce.Do(func() { close(s.failed) })
	}
}

// handle serves one connection and writes its audit record. It holds a
// handshake slot of src until the client is authenticated and assigned a
// tier, then an established slot (MaxConnections) while it is served.
func (s *Server) handle(ctx context.Context, raw net.Conn, src string) {
	var once sync.Once
	doneShaking := func() { once.Do(func() { s.shaking.release(src) }) }
	defer doneShaking()
	start := s.now()
	rec := &AuditRecord{Time: start.UTC(), Remote: raw.RemoteAddr().String(), Outcome: OutcomeError}
	defer func() {
		rec.DurationMS = s.now().Sub(start).Milliseconds()
		s.record(rec)
	}()
	refuse := func(reason, detail string) {
		rec.Outcome, rec.Reason, rec.Detail = OutcomeRefused, reason, detail
	}

	conn := tls.Server(newBufConn(raw), s.tls)
	defer conn.Close()
	deadline := start.Add(s.cfg.HandshakeTimeout)
	_ = raw.SetDeadline(deadline)
	hctx, cancel := context.WithDeadline(ctx, deadline)
	err := conn.HandshakeContext(hctx)
	cancel()
	if err != nil {
		refuse(classifyHandshake(err), err.Error())
		// A certificate that failed verification (wrong CA, expired) is
		// still described: what was presented, marked unverified. It
		// never yields an identity or a tier.
		var cve *tls.CertificateVerificationError
		if errors.As(err, &cve) && len(cve.UnverifiedCertificates) > 0 {
			describeCert(rec, cve.UnverifiedCertificates[0])
			rec.Unverified = true
		}
		return
	}
	leaf := conn.ConnectionState().PeerCertificates[0]
	describeCert(rec, leaf)

	line, err := readLine(conn)
	if err != nil {
		reason := engineconfig.ReasonBadPreface
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			reason = engineconfig.ReasonClientTimeout
		}
		refuse(reason, err.Error())
		_ = writeLine(conn, ServerHello{Version: ProtocolVersion, Error: OutcomeRefused, Reason: reason})
		return
	}
	hello, err := ParseClientHello(line)
	if err != nil {
		refuse(engineconfig.ReasonBadPreface, err.Error())
		_ = writeLine(conn, ServerHello{Version: ProtocolVersion, Error: OutcomeRefused, Reason: rec.Reason, Detail: err.Error()})
		return
	}
	s.metrics.handshake.Observe(s.now().Sub(start).Seconds())
	rec.RequestedTier, rec.Session = hello.Tier, hello.Session
	as, err := s.cfg.Assign(leaf, hello.Tier)
	if err != nil {
		var re *engineconfig.RefusedError
		if !errors.As(err, &re) {
			re = &engineconfig.RefusedError{Reason: "internal", Detail: err.Error()}
		}
		refuse(re.Reason, re.Detail)
		_ = writeLine(conn, ServerHello{Version: ProtocolVersion, Error: OutcomeRefused, Reason: re.Reason, Detail: re.Detail})
		return
	}
	rec.Tier, rec.Identity = as.Tier.Name, as.Identity
	doneShaking()
	if s.active.Add(1) > int64(s.cfg.MaxConnections) {
		s.active.Add(-1)
		refuse(engineconfig.ReasonConnLimit, fmt.Sprintf("limit %d", s.cfg.MaxConnections))
		_ = writeLine(conn, ServerHello{Version: ProtocolVersion, Error: OutcomeRefused, Reason: rec.Reason, Detail: rec.Detail})
		return
	}
	defer s.active.Add(-1)
	assigned := ServerHello{Version: ProtocolVersion, Tier: as.Tier.Name, Identity: as.Identity,
		BuilderID: as.Tier.BuilderID, CacheMode: as.Tier.CacheMode, SnapshotFrom: as.Tier.SnapshotFrom, SnapshotImage: as.Tier.SnapshotImage, Fingerprint: rec.Fingerprint, Serial: rec.Serial}
	if hello.Probe {
		// The assignment only: no backend is dialled.
		if err := writeLine(conn, assigned); err != nil {
			rec.Detail = "write preface: " + err.Error()
			return
		}
		rec.Outcome = OutcomeProbe
		return
	}

	p := s.pools[as.Tier.Name]
	dctx, cancel := context.WithDeadline(ctx, deadline)
	back, l, err := p.dial(dctx, s.dialBackend, hello.Session, hello.Engine)
	cancel()
	if err != nil && s.engineGone(conn, rec, p, hello, err) {
		return
	}
	if err != nil {
		// The audit log gets the dial errors (socket paths); the client
		// gets the tier and how many engines were tried.
		rec.Reason, rec.Detail = engineconfig.ReasonBackendDown, err.Error()
		_ = writeLine(conn, ServerHello{Version: ProtocolVersion, Error: OutcomeError, Reason: rec.Reason,
			Detail: fmt.Sprintf("no engine of tier %q answered (%d backend(s) tried; see the gateway audit log)", as.Tier.Name, len(p.backends))})
		return
	}
	b := l.b
	s.metrics.opened(p.tier, b.id, l.newSession)
	defer s.endLease(l)
	rec.Backend, rec.Engine, assigned.Engine = b.key, b.id, b.id
	s.metrics.backendState(p.tier, b)
	err = writeLine(conn, assigned)
	if err != nil {
		back.Close()
		rec.Detail = "write preface: " + err.Error()
		return
	}
	_ = raw.SetDeadline(time.Time{})
	st := pipe(conn, back, s.cfg.IdleTimeout, s.stop)
	rec.BytesUp, rec.BytesDown = st.up, st.down
	rec.Outcome = OutcomeOK
	if st.idle {
		rec.Reason = "idle-timeout"
	}
}

// describeCert records a client certificate's subject, fingerprint and
// serial.
func describeCert(rec *AuditRecord, c *x509.Certificate) {
	rec.Subject = c.Subject.String()
	rec.Fingerprint = engineconfig.Fingerprint(c)
	rec.Serial = c.SerialNumber.Text(16)
}

// classifyHandshake maps a TLS handshake error to a refusal reason.
func classifyHandshake(err error) string {
	msg := err.Error()
	var unknown x509.UnknownAuthorityError
	var invalid x509.CertificateInvalidError
	switch {
	case strings.Contains(msg, "didn't provide a certificate"):
		return engineconfig.ReasonNoClientCert
	case errors.As(err, &unknown):
		return "certificate-unknown-authority"
	case errors.As(err, &invalid) && invalid.Reason == x509.Expired:
		return "certificate-expired"
	case errors.Is(err, context.DeadlineExceeded) || strings.Contains(msg, "timeout"):
		return engineconfig.ReasonClientTimeout
	}
	return engineconfig.ReasonHandshake
}

// handshakes counts connections that have not authenticated yet, in total
// and per source address.
type handshakes struct {
	mu          sync.Mutex
	max, maxPer int
	total       int
	per         map[string]int
}

// acquire takes a slot for src, or says which limit is reached.
func (h *handshakes) acquire(src string) (string, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case h.per[src] >= h.maxPer:
		return fmt.Sprintf("%d connections from %s still in the handshake (maxHandshakesPerSource)", h.per[src], src), false
	case h.total >= h.max:
		return fmt.Sprintf("%d connections still in the handshake (maxHandshakes)", h.total), false
	}
	h.total++
	h.per[src]++
	return "", true
}

func (h *handshakes) release(src string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.total--
	if h.per[src]--; h.per[src] <= 0 {
		delete(h.per, src)
	}
}

// sourceOf is the source IP address of a connection (the port is not
// part of it).
func sourceOf(a net.Addr) string {
	if ta, ok := a.(*net.TCPAddr); ok {
		return ta.IP.String()
	}
	host, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	return host
}
