package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	engineconfig "github.com/pinline/pinline/engine-config"
	"github.com/pinline/pinline/gateway"
	"github.com/pinline/pinline/internal/errclass"
)

// EngineProbe is what ProbeEngine found (`pinline engine check`).
type EngineProbe struct {
	Address     string `json:"address"`
	MTLS        bool   `json:"mtls"`
	Reachable   bool   `json:"reachable"`
	Tier        string `json:"tier,omitempty"`
	Identity    string `json:"identity,omitempty"`
	BuilderID   string `json:"builderId,omitempty"`
	CacheMode   string `json:"cacheMode,omitempty"`
	Fingerprint string `json:"fingerprint,omitempty"`
	// Version is the engine's version, asked through the same path with
	// the dagger CLI when one is configured.
	Version string `json:"version,omitempty"`
}

// ProbeOptions configure ProbeEngine.
type ProbeOptions struct {
	// Tier is requested from the gateway ("": engine.json's).
	Tier string
	// DaggerCLI asks the engine for its version through the same path
	// ("": no version).
	DaggerCLI string
	// Timeout bounds the whole probe (zero: 15 s).
	Timeout time.Duration
	// Now is the time certificates are checked at (zero: time.Now()).
	Now time.Time
}

// ProbeEngine dials the endpoint of cfg once. Through the gateway, a
// preface means the handshake passed, the tier was assigned and the
// gateway reached one of the tier's engine sockets. A refusal by the
// gateway is errclass.ErrDenied, a malformed endpoint ErrBadInput, an
// unreachable one ErrOperational.
func ProbeEngine(ctx context.Context, cfg *engineconfig.Client, o ProbeOptions) (*EngineProbe, error) {
	if o.Timeout == 0 {
		o.Timeout = 15 * time.Second
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	res := &EngineProbe{Address: cfg.Engine.Address, MTLS: cfg.MTLS()}
	if !cfg.MTLS() {
		ep, err := cfg.Endpoint()
		if err != nil {
			return nil, errclass.Wrap(errclass.ErrBadInput, err)
		}
		var d net.Dialer
		c, err := d.DialContext(ctx, ep.Scheme, ep.Path)
		if err != nil {
			return nil, errclass.Wrap(errclass.ErrOperational, fmt.Errorf("engine %s: %w", cfg.Engine.Address, err))
		}
		c.Close()
		res.Reachable = true
		res.Version, err = EngineVersion(ctx, o.DaggerCLI, cfg.Engine.Address)
		return res, err
	}
	d, err := gateway.NewDialer(cfg, o.Now)
	if err != nil {
		return nil, err
	}
	if o.Tier != "" {
		d.Tier = o.Tier
	}
	d.Timeout = o.Timeout
	c, h, err := d.Dial(ctx)
	if errors.Is(err, gateway.ErrEngineNative) {
		// An engine's own TLS listener: the probe checks it accepts the
		// certificate and answers HTTP/2.
		h, err = d.Probe(ctx)
	} else if err == nil {
		c.Close()
	}
	if err != nil {
		return nil, gatewayErr(err)
	}
	res.Reachable = true
	if o.DaggerCLI != "" {
		fwd, err := gateway.StartForwarder(ctx, d, "")
		if err != nil {
			return nil, gatewayErr(err)
		}
		res.Version, err = EngineVersion(ctx, o.DaggerCLI, fwd.Address())
		if cerr := errors.Join(fwd.Err(), fwd.Close()); err == nil && cerr != nil {
			err = gatewayErr(cerr)
		}
		if err != nil {
			return nil, err
		}
	}
	res.Tier, res.Identity, res.BuilderID, res.CacheMode, res.Fingerprint = h.Tier, h.Identity, h.BuilderID, h.CacheMode, h.Fingerprint
	if h.EngineNative {
		res.BuilderID = NativeBuilderID
	}
	return res, nil
}

// gatewayErr classes a gateway error: refused is a denial, anything else
// operational.
func gatewayErr(err error) error {
	if errors.Is(err, gateway.ErrRefused) {
		return errclass.Wrap(errclass.ErrDenied, err)
	}
	return errclass.Wrap(errclass.ErrOperational, err)
}

// EngineVersion asks the engine at runner host addr for its version with
// `dagger query` run by cli; "" when cli is "".
func EngineVersion(ctx context.Context, cli, addr string) (string, error) {
	if cli == "" {
		return "", nil
	}
	cmd := exec.CommandContext(ctx, cli, "query", "--progress", "plain")
	cmd.Env = append(os.Environ(), "_EXPERIMENTAL_DAGGER_RUNNER_HOST="+addr, "DO_NOT_TRACK=1", "NO_COLOR=1")
	cmd.Stdin = strings.NewReader("{ version }")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	out, err := cmd.Output()
	if cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // a session child may outlive the CLI
	}
	if err != nil {
		return "", errclass.Wrap(errclass.ErrOperational, fmt.Errorf("engine version via %s: %w", cli, err))
	}
	var v struct {
		Version string `json:"version"`
	}
	if err := json.Unmarshal(out, &v); err != nil || v.Version == "" {
		return "", errclass.Wrap(errclass.ErrOperational, fmt.Errorf("engine version: unexpected answer %q", out))
	}
	return v.Version, nil
}
