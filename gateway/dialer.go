package gateway

// The client side of the gateway protocol: the TLS handshake with a
// client certificate and the preface exchange (preface.go).

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
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
	ctx, cancel := context.WithTimeout(ctx, d.timeout())
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

// timeout is the bound of one dial with its handshake and preface
// exchange (Timeout, default 15s).
func (d *Dialer) timeout() time.Duration {
	if d.Timeout == 0 {
		return 15 * time.Second
	}
	return d.Timeout
}
