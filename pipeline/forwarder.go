package pipeline

import (
	"context"
	"fmt"
	"io"

	"github.com/pinline/pinline/gateway"
	"github.com/pinline/pinline/record"
)

// startForwarder reaches the engine through the pinline mTLS gateway: it
// starts the client-side forwarder (a private unix socket that dials the
// gateway with the client certificate) and points the session at it. It
// runs only after the gate allowed the run. The gateway decides the tier:
// a tier other than the one the run was gated and its caches named for is
// refused. The identity, certificate fingerprint and builder id the
// gateway announced go into the record.
func startForwarder(ctx context.Context, o *Options, rec *record.Run) (io.Closer, error) {
	d, err := gateway.NewDialer(o.Engine.Gateway, o.Now())
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrEngine, err)
	}
	d.Tier = o.Tier
	if o.Engine.ConnectTimeout > 0 {
		d.Timeout = o.Engine.ConnectTimeout
	}
	f, err := gateway.StartForwarder(ctx, d, "")
	if err != nil {
		return nil, fmt.Errorf("%w: gateway %s: %w", ErrEngine, d.Address, err)
	}
	h := f.Announced()
	if h.Tier != o.Tier {
		_ = f.Close()
		return nil, fmt.Errorf("%w: gateway granted tier %q, the run was gated for tier %q", ErrEngine, h.Tier, o.Tier)
	}
	o.Engine.Address = f.Address()
	rec.Engine.Gateway = o.Engine.Gateway.Engine.Address
	rec.Who.Identity, rec.Who.Fingerprint = h.Identity, h.Fingerprint
	if h.BuilderID != "" {
		rec.BuilderID = h.BuilderID
	}
	return f, nil
}
