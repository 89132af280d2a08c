package gateway

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
)

// Forwarder is a private unix socket that forwards every connection to
// the gateway over mTLS. Hand Address() to the Dagger SDK as the runner
// host.
type Forwarder struct {
	dialer *Dialer
	dir    string
	ln     net.Listener
	hello  ServerHello
	// session is this run's session key; engine the engine the gateway
	// placed it on (set by the first forwarded connection).
	session string
	engine  string
	// placing serialises connections until the session is placed, so the
	// session is placed exactly once, by one gateway replica.
	placing sync.Mutex
	wg      sync.WaitGroup
	mu      sync.Mutex
	errs    []error
	conns   map[net.Conn]struct{}
	closed  bool
}

// StartForwarder probes the gateway once (Dialer.Probe: no engine is
// dialled, so a refusal fails the run before it starts and the caller
// learns the tier, identity and builder id before its policy gate), then
// listens on <fresh dir under parent>/engine.sock with the directory at
// mode 0700. The gateway, and through it an engine, is dialled only when
// a client connects to that socket. parent "" means os.TempDir(). Stop it
// with Close.
func StartForwarder(ctx context.Context, d *Dialer, parent string) (*Forwarder, error) {
	h, err := d.Probe(ctx)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(parent, "pinline-fwd-")
	if err != nil {
		return nil, fmt.Errorf("forwarder dir: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("forwarder dir: %w", err)
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "unix", filepath.Join(dir, "engine.sock"))
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("forwarder listen: %w", err)
	}
	key, err := NewSessionKey()
	if err != nil {
		ln.Close()
		os.RemoveAll(dir)
		return nil, err
	}
	f := &Forwarder{dialer: d, dir: dir, ln: ln, hello: h, session: key, conns: map[net.Conn]struct{}{}}
	f.wg.Add(1)
	go f.accept(ctx)
	return f, nil
}

// Address is the runner host for the SDK: unix://<dir>/engine.sock.
func (f *Forwarder) Address() string { return "unix://" + f.ln.Addr().String() }

// Dir is the private directory holding the socket.
func (f *Forwarder) Dir() string { return f.dir }

// Announced is what the gateway announced: tier, identity, builder id,
// cache mode and certificate fingerprint.
func (f *Forwarder) Announced() ServerHello { return f.hello }

// Err returns the errors of forwarded connections so far (refusals, a
// tier that changed mid-run, no engine of the tier reachable:
// errors.Is(err, ErrUnavailable)).
func (f *Forwarder) Err() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return errors.Join(f.errs...)
}

// Close stops listening, closes forwarded connections, waits for them and
// removes the private directory.
func (f *Forwarder) Close() error {
	err := f.ln.Close()
	f.mu.Lock()
	f.closed = true
	for c := range f.conns {
		c.Close()
	}
	f.mu.Unlock()
	f.wg.Wait()
	if rerr := os.RemoveAll(f.dir); err == nil {
		err = rerr
	}
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}

// fail records err once: the SDK retries, and the same refusal or
// unreachable engine must not fill the run's error many times over.
func (f *Forwarder) fail(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, e := range f.errs {
		if e.Error() == err.Error() {
			return
		}
	}
	f.errs = append(f.errs, err)
}

func (f *Forwarder) track(c net.Conn, add bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if add && f.closed {
		c.Close()
	} else if add {
		f.conns[c] = struct{}{}
	} else {
		delete(f.conns, c)
	}
}

func (f *Forwarder) accept(ctx context.Context) {
	defer f.wg.Done()
	for {
		local, err := f.ln.Accept()
		if err != nil {
			return
		}
		f.wg.Add(1)
		go func() {
			defer f.wg.Done()
			f.track(local, true)
			defer f.track(local, false)
			if f.hello.EngineNative {
				remote, err := f.dialer.dialNative(ctx)
				if err != nil {
					local.Close()
					f.fail(fmt.Errorf("%w: %w", ErrUnavailable, err))
					return
				}
				f.track(remote, true)
				defer f.track(remote, false)
				pipe(local, remote, 0, nil)
				return
			}
			remote, h, err := f.dialSession(ctx)
			if err != nil {
				local.Close()
				f.fail(err)
				return
			}
			if h.Tier != f.hello.Tier || h.Identity != f.hello.Identity || h.BuilderID != f.hello.BuilderID {
				remote.Close()
				local.Close()
				f.fail(fmt.Errorf("gateway changed the assignment mid-run: tier %q→%q, builder %q→%q", f.hello.Tier, h.Tier, f.hello.BuilderID, h.BuilderID))
				return
			}
			f.track(remote, true)
			defer f.track(remote, false)
			pipe(local, remote, 0, nil)
		}()
	}
}
