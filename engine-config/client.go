package engineconfig

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pinline/pinline/internal/errclass"
	"github.com/pinline/pinline/internal/jsonerr"
)

// Client is the client engine.json, the format teams already use for Dagger:
//
//	{"engine": {"address": "tcp://host:port", "tls": {"ca": "...", "cert": "...", "key": "..."}}}
//
// Relative TLS paths are resolved against the directory of the file.
type Client struct {
	Engine ClientEngine `json:"engine"`
	// Path is the file the configuration was read from (not serialised).
	Path string `json:"-"`
}

// ClientEngine is the "engine" object of engine.json.
type ClientEngine struct {
	// Address is unix:///path, tcp://host:port (mTLS when TLS is set,
	// plaintext only to loopback).
	Address string     `json:"address"`
	TLS     *ClientTLS `json:"tls,omitempty"`
	// Tier optionally asks the gateway for a tier; the gateway refuses a
	// tier the certificate does not admit.
	Tier string `json:"tier,omitempty"`
}

// ClientTLS names the PEM files of an mTLS client.
type ClientTLS struct {
	CA   string `json:"ca"`
	Cert string `json:"cert"`
	Key  string `json:"key"`
	// ServerName overrides the name checked in the gateway certificate
	// (default: the host of Address).
	ServerName string `json:"serverName,omitempty"`
}

// Endpoint is a parsed engine address.
type Endpoint struct {
	Scheme string // "unix" or "tcp"
	// Path of the socket (unix) or host:port (tcp).
	Path string
	Host string
}

// ErrInvalid marks configuration errors (class errclass.ErrBadInput, exit 2).
var ErrInvalid = errclass.New(errclass.ErrBadInput, "invalid engine configuration")

// fileErr classes a configuration file that is missing or unreadable as bad
// input; other I/O errors stay operational.
func fileErr(err error) error {
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) {
		return errclass.Wrap(errclass.ErrBadInput, err)
	}
	return err
}

func invalidf(format string, a ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, a...)...)
}

// LoadClient reads and validates an engine.json. Errors name the file and
// wrap ErrInvalid for bad content.
func LoadClient(path string) (*Client, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fileErr(fmt.Errorf("read engine config: %w", err))
	}
	c, err := ParseClient(data, filepath.Dir(path))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	c.Path = path
	return c, nil
}

// ParseClient parses engine.json content; relative TLS paths are resolved
// against dir. It validates the structure but does not read the TLS files
// (Validate does).
func ParseClient(data []byte, dir string) (*Client, error) {
	var c Client
	if err := jsonerr.DecodeStrict(data, &c); err != nil {
		return nil, invalidf("parse: %v", err)
	}
	ep, err := ParseAddress(c.Engine.Address)
	if err != nil {
		return nil, err
	}
	if t := c.Engine.TLS; t != nil {
		if ep.Scheme != "tcp" {
			return nil, invalidf("engine.tls: TLS needs a tcp:// address, got %q", c.Engine.Address)
		}
		if t.CA == "" {
			return nil, invalidf("engine.tls.ca: missing (the CA that signed the gateway certificate)")
		}
		if t.Cert == "" && t.Key != "" {
			return nil, invalidf("engine.tls.cert: missing (engine.tls.key is set)")
		}
		if t.Cert != "" && t.Key == "" {
			return nil, invalidf("engine.tls.key: missing key for certificate %q", t.Cert)
		}
		if t.Cert == "" {
			return nil, invalidf("engine.tls.cert: missing (the gateway requires a client certificate)")
		}
		t.CA, t.Cert, t.Key = resolve(dir, t.CA), resolve(dir, t.Cert), resolve(dir, t.Key)
	} else if ep.Scheme == "tcp" && !isLoopback(ep.Host) {
		return nil, invalidf("engine.address: plaintext tcp to non-loopback host %q; add a tls block (mTLS through the pinline gateway)", ep.Host)
	}
	return &c, nil
}

// ParseAddress parses unix:///path or tcp://host:port.
func ParseAddress(addr string) (Endpoint, error) {
	if addr == "" {
		return Endpoint{}, invalidf("engine.address: missing")
	}
	u, err := url.Parse(addr)
	if err != nil {
		return Endpoint{}, invalidf("engine.address: %v", err)
	}
	switch u.Scheme {
	case "unix":
		p := u.Path
		if u.Host != "" || p == "" || !filepath.IsAbs(p) {
			return Endpoint{}, invalidf("engine.address: %q: want unix:///absolute/path", addr)
		}
		return Endpoint{Scheme: "unix", Path: p}, nil
	case "tcp":
		host, port, err := net.SplitHostPort(u.Host)
		if err != nil || host == "" || port == "" || (u.Path != "" && u.Path != "/") {
			return Endpoint{}, invalidf("engine.address: %q: want tcp://host:port", addr)
		}
		return Endpoint{Scheme: "tcp", Path: u.Host, Host: host}, nil
	default:
		return Endpoint{}, invalidf("engine.address: %q: scheme must be unix or tcp", addr)
	}
}

// Endpoint returns the parsed address.
func (c *Client) Endpoint() (Endpoint, error) { return ParseAddress(c.Engine.Address) }

// MTLS reports whether the client reaches the engine through the gateway.
func (c *Client) MTLS() bool { return c.Engine.TLS != nil }

// Validate reads the TLS material and checks it at time now: readable files,
// a CA bundle with certificates, a key that matches the certificate, and a
// client certificate that is valid now.
func (c *Client) Validate(now time.Time) error {
	_, err := c.TLSConfig(now)
	return err
}

// TLSConfig builds the client *tls.Config (nil for plaintext endpoints).
func (c *Client) TLSConfig(now time.Time) (*tls.Config, error) {
	t := c.Engine.TLS
	if t == nil {
		return nil, nil
	}
	ep, err := c.Endpoint()
	if err != nil {
		return nil, err
	}
	pool, err := LoadCAPool("engine.tls.ca", t.CA)
	if err != nil {
		return nil, err
	}
	cert, err := LoadKeyPair("engine.tls", t.Cert, t.Key, now)
	if err != nil {
		return nil, err
	}
	name := t.ServerName
	if name == "" {
		name = ep.Host
	}
	return ClientTLSConfig(pool, cert, name), nil
}

func resolve(dir, p string) string {
	if p == "" || filepath.IsAbs(p) || dir == "" {
		return p
	}
	return filepath.Join(dir, p)
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Fingerprint is the lowercase hex SHA-256 of the certificate's DER bytes.
func Fingerprint(c *x509.Certificate) string { return fingerprint(c.Raw) }
