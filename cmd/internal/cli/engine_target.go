package cli

import (
	"context"
	"errors"
	"time"

	engineconfig "github.com/pinline/pinline/engine-config"
	"github.com/pinline/pinline/gateway"
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
	SnapshotFrom string

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
		return nil, configErr(err)
	}
	if !cfg.MTLS() {
		return &engineTarget{Address: cfg.Engine.Address, Tier: tier}, nil
	}
	d, err := gateway.NewDialer(cfg, now)
	if err != nil {
		return nil, configErr(err)
	}
	if tier != "" {
		d.Tier = tier
	}
	fwd, err := gateway.StartForwarder(ctx, d, "")
	if errors.Is(err, gateway.ErrRefused) {
		return nil, deniedErr(err)
	}
	if err != nil {
		return nil, opErr(err)
	}
	a := fwd.Announced()
	return &engineTarget{Address: fwd.Address(), Gateway: d.Address, Tier: a.Tier, Identity: a.Identity,
		Fingerprint: a.Fingerprint, BuilderID: a.BuilderID, CacheMode: a.CacheMode, SnapshotFrom: a.SnapshotFrom, fwd: fwd}, nil
}
