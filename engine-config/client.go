package engineconfig

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
)

// Client is the client-side engine.json:
//
//	{"engine": {"address": "unix:///run/pinline/engine.sock"}}
//
// The mTLS gateway work extends it (a "tls" block for tcp:// addresses);
// this file holds the minimum the executor needs.
type Client struct {
	Engine Endpoint `json:"engine"`
	// Path is the file the configuration was read from.
	Path string `json:"-"`
}

// Endpoint is where the engine (or the gateway in front of it) listens.
type Endpoint struct {
	// Address is unix:///path or tcp://host:port.
	Address string `json:"address"`
}

// ErrInvalid marks a configuration that cannot be used (bad input).
var ErrInvalid = errors.New("invalid engine configuration")

// LoadClient reads and validates an engine.json file.
func LoadClient(path string) (*Client, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read engine config: %w", err)
	}
	c, err := ParseClient(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	c.Path = path
	return c, nil
}

// ParseClient parses and validates the bytes of an engine.json file.
// Unknown keys are ignored so that newer files keep loading.
func ParseClient(b []byte) (*Client, error) {
	var c Client
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if err := ValidateAddress(c.Engine.Address); err != nil {
		return nil, err
	}
	return &c, nil
}

// ValidateAddress accepts unix:///absolute/path and tcp://host:port where
// host is a loopback address (plaintext tcp is never allowed off the host;
// remote engines go through the mTLS gateway).
func ValidateAddress(addr string) error {
	if addr == "" {
		return fmt.Errorf("%w: engine.address is empty", ErrInvalid)
	}
	u, err := url.Parse(addr)
	if err != nil {
		return fmt.Errorf("%w: engine.address %q: %w", ErrInvalid, addr, err)
	}
	switch u.Scheme {
	case "unix":
		p := u.Path
		if u.Host != "" || !strings.HasPrefix(p, "/") {
			return fmt.Errorf("%w: engine.address %q: want unix:///absolute/path", ErrInvalid, addr)
		}
	case "tcp":
		host, port, err := net.SplitHostPort(u.Host)
		if err != nil || port == "" {
			return fmt.Errorf("%w: engine.address %q: want tcp://host:port", ErrInvalid, addr)
		}
		if !isLoopback(host) {
			return fmt.Errorf("%w: engine.address %q: plaintext tcp only to a loopback address", ErrInvalid, addr)
		}
	default:
		return fmt.Errorf("%w: engine.address %q: scheme must be unix or tcp", ErrInvalid, addr)
	}
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
