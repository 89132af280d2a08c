package gateway

// Engine-native endpoints: an engine's own TLS listener reached with the
// client certificate, without a gateway in between.

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"

	engineconfig "github.com/pinline/pinline/engine-config"
)

// ErrEngineNative: the endpoint is not a pinline gateway (it negotiated
// no ALPN engineconfig.ALPNGateway) but an engine's own TLS listener;
// Dial returns it, Probe and StartForwarder handle it.
var ErrEngineNative = errors.New("not a pinline gateway")

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
