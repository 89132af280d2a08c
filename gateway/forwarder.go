package gateway

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	engineconfig "github.com/pinline/pinline/engine-config"
)

// ErrRefused is returned when the gateway refused the connection; the
// error text carries the gateway's reason.
var ErrRefused = errors.New("gateway refused the connection")

// ErrUnavailable is returned when the gateway admitted the client but
// could not reach any engine of its tier.
var ErrUnavailable = errors.New("gateway could not reach an engine")

// Dialer reaches the gateway with a client certificate and completes the
// preface exchange.
type Dialer struct {
	// Address is host:port of the gateway.
	Address string
	TLS     *tls.Config
	// Tier is the requested tier ("" lets the gateway choose).
	Tier    string
	Timeout time.Duration
}

// NewDialer builds a Dialer from a client engine.json with a tls block,
// checking the TLS material at now.
func NewDialer(c *engineconfig.Client, now time.Time) (*Dialer, error) {
	if !c.MTLS() {
		return nil, fmt.Errorf("engine config: %s has no tls block; nothing to forward", c.Engine.Address)
	}
	ep, err := c.Endpoint()
	if err != nil {
		return nil, err
	}
	tc, err := c.TLSConfig(now)
	if err != nil {
		return nil, err
	}
	return &Dialer{Address: ep.Path, TLS: tc, Tier: c.Engine.Tier, Timeout: 15 * time.Second}, nil
}

// Dial connects, sends the client preface and reads the gateway's. On
// success the returned connection carries the engine's byte stream.
func (d *Dialer) Dial(ctx context.Context) (*tls.Conn, ServerHello, error) {
	return d.exchange(ctx, ClientHello{})
}

// DialSession is Dial for a connection of session (a key from
// NewSessionKey): the gateway places every connection of one session on
// the same engine. engine "" lets the gateway place the session; otherwise
// it is the engine the gateway announced for the session's earlier
// connections, and the gateway connects there or fails (the session's
// engine is gone: ErrUnavailable), never elsewhere.
func (d *Dialer) DialSession(ctx context.Context, session, engine string) (*tls.Conn, ServerHello, error) {
	return d.exchange(ctx, ClientHello{Session: session, Engine: engine})
}

// Probe asks the gateway for the assignment only (tier, identity, builder
// id, cache mode): the gateway answers and closes without dialling an
// engine, so probing before the policy gate reaches no engine.
//
// When the endpoint is an engine's own TLS listener (ALPN other than
// engineconfig.ALPNGateway), Probe checks that the engine accepts the
// certificate and answers HTTP/2, and returns an engine-native
// assignment: the requested tier (nobody verified it), the certificate's
// own identity (nobody authorized it) and cache mode
// engineconfig.CacheEngineNative.
func (d *Dialer) Probe(ctx context.Context) (ServerHello, error) {
	c, h, err := d.exchange(ctx, ClientHello{Probe: true})
	if errors.Is(err, ErrEngineNative) {
		return d.probeNative(ctx)
	}
	if err != nil {
		return ServerHello{}, err
	}
	c.Close()
	return h, nil
}

