package gateway

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
)

// pool spreads a tier's connections over its engine sockets: least active
// connections first; ties go to the backend picked longest ago (round
// robin), so idle backends share new work evenly.
type pool struct {
	mu       sync.Mutex
	backends []*backend
	tick     uint64
}

type backend struct {
	path     string
	active   int
	lastPick uint64
}

func newPool(paths []string) *pool {
	p := &pool{}
	for _, s := range paths {
		p.backends = append(p.backends, &backend{path: s})
	}
	return p
}

// pick reserves the least-loaded backend not in skip.
func (p *pool) pick(skip map[*backend]bool) *backend {
	p.mu.Lock()
	defer p.mu.Unlock()
	var best *backend
	for _, b := range p.backends {
		if skip[b] {
			continue
		}
		if best == nil || b.active < best.active || (b.active == best.active && b.lastPick < best.lastPick) {
			best = b
		}
	}
	if best != nil {
		p.tick++
		best.active++
		best.lastPick = p.tick
	}
	return best
}

func (p *pool) release(b *backend) {
	p.mu.Lock()
	b.active--
	p.mu.Unlock()
}

// dial connects to the least-loaded reachable backend, trying each at most
// once. The caller releases the returned backend when the connection ends.
func (p *pool) dial(ctx context.Context, d *net.Dialer) (net.Conn, *backend, error) {
	skip := map[*backend]bool{}
	var errs []error
	for {
		b := p.pick(skip)
		if b == nil {
			if len(errs) == 0 {
				return nil, nil, errors.New("no backends")
			}
			return nil, nil, errors.Join(errs...)
		}
		c, err := d.DialContext(ctx, "unix", b.path)
		if err == nil {
			return c, b, nil
		}
		p.release(b)
		skip[b] = true
		errs = append(errs, fmt.Errorf("%s: %w", b.path, err))
	}
}
