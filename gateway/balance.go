package gateway

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"sort"
	"sync"
	"sync/atomic"
)

// pool holds a tier's engines. Connections that carry a session key are
// placed by rendezvous hashing (see placeSession); connections without one
// go to the least-busy engine: fewest active connections first, ties to
// the backend picked longest ago (round robin), so idle backends share new
// work evenly. Either way only healthy, non-draining engines get new work.
type pool struct {
	tier     string
	mu       sync.Mutex
	backends []*backend
	tick     uint64
}

type backend struct {
	path string
	// id is the engine's name in announcements, metrics and the admin
	// socket ("<tier>-<index>"); never the socket path.
	id string
	// key is what placement hashes: the backend address, the same on
	// every gateway replica with this configuration.
	key      string
	active   int
	lastPick uint64
	// down is set by a failed health check or dial, cleared by a passing
	// health check.
	down atomic.Bool
	// draining: no new sessions; running ones (pinned connections) finish.
	draining atomic.Bool
}

// eligible reports whether b may take new work.
func (b *backend) eligible() bool { return !b.down.Load() && !b.draining.Load() }

// newPool builds the pool of tier; ids[i] names paths[i].
func newPool(tier string, paths, ids []string) *pool {
	p := &pool{tier: tier}
	for i, s := range paths {
		id := fmt.Sprintf("%d", i)
		if i < len(ids) {
			id = ids[i]
		}
		p.backends = append(p.backends, &backend{path: s, id: id, key: "unix://" + s})
	}
	return p
}

// byID returns the backend named id, or nil.
func (p *pool) byID(id string) *backend {
	for _, b := range p.backends {
		if b.id == id {
			return b
		}
	}
	return nil
}

// pick reserves the least-loaded eligible backend not in skip; when none
// is eligible it considers the non-draining ones marked down (a health
// verdict may be stale; a dial is cheap).
func (p *pool) pick(skip map[*backend]bool) *backend {
	p.mu.Lock()
	defer p.mu.Unlock()
	var best *backend
	for _, pass := range []func(*backend) bool{(*backend).eligible, func(b *backend) bool { return !b.draining.Load() }} {
		for _, b := range p.backends {
			if skip[b] || !pass(b) {
				continue
			}
			if best == nil || b.active < best.active || (b.active == best.active && b.lastPick < best.lastPick) {
				best = b
			}
		}
		if best != nil {
			break
		}
	}
	if best != nil {
		p.reserveLocked(best)
	}
	return best
}

func (p *pool) reserveLocked(b *backend) {
	p.tick++
	b.active++
	b.lastPick = p.tick
}

func (p *pool) reserve(b *backend) {
	p.mu.Lock()
	p.reserveLocked(b)
	p.mu.Unlock()
}

func (p *pool) release(b *backend) {
	p.mu.Lock()
	b.active--
	p.mu.Unlock()
}

// rendezvousScore is the weight of backend key for session: the first 8
// bytes of SHA-256(session NUL key). The session goes to the eligible
// backend with the highest score, so every replica with the same healthy
// set places a session on the same engine, and removing an engine moves
// only the sessions that were on it.
func rendezvousScore(session, key string) uint64 {
	h := sha256.New()
	h.Write([]byte(session))
	h.Write([]byte{0})
	h.Write([]byte(key))
	var sum [sha256.Size]byte
	return binary.BigEndian.Uint64(h.Sum(sum[:0]))
}

// rank orders cands by descending rendezvous score for session.
func rank(session string, cands []*backend) []*backend {
	out := append([]*backend(nil), cands...)
	sort.Slice(out, func(i, j int) bool {
		si, sj := rendezvousScore(session, out[i].key), rendezvousScore(session, out[j].key)
		if si != sj {
			return si > sj
		}
		return out[i].key < out[j].key
	})
	return out
}

// placement is the order in which a new session tries the engines: the
// eligible ones by rendezvous rank, then (a health verdict may be stale)
// the non-draining ones marked down.
func (p *pool) placement(session string) []*backend {
	var up, down []*backend
	for _, b := range p.backends {
		switch {
		case b.eligible():
			up = append(up, b)
		case !b.draining.Load():
			down = append(down, b)
		}
	}
	return append(rank(session, up), rank(session, down)...)
}

// dialFunc connects to an engine socket.
type dialFunc func(ctx context.Context, path string) (net.Conn, error)

// errEngineGone is a pinned session whose engine is down or unknown.
var errEngineGone = errors.New("the session's engine is gone")

// dial connects a connection to an engine. Without a session it goes to
// the least-loaded reachable backend; with a session and no engine it is
// placed by rendezvous hashing; with both it goes to that engine or fails
// with errEngineGone (a session never moves). A failed dial marks the
// backend down until its next passing health check. The caller releases
// the returned backend when the connection ends.
func (p *pool) dial(ctx context.Context, dial dialFunc, session, engine string) (net.Conn, *backend, error) {
	if engine != "" {
		b := p.byID(engine)
		if b == nil {
			return nil, nil, fmt.Errorf("%w: tier %q has no engine %q", errEngineGone, p.tier, engine)
		}
		if b.down.Load() {
			return nil, nil, fmt.Errorf("%w: engine %s failed its health check", errEngineGone, b.id)
		}
		c, err := dial(ctx, b.path)
		if err != nil {
			b.down.Store(true)
			return nil, nil, fmt.Errorf("%w: %s (%s): %w", errEngineGone, b.id, b.path, err)
		}
		p.reserve(b)
		return c, b, nil
	}
	var errs []error
	try := func(b *backend) (net.Conn, error) {
		c, err := dial(ctx, b.path)
		if err != nil {
			b.down.Store(true)
			errs = append(errs, fmt.Errorf("%s: %w", b.path, err))
		}
		return c, err
	}
	if session != "" {
		for _, b := range p.placement(session) {
			if c, err := try(b); err == nil {
				p.reserve(b)
				return c, b, nil
			}
		}
	} else {
		skip := map[*backend]bool{}
		for b := p.pick(skip); b != nil; b = p.pick(skip) {
			if c, err := try(b); err == nil {
				return c, b, nil
			}
			p.release(b)
			skip[b] = true
		}
	}
	if len(errs) == 0 {
		return nil, nil, errors.New("no backends (all draining)")
	}
	return nil, nil, errors.Join(errs...)
}
