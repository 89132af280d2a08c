package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	engineconfig "github.com/pinline/pinline/engine-config"
	"github.com/pinline/pinline/gateway"
	"github.com/pinline/pinline/pipeline"
)

// engineTarget is how a run reaches its engine: directly (unix or loopback
// tcp) or through the mTLS gateway via an in-process forwarder. For `pinline
// run`: Address goes to pipeline.Engine.Address; the announced fields go to
// pipeline.Options (Tier, BuilderID, CacheMode, Who.Identity,
// Who.Fingerprint) and Gateway to record.Engine.Gateway.
type engineTarget struct {
	Address string
	// Gateway is the gateway's tcp address ("" when direct).
	Gateway     string
	Tier        string
	Identity    string
	Fingerprint string
	BuilderID   string
	CacheMode   string
	// SnapshotFrom is set when the tier reads another tier's caches as
	// snapshots (pipeline.CacheModeSnapshot).
	SnapshotFrom  string
	SnapshotImage string
	// Native is the address of an engine's own TLS listener reached
	// without a gateway (engine-native mode: the tier is only requested
	// and the identity was never authorized); "" otherwise.
	Native string

	fwd *gateway.Forwarder
}

// Close stops the forwarder (if any) and reports errors its connections
// met (refusals, a changed assignment): a run that saw one must fail.
func (e *engineTarget) Close() error {
	if e.fwd == nil {
		return nil
	}
	ferr := e.fwd.Err()
	return errors.Join(ferr, e.fwd.Close())
}

// openEngine loads engine.json at path and, for an mTLS endpoint, starts
// the forwarder asking for tier ("" lets the gateway choose; a non-empty
// tier overrides engine.json's). Errors are classified for exit codes: bad
// file → 2, refused by the gateway → 1, unreachable → 3.
func openEngine(ctx context.Context, path, tier string, now time.Time) (*engineTarget, error) {
	cfg, err := engineconfig.LoadClient(path)
	if err != nil {
		return nil, err
	}
	return openClient(ctx, cfg, tier, now)
}

// openClient is openEngine for an already loaded engine.json.
func openClient(ctx context.Context, cfg *engineconfig.Client, tier string, now time.Time) (*engineTarget, error) {
	if !cfg.MTLS() {
		return &engineTarget{Address: cfg.Engine.Address, Tier: tier}, nil
	}
	d, err := newDialer(cfg, tier, now)
	if err != nil {
		return nil, err
	}
	fwd, err := gateway.StartForwarder(ctx, d, "")
	if errors.Is(err, gateway.ErrRefused) {
		return nil, deniedErr(err)
	}
	if err != nil {
		return nil, opErr(err)
	}
	a := fwd.Announced()
	if a.EngineNative {
		return &engineTarget{Address: fwd.Address(), Native: d.Address, Tier: a.Tier, Identity: a.Identity,
			Fingerprint: a.Fingerprint, CacheMode: a.CacheMode, fwd: fwd}, nil
	}
	return &engineTarget{Address: fwd.Address(), Gateway: d.Address, Tier: a.Tier, Identity: a.Identity,
		Fingerprint: a.Fingerprint, BuilderID: a.BuilderID, CacheMode: a.CacheMode, SnapshotFrom: a.SnapshotFrom, SnapshotImage: a.SnapshotImage, fwd: fwd}, nil
}

// viaGateway makes `pinline run` go through the mTLS gateway when the
// engine.json has a tls block: it starts the forwarder (whose probe
// reaches no engine, so the policy gate still runs before any engine
// connection, with the announced tier), points the engine
// at its socket and takes tier, builder id, cache mode and identity from
// what the gateway announced (the gateway decides; --tier / PINLINE_TIER
// only asks, and asking above the certificate is refused: exit 1). The
// returned stop closes the forwarder. For other endpoints it does nothing.
func viaGateway(ctx context.Context, s *streams, o *runOptions, cfg *engineconfig.Client, opts *pipeline.Options) (func(), error) {
	if !cfg.MTLS() {
		return func() {}, nil
	}
	requested := o.tier
	if requested == "" {
		requested, _ = EnvTier.Lookup(s.env)
	}
	tgt, err := openClient(ctx, cfg, requested, time.Now())
	if err != nil {
		return nil, err
	}
	if tgt.Native == "" {
		pipeline.UseGateway(opts, tgt.fwd, tgt.Gateway)
		opts.Tier, opts.BuilderID = tgt.Tier, tgt.BuilderID
	} else {
		// An engine's own TLS listener: nobody checked the tier or who
		// the certificate names; the record says so, and the builder id
		// is one no gateway tier has.
		opts.Engine.Address, opts.Engine.GatewayCacheMode = tgt.Address, tgt.CacheMode
		opts.Engine.Health = tgt.fwd.Err
		opts.Engine.NativeTLS, opts.Engine.TierUnverified = tgt.Native, true
		if tgt.Tier != "" {
			opts.Tier = tgt.Tier
		}
		opts.BuilderID = pipeline.NativeBuilderID
		opts.CacheMode = pipeline.CacheModeRW
	}
	opts.Who.Identity, opts.Who.Fingerprint = tgt.Identity, tgt.Fingerprint
	return func() {
		// Forwarded connections' errors reach the run through
		// Engine.Health; only the shutdown's own error is reported here.
		if err := tgt.fwd.Close(); err != nil {
			fmt.Fprintf(s.errOut, "pinline: gateway forwarder: %v\n", err)
		}
	}, nil
}

// newDialer is the gateway dialer of cfg, asking for tier when it is set
// (a non-empty tier overrides engine.json's).
func newDialer(cfg *engineconfig.Client, tier string, now time.Time) (*gateway.Dialer, error) {
	d, err := gateway.NewDialer(cfg, now)
	if err != nil {
		return nil, err
	}
	if tier != "" {
		d.Tier = tier
	}
	return d, nil
}

// engineConfigPath is the client engine.json: the flag, else
// $PINLINE_ENGINE_CONFIG ("" when neither is set).
func engineConfigPath(s *streams, flag string) string {
	if flag != "" {
		return flag
	}
	p, _ := EnvEngineConfig.Lookup(s.env)
	return p
}
