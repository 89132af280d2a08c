package pipeline

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"dagger.io/dagger"
)

// DefaultConnectTimeout bounds reaching the engine.
const DefaultConnectTimeout = 20 * time.Second

// aliveInterval is the pause between the engine probes of alive.
const aliveInterval = 250 * time.Millisecond

// session is one Dagger connection: the `dagger session` child this
// process started and the SDK client talking to it. pinline starts the
// child itself (instead of letting the SDK do it) so that connecting is
// bounded and the child, which can ignore SIGTERM, is always killed.
type session struct {
	client *dagger.Client
	cmd    *exec.Cmd
	stdin  io.Closer
	stderr *lockedBuffer
	done   chan struct{}
	// spans receives the CLI's telemetry (exec cache hits); nil when the
	// receiver could not start.
	spans  *spanSink
	closed sync.Once
}

// connect probes the engine address, starts the CLI session and connects
// the SDK. Every failure wraps ErrEngine.
func connect(ctx context.Context, e Engine, log io.Writer) (*session, error) {
	timeout := e.ConnectTimeout
	if timeout <= 0 {
		timeout = DefaultConnectTimeout
	}
	if e.CLI == "" {
		return nil, fmt.Errorf("%w: no dagger CLI configured", ErrEngine)
	}
	if err := probe(ctx, e.Address, min(timeout, 5*time.Second)); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrEngine, e.Address, err)
	}

	cmd := exec.Command(e.CLI, "session", "--label", "dagger.io/sdk.name:go", "--label", "dev.pinline.client:run")
	// Never signing material or credentials: the child is a separate
	// program talking to a remote engine (childenv.go).
	cmd.Env = append(childEnv(e.Env),
		"_EXPERIMENTAL_DAGGER_RUNNER_HOST="+e.Address, "DO_NOT_TRACK=1", "DAGGER_NO_NAG=1")
	// Telemetry is best effort: without the receiver, runs record no
	// exec cache hits and are otherwise the same.
	spans, serr := newSpanSink()
	if serr == nil {
		// The caller's OpenTelemetry settings (a signal-specific endpoint,
		// compression, another protocol) would redirect or change the
		// export: the child gets pinline's only.
		cmd.Env = append(slices.DeleteFunc(cmd.Env, func(kv string) bool { return strings.HasPrefix(kv, "OTEL_") }), spans.Env()...)
		if e.liveLogs {
			cmd.Env = append(cmd.Env, spans.LogsEnv()...)
		}
	}
	// Own process group: the whole group is killed on close.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrEngine, err)
	}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrEngine, err)
	}
	s := &session{cmd: cmd, stdin: stdin, stderr: &lockedBuffer{}, done: make(chan struct{}), spans: spans}
	if log == nil {
		log = io.Discard
	}
	cmd.Stderr = io.MultiWriter(s.stderr, log)
	if err := cmd.Start(); err != nil {
		if spans != nil {
			_ = spans.Close()
		}
		return nil, fmt.Errorf("%w: start %s: %w", ErrEngine, e.CLI, err)
	}
	go func() {
		_ = cmd.Wait()
		// Nothing exports to the receiver once the CLI is gone (Close
		// and kill both end here); the spans stay readable.
		if spans != nil {
			_ = spans.Close()
		}
		close(s.done)
	}()

	type params struct {
		Port         int    `json:"port"`
		SessionToken string `json:"session_token"`
	}
	got := make(chan params, 1)
	errc := make(chan error, 1)
	go func() {
		line, err := bufio.NewReader(stdout).ReadBytes('\n')
		if err != nil {
			errc <- fmt.Errorf("session ended before it was ready")
			return
		}
		var p params
		if err := json.Unmarshal(line, &p); err != nil || p.Port == 0 {
			errc <- fmt.Errorf("unexpected session output")
			return
		}
		got <- p
		_, _ = io.Copy(io.Discard, stdout)
	}()
	var p params
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	// A transport that knows the engine is unreachable (the gateway said
	// so) ends the wait at once instead of after the CLI's retries.
	var health <-chan time.Time
	if e.Health != nil {
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		health = t.C
	}
	for p.Port == 0 { // a params value from got always has a port
		select {
		case <-health:
			if herr := e.Health(); herr != nil {
				s.kill()
				return nil, fmt.Errorf("%w: %w", ErrEngine, herr)
			}
		case p = <-got:
		case err := <-errc:
			s.kill()
			return nil, fmt.Errorf("%w: %s: %w%s", ErrEngine, e.Address, err, s.tail())
		case <-timer.C:
			s.kill()
			return nil, fmt.Errorf("%w: %s: no session after %s%s", ErrEngine, e.Address, timeout, s.tail())
		case <-ctx.Done():
			s.kill()
			return nil, fmt.Errorf("%w: %w", ErrEngine, ctx.Err())
		}
	}

	client, err := dagger.Connect(ctx, dagger.WithConn(&engineConn{Client: httpClient(p.Port, p.SessionToken)}))
	if err != nil {
		s.kill()
		return nil, fmt.Errorf("%w: %w", ErrEngine, err)
	}
	s.client = client
	return s, nil
}

