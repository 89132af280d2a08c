package gateway

// Session placement of a forwarder: every connection of one run carries
// the run's session key, and after the first one the engine the gateway
// placed the session on.

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"fmt"
)

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
