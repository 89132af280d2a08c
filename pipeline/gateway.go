package pipeline

import "github.com/pinline/pinline/gateway"

// UseGateway points o at a started forwarder to the mTLS gateway at
// gatewayAddr: the engine address is the forwarder's socket, and the
// record's gateway fields, the transport's health and the cache mode come
// from what the gateway announced. The caller decides tier, builder id and
// identity (`pinline run` takes the gateway's; `pinline serve` its own
// tier's). Not for an engine's own TLS listener (engine-native).
func UseGateway(o *Options, fwd *gateway.Forwarder, gatewayAddr string) {
	a := fwd.Announced()
	o.Engine.Address, o.Engine.Gateway, o.Engine.GatewayCacheMode = fwd.Address(), gatewayAddr, a.CacheMode
	// The gateway cannot reach an engine of the tier, or refused a later
	// connection: the run fails as operational (exit 3), not as a task.
	o.Engine.Health = fwd.Err
	o.Engine.GatewaySession, o.Engine.GatewayEngine = fwd.Session(), fwd.Engine
	o.CacheMode, o.SnapshotFrom, o.SnapshotImage = CacheModeRW, "", ""
	if a.SnapshotFrom != "" {
		o.CacheMode, o.SnapshotFrom, o.SnapshotImage = CacheModeSnapshot, a.SnapshotFrom, a.SnapshotImage
	}
}