func (d *Dialer) exchange(ctx context.Context, hello ClientHello) (*tls.Conn, ServerHello, error) {
	timeout := d.Timeout
	if timeout == 0 {
		timeout = 15 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	conn, err := d.handshake(ctx)
	if err != nil {
		return nil, ServerHello{}, err
	}
	if p := conn.ConnectionState().NegotiatedProtocol; p != engineconfig.ALPNGateway {
		conn.Close()
		return nil, ServerHello{}, fmt.Errorf("%w: %s negotiated ALPN %q", ErrEngineNative, d.Address, p)
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	fail := func(err error) (*tls.Conn, ServerHello, error) { conn.Close(); return nil, ServerHello{}, err }
	hello.Version, hello.Tier = ProtocolVersion, d.Tier
	if err := writeLine(conn, hello); err != nil {
		return fail(fmt.Errorf("gateway %s: send preface: %w", d.Address, err))
	}
	line, err := readLine(conn)
	if err != nil {
		return fail(fmt.Errorf("gateway %s: read preface: %w", d.Address, err))
	}
	h, err := ParseServerHello(line)
	if err != nil {
		return fail(fmt.Errorf("gateway %s: %w", d.Address, err))
	}
	if h.Error == OutcomeRefused {
		return fail(fmt.Errorf("%w: %s %s", ErrRefused, h.Reason, h.Detail))
	}
	if h.Error != "" {
		return fail(fmt.Errorf("%w: gateway %s: %s: %s", ErrUnavailable, d.Address, h.Reason, h.Detail))
	}
	_ = conn.SetDeadline(time.Time{})
	return conn, h, nil
}

// ErrEngineNative: the endpoint is not a pinline gateway (it negotiated
// no ALPN engineconfig.ALPNGateway) but an engine's own TLS listener;
// Dial returns it, Probe and StartForwarder handle it.
var ErrEngineNative = errors.New("not a pinline gateway")

// handshake dials the endpoint and completes the TLS handshake.
func (d *Dialer) handshake(ctx context.Context) (*tls.Conn, error) {
	var nd net.Dialer
	raw, err := nd.DialContext(ctx, "tcp", d.Address)
	if err != nil {
		return nil, fmt.Errorf("dial gateway %s: %w", d.Address, err)
	}
	conn := tls.Client(newBufConn(raw), d.TLS)
	if err := conn.HandshakeContext(ctx); err != nil {
		conn.Close()
		return nil, fmt.Errorf("dial gateway %s: %w", d.Address, err)
	}
	return conn, nil
}

// dialNative opens a plain TLS tunnel to an engine's own TLS listener.
func (d *Dialer) dialNative(ctx context.Context) (*tls.Conn, error) {
	hctx, cancel := context.WithTimeout(ctx, d.timeout())
	defer cancel()
	conn, err := d.handshake(hctx)
	if err != nil {
		return nil, err
	}
	if p := conn.ConnectionState().NegotiatedProtocol; p == engineconfig.ALPNGateway {
		conn.Close()
		return nil, fmt.Errorf("%s became a pinline gateway mid-run", d.Address)
	}
	return conn, nil
}

// probeNative checks that the engine behind an engine-native endpoint
// accepts the client certificate (with TLS 1.3 a rejected certificate
// shows only on the first read) and answers HTTP/2.
func (d *Dialer) probeNative(ctx context.Context) (ServerHello, error) {
	ctx, cancel := context.WithTimeout(ctx, d.timeout())
	defer cancel()
	conn, err := d.handshake(ctx)
	if err != nil {
		return ServerHello{}, err
	}
	defer conn.Close()
	if err := checkEngine(ctx, conn); err != nil {
		return ServerHello{}, fmt.Errorf("engine %s (engine-native TLS) did not accept the connection: %w", d.Address, err)
	}
	var leaf *x509.Certificate
	if cs := d.TLS.Certificates; len(cs) > 0 {
		leaf = cs[0].Leaf
	}
	h := ServerHello{Version: ProtocolVersion, Tier: d.Tier, CacheMode: engineconfig.CacheEngineNative, EngineNative: true}
	if leaf != nil {
		h.Identity, h.Fingerprint, h.Serial = engineconfig.CertIdentity(leaf), engineconfig.Fingerprint(leaf), leaf.SerialNumber.Text(16)
	}
	return h, nil
}

func (d *Dialer) timeout() time.Duration {
	if d.Timeout == 0 {
		return 15 * time.Second
	}
	return d.Timeout
}

// Forwarder is a private unix socket that forwards every connection to
// the gateway over mTLS. Hand Address() to the Dagger SDK as the runner
// host.
type Forwarder struct {
	dialer *Dialer
	dir    string
	ln     net.Listener
	hello  ServerHello
	// session is this run's session key; engine the engine the gateway
	// placed it on (set by the first forwarded connection).
	session string
	engine  string
	// placing serialises connections until the session is placed, so the
	// session is placed exactly once, by one gateway replica.
	placing sync.Mutex
	wg      sync.WaitGroup
	mu      sync.Mutex
	errs    []error
	conns   map[net.Conn]struct{}
	closed  bool
}

// StartForwarder probes the gateway once (Dialer.Probe: no engine is
// dialled, so a refusal fails the run before it starts and the caller
// learns the tier, identity and builder id before its policy gate), then
// listens on <fresh dir under parent>/engine.sock with the directory at
// mode 0700. The gateway, and through it an engine, is dialled only when
// a client connects to that socket. parent "" means os.TempDir(). Stop it
// with Close.
func StartForwarder(ctx context.Context, d *Dialer, parent string) (*Forwarder, error) {
	h, err := d.Probe(ctx)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(parent, "pinline-fwd-")
	if err != nil {
		return nil, fmt.Errorf("forwarder dir: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("forwarder dir: %w", err)
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "unix", filepath.Join(dir, "engine.sock"))
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("forwarder listen: %w", err)
	}
	key, err := NewSessionKey()
	if err != nil {
		ln.Close()
		os.RemoveAll(dir)
		return nil, err
	}
	f := &Forwarder{dialer: d, dir: dir, ln: ln, hello: h, session: key, conns: map[net.Conn]struct{}{}}
	f.wg.Add(1)
	go f.accept(ctx)
	return f, nil
}

// Address is the runner host for the SDK: unix://<dir>/engine.sock.
func (f *Forwarder) Address() string { return "unix://" + f.ln.Addr().String() }

// Dir is the private directory holding the socket.
func (f *Forwarder) Dir() string { return f.dir }

// Announced is what the gateway announced: tier, identity, builder id,
// cache mode and certificate fingerprint.
func (f *Forwarder) Announced() ServerHello { return f.hello }

// Err returns the errors of forwarded connections so far (refusals, a
// tier that changed mid-run, no engine of the tier reachable:
// errors.Is(err, ErrUnavailable)).
func (f *Forwarder) Err() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return errors.Join(f.errs...)
}

// Close stops listening, closes forwarded connections, waits for them and
// removes the private directory.
func (f *Forwarder) Close() error {
	err := f.ln.Close()
	f.mu.Lock()
	f.closed = true
	for c := range f.conns {
		c.Close()
	}
	f.mu.Unlock()
	f.wg.Wait()
	if rerr := os.RemoveAll(f.dir); err == nil {
		err = rerr
	}
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}

// fail records err once: the SDK retries, and the same refusal or
// unreachable engine must not fill the run's error many times over.
func (f *Forwarder) fail(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, e := range f.errs {
		if e.Error() == err.Error() {
			return
		}
	}
	f.errs = append(f.errs, err)
}

func (f *Forwarder) track(c net.Conn, add bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if add && f.closed {
		c.Close()
	} else if add {
		f.conns[c] = struct{}{}
	} else {
		delete(f.conns, c)
	}
}

func (f *Forwarder) accept(ctx context.Context) {
	defer f.wg.Done()
	for {
		local, err := f.ln.Accept()
		if err != nil {
			return
		}
		f.wg.Add(1)
		go func() {
			defer f.wg.Done()
			f.track(local, true)
			defer f.track(local, false)
			if f.hello.EngineNative {
				remote, err := f.dialer.dialNative(ctx)
				if err != nil {
					local.Close()
					f.fail(fmt.Errorf("%w: %w", ErrUnavailable, err))
					return
				}
				f.track(remote, true)
				defer f.track(remote, false)
				pipe(local, remote, 0, nil)
				return
			}
			remote, h, err := f.dialSession(ctx)
			if err != nil {
				local.Close()
				f.fail(err)
				return
			}
			if h.Tier != f.hello.Tier || h.Identity != f.hello.Identity || h.BuilderID != f.hello.BuilderID {
				remote.Close()
				local.Close()
				f.fail(fmt.Errorf("gateway changed the assignment mid-run: tier %q→%q, builder %q→%q", f.hello.Tier, h.Tier, f.hello.BuilderID, h.BuilderID))
				return
			}
			f.track(remote, true)
			defer f.track(remote, false)
			pipe(local, remote, 0, nil)
		}()
	}
}

// NewSessionKey returns a fresh random session key (SessionKeyLen hex).
func NewSessionKey() (string, error) {
	var b [SessionKeyLen / 2]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("session key: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// Session is the run's session key, sent with every forwarded connection.
func (f *Forwarder) Session() string { return f.session }

// Engine is the engine the gateway placed the session on ("" until the
// first forwarded connection).
func (f *Forwarder) Engine() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.engine
}

// pin records the engine of the session's first connection and refuses a
// connection the gateway put elsewhere (two replicas that disagreed about
// the healthy set while the session's first connections were placed): a
// session never spans engines.
func (f *Forwarder) pin(engine string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case engine == "":
		return fmt.Errorf("gateway %s announced no engine for session %s (a gateway without session affinity)", f.dialer.Address, f.session)
	case f.engine == "":
		f.engine = engine
	case f.engine != engine:
		return fmt.Errorf("%w: gateway placed a connection of session %s on engine %s, the session runs on %s", ErrUnavailable, f.session, engine, f.engine)
	}
	return nil
}

// dialSession dials one connection of the session: while the session is
// not placed yet, one connection at a time (the first one places it);
// afterwards naming the engine, so the gateway connects there or fails.
func (f *Forwarder) dialSession(ctx context.Context) (*tls.Conn, ServerHello, error) {
	engine := f.Engine()
	if engine == "" {
		f.placing.Lock()
		defer f.placing.Unlock()
		engine = f.Engine()
	}
	c, h, err := f.dialer.DialSession(ctx, f.session, engine)
	if err != nil {
		return nil, h, err
	}
	if err := f.pin(h.Engine); err != nil {
		c.Close()
		return nil, h, err
	}
	return c, h, nil
}
