package gateway

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
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
	sessions map[string]*liveSession
	now      func() time.Time
	// forgot is called (under mu) for each session forgotten after its
	// linger, with its engine id.
	forgot func(engine string)
}

type backend struct {
	// path is the socket path (unix) or host:port (tls).
	path string
	// id is the engine's name in announcements, metrics and the admin
	// socket ("<tier>-<index>"); never the socket path.
	id string
	// key is the backend address, unix:///path or tls://host:port: what
	// placement hashes (the same on every replica with this
	// configuration), what is dialled and what the audit log names.
	key      string
	active   int
	lastPick uint64
	// down is set by a failed health check or dial, cleared by a passing
	// health check.
	down atomic.Bool
	// draining: no new sessions; running ones (pinned connections) finish.
	draining atomic.Bool
	// sessions is how many sessions this replica has open on b.
	sessions int
}

// liveSession is a session this replica knows: it has open connections
// here, or had some less than sessionLinger ago (a Dagger session opens
// and closes connections; its long-lived one may sit on another replica,
// and the load view must not forget it between connections).
type liveSession struct {
	b     *backend
	conns int
	idle  time.Time // when conns dropped to 0
}

// sessionLinger is how long a session without connections still counts
// as load on its engine.
const sessionLinger = 30 * time.Second

// eligible reports whether b may take new work.
func (b *backend) eligible() bool { return !b.down.Load() && !b.draining.Load() }

