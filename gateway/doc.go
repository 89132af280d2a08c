// Package gateway is pinline's mTLS gateway in front of Dagger engine unix
// sockets, and the client-side forwarder that reaches it.
//
// The gateway terminates mTLS (configuration and *tls.Config from package
// engineconfig), maps the client certificate to exactly one trust tier,
// picks the least-loaded engine socket of that tier, tells the client what
// it got in a one-line JSON preface, proxies bytes, and writes one JSON
// audit line per connection. A probe preface gets the assignment without
// any engine being dialled (so a client can learn its tier, and run its
// policy gate, before it touches an engine). The forwarder starts with a
// probe, listens on a unix socket in a private directory, dials the
// gateway with the client certificate for every accepted connection and
// hands the Dagger SDK a plain unix:// runner host; an unreachable engine
// of the tier surfaces as ErrUnavailable in Forwarder.Err. The wire
// protocol is documented in docs/gateway.md and preface.go.
//
// Files by responsibility: server.go, session.go, balance.go, health.go,
// proxy.go, audit.go, metrics.go and admin.go are the gateway; preface.go
// the wire format both sides speak; dialer.go the client side of the
// handshake and preface (Dialer), native.go engine-native endpoints
// (an engine's own TLS listener), forwarder.go the forwarder's socket and
// connections, forwarder_session.go its session key and placement.
package gateway
