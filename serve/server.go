package serve

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/pinline/pinline/attest"
	engineconfig "github.com/pinline/pinline/engine-config"
	"github.com/pinline/pinline/internal/errclass"
	"github.com/pinline/pinline/spec"
)

// Options are what `pinline serve` passes besides the configuration.
type Options struct {
	// Version is pinline's version (internalParameters.serverVersion).
	Version string
	// DaggerCLI is the dagger CLI when the configuration names none.
	DaggerCLI string
	// LookupEnv resolves the tiers' passwordEnv and env secret sources
	// (the server's environment).
	LookupEnv func(string) (string, bool)
	// Audit receives the audit log when the configuration names no file
	// (default: standard error).
	Audit io.Writer
	// Log receives diagnostics (default: discarded).
	Log io.Writer
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Server is a running control plane.
type Server struct {
	cfg     *Config
	opts    Options
	tiers   map[string]*tierState
	audit   *auditLog
	auditF  *os.File
	tlsConf *tls.Config
	http    *http.Server
	ln      net.Listener

	// runCtx is the parent of every run; cancelRuns ends them (drain
	// after the grace period).
	runCtx     context.Context
	cancelRuns context.CancelFunc
	wg         sync.WaitGroup
	fetches    chan struct{}

	mu       sync.Mutex
	runs     map[string]*run
	draining bool
}

// tierState is a tier with what the server loaded for it once at start.
type tierState struct {
	*Tier
	signer  attest.Signer
	keyID   string
	secrets *spec.SecretsFile
	// running counts executing runs; waiting is the FIFO queue.
	running int
	waiting []*run
}

// errStart classes start-up failures that are not the configuration's
// fault (exit 3).
var errStart = errclass.New(errclass.ErrOperational, "server start failed")

// New loads every tier's key (decrypted once, here), secrets file and TLS
// material, recovers the store (interrupted runs are marked failed) and
// returns a server ready to Serve.
func New(ctx context.Context, cfg *Config, o Options) (*Server, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.LookupEnv == nil {
		o.LookupEnv = func(string) (string, bool) { return "", false }
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	if cfg.DaggerCLI == "" {
		cfg.DaggerCLI = o.DaggerCLI
	}
	s := &Server{cfg: cfg, opts: o, tiers: map[string]*tierState{}, runs: map[string]*run{}, fetches: make(chan struct{}, 4)}
	tc, err := cfg.serverTLS(o.Now())
	if err != nil {
		return nil, err
	}
	s.tlsConf = tc
	for i := range cfg.Tiers {
		t := &cfg.Tiers[i]
		ts := &tierState{Tier: t}
		if ts.signer, err = attest.LoadSigner(ctx, t.Signing.Key, s.password(t)); err != nil {
			return nil, fmt.Errorf("tier %q: signing key: %w", t.Name, err)
		}
		if ts.keyID, err = attest.KeyHint(ts.signer.PublicKey()); err != nil {
			return nil, fmt.Errorf("tier %q: signing key: %w", t.Name, err)
		}
		if t.Secrets != "" {
			if ts.secrets, err = spec.LoadSecretsFile(t.Secrets); err != nil {
				return nil, errclass.Wrap(errclass.ErrBadInput, fmt.Errorf("tier %q: secrets: %w", t.Name, err))
			}
		}
		if t.Engine.Config != "" {
			if _, err := engineconfig.LoadClient(t.Engine.Config); err != nil {
				return nil, fmt.Errorf("tier %q: engine.config: %w", t.Name, err)
			}
		}
		s.tiers[t.Name] = ts
	}
	if cfg.DaggerCLI == "" {
		return nil, errclass.Wrap(errclass.ErrBadInput, errors.New("no dagger CLI: set daggerCLI in the configuration"))
	}
	if err := s.checkSecretSources(); err != nil {
		return nil, err
	}
	if _, err := exec.LookPath("git"); err != nil {
		return nil, fmt.Errorf("%w: the server fetches sources with git: %w", errStart, err)
	}
	aw := o.Audit
	if cfg.AuditLog != "" && cfg.AuditLog != "-" {
		f, err := os.OpenFile(cfg.AuditLog, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
		if err != nil {
			return nil, fmt.Errorf("%w: audit log: %w", errStart, err)
		}
		s.auditF, aw = f, f
	}
	if aw == nil {
		aw = os.Stderr
	}
	s.audit = newAuditLog(aw)
	if err := s.recoverState(); err != nil {
		return nil, fmt.Errorf("%w: store %s: %w", errStart, cfg.Store, err)
	}
	s.runCtx, s.cancelRuns = context.WithCancel(context.WithoutCancel(ctx))
	s.http = &http.Server{Handler: s.Handler(), TLSConfig: tc, ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout: time.Minute, IdleTimeout: 2 * time.Minute,
		ErrorLog: log.New(errorLogAudit{s}, "", 0)}
	return s, nil
}

// password returns the tier key's password source: a file, a variable of
// the server's environment, or none (an unencrypted KMS key needs none).
func (s *Server) password(t *Tier) attest.PasswordFunc {
	return func() ([]byte, error) {
		switch {
		case t.Signing.PasswordFile != "":
			b, err := os.ReadFile(t.Signing.PasswordFile)
			if err != nil {
				return nil, err
			}
			if n := len(b); n > 0 && b[n-1] == '\n' {
				b = b[:n-1]
			}
			return b, nil
		case t.Signing.PasswordEnv != "":
			v, ok := s.opts.LookupEnv(t.Signing.PasswordEnv)
			if !ok {
				return nil, fmt.Errorf("%s is not set", t.Signing.PasswordEnv)
			}
			return []byte(v), nil
		}
		return []byte{}, nil
	}
}

func (c *Config) serverTLS(now time.Time) (*tls.Config, error) {
	cert, err := engineconfig.LoadKeyPair("tls", c.TLS.Cert, c.TLS.Key, now)
	if err != nil {
		return nil, err
	}
	pool, err := engineconfig.LoadCAPool("tls.clientCAs", c.TLS.ClientCAs...)
	if err != nil {
		return nil, err
	}
	tc := engineconfig.ServerTLSConfig(cert, pool)
	tc.NextProtos = []string{"h2", "http/1.1"}
	// A certificate that is presented must verify (else the handshake
	// fails, and is audited from the server's error log); a client with
	// none reaches the handler, which refuses it with 401 and audits it.
	tc.ClientAuth = tls.VerifyClientCertIfGiven
	return tc, nil
}

// Listen opens the listener (the configuration's address, or addr when
// set: tests pass 127.0.0.1:0).
func (s *Server) Listen(addr string) (net.Addr, error) {
	if addr == "" {
		addr = s.cfg.Listen
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("%w: listen: %w", errStart, err)
	}
	s.ln = ln
	return ln.Addr(), nil
}

// Serve answers requests until Shutdown.
func (s *Server) Serve() error {
	if s.ln == nil {
		if _, err := s.Listen(""); err != nil {
			return err
		}
	}
	err := s.http.Serve(tls.NewListener(s.ln, s.tlsConf))
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Shutdown drains: no new submissions, queued runs are cancelled, running
// ones may finish within the configured grace period and are then
// cancelled (and recorded as interrupted); then the listener closes.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.draining = true
	for _, ts := range s.tiers {
		for _, r := range ts.waiting {
			s.finishQueued(r, StateCancelled, "cancelled: the server is shutting down")
		}
		ts.waiting = nil
	}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	t := time.NewTimer(s.cfg.ShutdownGrace)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		fmt.Fprintf(s.opts.Log, "pinline serve: grace period over, cancelling running runs\n")
		s.cancelRuns()
		select {
		case <-done:
		case <-ctx.Done():
		}
	case <-ctx.Done():
		s.cancelRuns()
		<-done
	}
	err := s.http.Shutdown(ctx)
	if s.auditF != nil {
		_ = s.auditF.Close()
	}
	return err
}

func (s *Server) now() time.Time { return s.opts.Now() }

// errorLogAudit turns the HTTP server's error log into audit lines: a
// failed TLS handshake (a certificate of no configured CA, an expired
// one, no TLS at all) is a refusal like any other.
type errorLogAudit struct{ s *Server }

var handshakeErr = regexp.MustCompile(`^http: TLS handshake error from (\S+): (.*)$`)

func (e errorLogAudit) Write(p []byte) (int, error) {
	line := strings.TrimSpace(string(p))
	if m := handshakeErr.FindStringSubmatch(line); m != nil {
		_ = e.s.audit.write(&AuditRecord{Time: e.s.now().UTC(), Remote: m[1], Outcome: "refused", Reason: engineconfig.ReasonHandshake, Detail: m[2]})
		return len(p), nil
	}
	fmt.Fprintf(e.s.opts.Log, "pinline serve: %s\n", line)
	return len(p), nil
}

// checkSecretSources refuses, at start, a tier secrets file that names a
// signing key, its password file or its password variable as a secret
// source: the key must never reach a task, whatever the operator mapped.
func (s *Server) checkSecretSources() error {
	real := func(p string) string {
		if r, err := filepath.EvalSymlinks(p); err == nil {
			return r
		}
		abs, _ := filepath.Abs(p)
		return abs
	}
	keyFiles, keyEnvs := map[string]string{}, map[string]string{}
	for _, ts := range s.tiers {
		if !strings.Contains(ts.Signing.Key, "://") {
			keyFiles[real(ts.Signing.Key)] = ts.Name
		}
		if ts.Signing.PasswordFile != "" {
			keyFiles[real(ts.Signing.PasswordFile)] = ts.Name
		}
		if ts.Signing.PasswordEnv != "" {
			keyEnvs[ts.Signing.PasswordEnv] = ts.Name
		}
	}
	for _, ts := range s.tiers {
		sf := ts.secrets
		if sf == nil {
			continue
		}
		for _, secrets := range sf.Tiers {
			for name, sec := range secrets {
				if f := sec.From.File; f != "" {
					if !filepath.IsAbs(f) {
						f = filepath.Join(filepath.Dir(sf.Path), f)
					}
					if tier, ok := keyFiles[real(f)]; ok {
						return errclass.Wrap(errclass.ErrBadInput, fmt.Errorf("%s:%d: secret %q reads tier %q's signing key material; signing keys never reach a task", sf.Path, sec.Pos.Line, name, tier))
					}
				}
				if tier, ok := keyEnvs[sec.From.Env]; ok && sec.From.Env != "" {
					return errclass.Wrap(errclass.ErrBadInput, fmt.Errorf("%s:%d: secret %q reads %s, tier %q's key password; signing keys never reach a task", sf.Path, sec.Pos.Line, name, sec.From.Env, tier))
				}
			}
		}
	}
	return nil
}