// Close ends the session: stdin closed (the CLI's own shutdown signal, on
// which it also flushes its telemetry), then the process group is killed if
// it is still there after a grace period. It may be called more than once.
func (s *session) Close() error {
	s.closed.Do(func() {
		if s.client != nil {
			_ = s.client.Close()
		}
		_ = s.stdin.Close()
		select {
		case <-s.done:
		case <-time.After(5 * time.Second):
			s.kill()
		}
	})
	return nil
}

// kill ends the CLI's process group and waits for it.
func (s *session) kill() {
	if s.cmd.Process != nil {
		_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
	}
	_ = s.stdin.Close()
	<-s.done
}

func (s *session) tail() string {
	t := strings.TrimSpace(s.stderr.String())
	if t == "" {
		return ""
	}
	if len(t) > 600 {
		t = "..." + t[len(t)-600:]
	}
	return "\n" + t
}

// probe dials the engine address once so that a missing socket or a
// closed port fails in milliseconds instead of after the CLI's retries.
func probe(ctx context.Context, address string, timeout time.Duration) error {
	u, err := url.Parse(address)
	if err != nil {
		return err
	}
	var network, addr string
	switch u.Scheme {
	case "unix":
		network, addr = "unix", u.Path
	case "tcp":
		network, addr = "tcp", u.Host
	default:
		return fmt.Errorf("unsupported engine address scheme %q", u.Scheme)
	}
	d := net.Dialer{Timeout: timeout}
	c, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return err
	}
	return c.Close()
}

// engineConn is the SDK's EngineConn over the session's local port.
type engineConn struct{ *http.Client }

func (c *engineConn) Host() string { return "dagger" }
func (c *engineConn) Close() error { return nil }

func httpClient(port int, token string) *http.Client {
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "tcp", fmt.Sprintf("127.0.0.1:%d", port))
		},
		MaxIdleConnsPerHost: 64,
	}
	return &http.Client{Transport: roundTripper(func(r *http.Request) (*http.Response, error) {
		r.SetBasicAuth(token, "")
		injectTrace(r) // a task's trace id: see telemetry.go
		return tr.RoundTrip(r)
	})}
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.b.Len() < 1<<20 {
		l.b.Write(p)
	}
	return len(p), nil
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// alive reports whether the session child still runs and the engine
// still accepts connections; a task error while either is gone is an
// engine failure, not a task failure. A dying engine can drop its client
// connections a moment before its listener, so the engine is probed three
// times over half a second. It returns false at once when ctx ends: the
// caller must then not read that as the engine being gone.
func (s *session) alive(ctx context.Context, address string) bool {
	for i := range 3 {
		if i > 0 {
			t := time.NewTimer(aliveInterval)
			select {
			case <-ctx.Done():
				t.Stop()
				return false
			case <-s.done:
				t.Stop()
				return false
			case <-t.C:
			}
		}
		select {
		case <-s.done:
			return false
		default:
		}
		if probe(ctx, address, 2*time.Second) != nil {
			return false
		}
	}
	return true
}