// newPool builds the pool of tier; ids[i] names addrs[i], a backend URL
// (unix:///path or tls://host:port; a bare path means unix).
func newPool(tier string, addrs, ids []string) *pool {
	p := &pool{tier: tier, sessions: map[string]*liveSession{}, now: time.Now}
	for i, a := range addrs {
		id := fmt.Sprintf("%d", i)
		if i < len(ids) {
			id = ids[i]
		}
		key := a
		if !strings.Contains(a, "://") {
			key = "unix://" + a
		}
		_, path, _ := strings.Cut(key, "://")
		p.backends = append(p.backends, &backend{path: path, id: id, key: key})
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

// placement is the order in which a new session tries the engines:
// rendezvous rank over the eligible engines, with bounded load — engines
// already holding the most sessions this replica knows of go last (an
// engine takes a new session only while it has fewer than
// ceil((known sessions + 1) / eligible engines)); then, as a last resort
// (a health verdict may be stale), the non-draining engines marked down.
// With no sessions running it is plain rendezvous hashing: the same key
// and healthy set give the same engine on every replica. Under load two
// replicas may place differently, which is harmless: a session is placed
// once, by its first connection, and every later connection names its
// engine (ClientHello.Engine).
func (p *pool) placement(session string) []*backend {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.placementLocked(session)
}

func (p *pool) placementLocked(session string) []*backend {
	p.sweepLocked()
	var up, down []*backend
	total := 0
	for _, b := range p.backends {
		switch {
		case b.eligible():
			up = append(up, b)
			total += b.sessions
		case !b.draining.Load():
			down = append(down, b)
		}
	}
	ranked := rank(session, up)
	if len(up) > 0 {
		limit := (total + 1 + len(up) - 1) / len(up)
		var under, over []*backend
		for _, b := range ranked {
			if b.sessions < limit {
				under = append(under, b)
			} else {
				over = append(over, b)
			}
		}
		ranked = append(under, over...)
	}
	return append(ranked, rank(session, down)...)
}

// dialFunc connects to an engine by its backend URL.
type dialFunc func(ctx context.Context, url string) (net.Conn, error)

// errEngineGone is a pinned session whose engine is down or unknown.
var errEngineGone = errors.New("the session's engine is gone")

// lease is a connection's hold on a backend (and on its session's slot).
type lease struct {
	p       *pool
	b       *backend
	session string
	// newSession: this connection started the session on this replica.
	newSession bool
}

// release ends the hold.
func (l *lease) release() {
	l.p.mu.Lock()
	defer l.p.mu.Unlock()
	l.b.active--
	if l.session != "" {
		l.p.leaveLocked(l.session)
	}
}

// joinLocked counts a connection of session on b; it reports whether the
// session is new to this replica.
func (p *pool) joinLocked(session string, b *backend) bool {
	p.sweepLocked()
	ls := p.sessions[session]
	isNew := ls == nil
	if isNew {
		ls = &liveSession{b: b}
		p.sessions[session] = ls
		b.sessions++
	}
	ls.conns++
	return isNew
}

func (p *pool) leaveLocked(session string) {
	if ls := p.sessions[session]; ls != nil {
		if ls.conns--; ls.conns == 0 {
			ls.idle = p.now()
		}
	}
}

// sweepLocked forgets sessions idle for longer than sessionLinger.
func (p *pool) sweepLocked() {
	cut := p.now().Add(-sessionLinger)
	for k, ls := range p.sessions {
		if ls.conns == 0 && ls.idle.Before(cut) {
			delete(p.sessions, k)
			ls.b.sessions--
			if p.forgot != nil {
				p.forgot(ls.b.id)
			}
		}
	}
}

// sweep is sweepLocked for the health loop.
func (p *pool) sweep() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.sweepLocked()
}

// dial connects a connection to an engine. Without a session it goes to
// the least-loaded reachable backend; with a session and no engine it
// joins the session's engine if this replica already has the session
// open, else the session is placed (see placement); with both it goes to
// that engine or fails with errEngineGone (a session never moves). A
// failed dial marks the backend down until its next passing health check.
// The caller releases the lease when the connection ends.
func (p *pool) dial(ctx context.Context, dial dialFunc, session, engine string) (net.Conn, *lease, error) {
	if engine != "" {
		b := p.byID(engine)
		if b == nil {
			return nil, nil, fmt.Errorf("%w: tier %q has no engine %q", errEngineGone, p.tier, engine)
		}
		// Dialled even when marked down: a dead engine refuses at once,
		// and one that came back (its verdict is stale) keeps its session.
		c, err := dial(ctx, b.key)
		if err != nil {
			b.down.Store(true)
			return nil, nil, fmt.Errorf("%w: %s (%s): %w", errEngineGone, b.id, b.key, err)
		}
		return c, p.hold(b, session), nil
	}
	var errs []error
	try := func(b *backend) (net.Conn, error) {
		c, err := dial(ctx, b.key)
		if err != nil {
			b.down.Store(true)
			errs = append(errs, fmt.Errorf("%s: %w", b.path, err))
		} else {
			// It answered (the fallback over engines marked down): up
			// until the next health check says otherwise.
			b.down.Store(false)
		}
		return c, err
	}
	if session != "" {
		skip := map[*backend]bool{}
		for {
			b, l := p.claim(session, skip)
			if b == nil {
				break
			}
			c, err := try(b)
			if err == nil {
				return c, l, nil
			}
			l.release()
			skip[b] = true
		}
	} else {
		skip := map[*backend]bool{}
		for b := p.pick(skip); b != nil; b = p.pick(skip) {
			if c, err := try(b); err == nil {
				return c, &lease{p: p, b: b}, nil
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

// hold reserves b for a connection of session (may be "").
func (p *pool) hold(b *backend, session string) *lease {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.reserveLocked(b)
	l := &lease{p: p, b: b, session: session}
	if session != "" {
		l.newSession = p.joinLocked(session, b)
	}
	return l
}

// claim picks and reserves the engine for a connection of an unpinned
// session: the session's engine if this replica has it open, else the
// first of its placement not in skip (engines this connection already
// failed to reach). nil when none is left.
func (p *pool) claim(session string, skip map[*backend]bool) (*backend, *lease) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var b *backend
	if ls := p.sessions[session]; ls != nil && !skip[ls.b] {
		b = ls.b
	} else {
		for _, c := range p.placementLocked(session) {
			if !skip[c] {
				b = c
				break
			}
		}
	}
	if b == nil {
		return nil, nil
	}
	p.reserveLocked(b)
	return b, &lease{p: p, b: b, session: session, newSession: p.joinLocked(session, b)}
}
