package engineconfig

import (
	"bytes"
	"crypto/tls"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Cache modes of a tier.
const (
	// CacheStrong: the tier has engines of its own; no cache state is
	// shared with any other tier.
	CacheStrong = "strong"
	// CacheShared: the tier shares an engine with other tiers; its caches
	// are tier-scoped volumes, and with SnapshotFrom it reads a
	// copy-on-write snapshot of another tier's caches.
	CacheShared = "shared"
	// CacheEngineNative: no gateway; the client reached an engine's own
	// TLS listener, which accepts any certificate its CA signed and never
	// authorizes an identity or a tier. Announced by the client, never by
	// a gateway, and not a valid tier cacheMode.
	CacheEngineNative = "engine-native"
)

// Defaults for the gateway's limits.
const (
	DefaultHandshakeTimeout = 10 * time.Second
	DefaultIdleTimeout      = 30 * time.Minute
	DefaultShutdownGrace    = 30 * time.Second
	DefaultMaxConnections   = 256
	DefaultMaxHandshakes    = 64
	DefaultMaxHandshakesPer = 8
	DefaultHealthInterval   = 5 * time.Second
	DefaultHealthTimeout    = 2 * time.Second
)

// Gateway is the configuration of `pinline engine gateway` (YAML or JSON).
type Gateway struct {
	// Listen is host:port of the mTLS listener.
	Listen string     `yaml:"listen" json:"listen"`
	TLS    GatewayTLS `yaml:"tls" json:"tls"`
	// HandshakeTimeout bounds the TLS handshake plus the client preface.
	HandshakeTimeout time.Duration `yaml:"handshakeTimeout" json:"handshakeTimeout"`
	// IdleTimeout closes a connection with no bytes in either direction.
	IdleTimeout time.Duration `yaml:"idleTimeout" json:"idleTimeout"`
	// ShutdownGrace is how long open connections may finish after SIGTERM.
	ShutdownGrace time.Duration `yaml:"shutdownGrace" json:"shutdownGrace"`
	// MaxConnections caps concurrent authenticated connections (past the
	// TLS handshake and the client preface); more are refused.
	MaxConnections int `yaml:"maxConnections" json:"maxConnections"`
	// MaxHandshakes caps connections still in the TLS handshake or the
	// client preface, counted apart from MaxConnections so that idle
	// unauthenticated sockets cannot lock out real clients;
	// MaxHandshakesPerSource caps them per source IP address.
	MaxHandshakes          int `yaml:"maxHandshakes" json:"maxHandshakes"`
	MaxHandshakesPerSource int `yaml:"maxHandshakesPerSource" json:"maxHandshakesPerSource"`
	// AuditLog is a file the JSON-line audit log is appended to ("" or
	// "-": standard error).
	AuditLog string `yaml:"auditLog" json:"auditLog"`
	// HealthInterval is how often every backend is checked (the engine
	// answers an HTTP/2 preface); a failing backend gets no new sessions.
	HealthInterval time.Duration `yaml:"healthInterval" json:"healthInterval"`
	// HealthTimeout bounds one check.
	HealthTimeout time.Duration `yaml:"healthTimeout" json:"healthTimeout"`
	// MetricsListen is host:port of the plain-HTTP Prometheus /metrics
	// listener ("": none).
	MetricsListen string `yaml:"metricsListen" json:"metricsListen"`
	// AdminSocket is a unix socket (mode 0600) for operators: backend
	// state, drain and undrain ("": none).
	AdminSocket string `yaml:"adminSocket" json:"adminSocket"`
	// BackendTLS is the client certificate the gateway presents to
	// engines reached over tls://host:port (an engine's own mTLS
	// listener, e.g. in Kubernetes where the engine runs in another pod),
	// and the CA that signed their server certificates.
	BackendTLS *BackendTLS `yaml:"backendTLS" json:"backendTLS"`
	Tiers      []Tier      `yaml:"tiers" json:"tiers"`

	// Path is the file the configuration was read from.
	Path string `yaml:"-" json:"-"`
}

// BackendTLS is the gateway's client side toward tls:// engines.
type BackendTLS struct {
	Cert string `yaml:"cert" json:"cert"`
	Key  string `yaml:"key" json:"key"`
	CA   string `yaml:"ca" json:"ca"`
}

// GatewayTLS is the gateway's TLS material.
type GatewayTLS struct {
	Cert      string   `yaml:"cert" json:"cert"`
	Key       string   `yaml:"key" json:"key"`
	ClientCAs []string `yaml:"clientCAs" json:"clientCAs"`
}

// Tier is a trust tier: who is admitted, which engines serve it, how its
// caches are scoped and which SLSA builder id its runs carry.
type Tier struct {
	Name string `yaml:"name" json:"name"`
	// Rank orders tiers by trust: higher is more trusted. Ranks are unique.
	Rank      int    `yaml:"rank" json:"rank"`
	BuilderID string `yaml:"builderId" json:"builderId"`
	CacheMode string `yaml:"cacheMode" json:"cacheMode"`
	// SnapshotFrom (shared mode only) names the tier whose caches this
	// tier sees as read-only copy-on-write snapshots.
	SnapshotFrom string `yaml:"snapshotFrom" json:"snapshotFrom"`
	// SnapshotImage (required with SnapshotFrom) is the digest-pinned
	// image that runs the fixed copy step which snapshots the other tier's
	// volumes; never an image the run's spec chose.
	SnapshotImage string `yaml:"snapshotImage" json:"snapshotImage"`
	// Backends are engine sockets, unix:///path.
	Backends   []string       `yaml:"backends" json:"backends"`
	Identities []IdentityRule `yaml:"identities" json:"identities"`
}

var (
	tierName  = regexp.MustCompile(`^[a-z][a-z0-9-]{0,31}$`)
	pinnedRef = regexp.MustCompile(`^[^\s@]+@sha256:[0-9a-f]{64}$`)
)

// ValidTierName reports whether s is a tier name: lowercase letters,
// digits and '-', starting with a letter, at most 32 characters.
func ValidTierName(s string) bool { return tierName.MatchString(s) }

// LoadGateway reads and validates a gateway configuration. Relative paths
// are resolved against the file's directory.
func LoadGateway(path string) (*Gateway, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fileErr(fmt.Errorf("read gateway config: %w", err))
	}
	g, err := ParseGateway(data, filepath.Dir(path))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	g.Path = path
	return g, nil
}

// ParseGateway parses YAML or JSON gateway configuration and validates its
// structure (not the TLS files; see ServerTLS).
func ParseGateway(data []byte, dir string) (*Gateway, error) {
	var g Gateway
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&g); err != nil {
		return nil, invalidf("parse: %v", err)
	}
	orDefault(&g.HandshakeTimeout, DefaultHandshakeTimeout)
	orDefault(&g.IdleTimeout, DefaultIdleTimeout)
	orDefault(&g.ShutdownGrace, DefaultShutdownGrace)
	orDefault(&g.MaxConnections, DefaultMaxConnections)
	orDefault(&g.MaxHandshakes, DefaultMaxHandshakes)
	orDefault(&g.MaxHandshakesPerSource, DefaultMaxHandshakesPer)
	orDefault(&g.HealthInterval, DefaultHealthInterval)
	orDefault(&g.HealthTimeout, DefaultHealthTimeout)
	if g.AdminSocket != "" {
		g.AdminSocket = resolve(dir, g.AdminSocket)
	}
	if b := g.BackendTLS; b != nil {
		b.Cert, b.Key, b.CA = resolve(dir, b.Cert), resolve(dir, b.Key), resolve(dir, b.CA)
	}
	g.TLS.Cert, g.TLS.Key = resolve(dir, g.TLS.Cert), resolve(dir, g.TLS.Key)
	for i := range g.TLS.ClientCAs {
		g.TLS.ClientCAs[i] = resolve(dir, g.TLS.ClientCAs[i])
	}
	if g.AuditLog != "" && g.AuditLog != "-" {
		g.AuditLog = resolve(dir, g.AuditLog)
	}
	if err := g.validate(); err != nil {
		return nil, err
	}
	return &g, nil
}

func (g *Gateway) validate() error {
	if g.Listen == "" {
		return invalidf("listen: missing (host:port)")
	}
	if g.TLS.Cert == "" {
		return invalidf("tls.cert: missing")
	}
	if g.TLS.Key == "" {
		return invalidf("tls.key: missing key for certificate %q", g.TLS.Cert)
	}
	if len(g.TLS.ClientCAs) == 0 {
		return invalidf("tls.clientCAs: missing (client certificates are always required)")
	}
	if g.HandshakeTimeout < 0 || g.IdleTimeout < 0 || g.ShutdownGrace < 0 || g.MaxConnections < 0 || g.HealthInterval < 0 || g.HealthTimeout < 0 ||
		g.MaxHandshakes < 0 || g.MaxHandshakesPerSource < 0 {
		return invalidf("timeouts, intervals, maxConnections, maxHandshakes and maxHandshakesPerSource must not be negative")
	}
	if g.MetricsListen != "" {
		if _, _, err := net.SplitHostPort(g.MetricsListen); err != nil {
			return invalidf("metricsListen: %q: want host:port", g.MetricsListen)
		}
		if g.MetricsListen == g.Listen {
			return invalidf("metricsListen: must differ from listen (metrics are plain HTTP on their own listener)")
		}
	}
	if len(g.Tiers) == 0 {
		return invalidf("tiers: at least one tier is required")
	}
	names, ranks := map[string]bool{}, map[int]string{}
	owner := map[string]*Tier{}
	for i := range g.Tiers {
		t := &g.Tiers[i]
		at := fmt.Sprintf("tiers[%d]", i)
		if !tierName.MatchString(t.Name) {
			return invalidf("%s.name: %q must match %s", at, t.Name, tierName)
		}
		if names[t.Name] {
			return invalidf("%s.name: duplicate tier %q", at, t.Name)
		}
		names[t.Name] = true
		if other, dup := ranks[t.Rank]; dup {
			return invalidf("%s.rank: tiers %q and %q share rank %d; ranks define \"higher tier\" and must be unique", at, other, t.Name, t.Rank)
		}
		ranks[t.Rank] = t.Name
		if t.BuilderID == "" {
			return invalidf("%s.builderId: missing", at)
		}
		switch t.CacheMode {
		case CacheStrong, CacheShared:
		default:
			return invalidf("%s.cacheMode: %q must be %q or %q", at, t.CacheMode, CacheStrong, CacheShared)
		}
		if len(t.Backends) == 0 {
			return invalidf("%s.backends: at least one engine socket is required", at)
		}
		for j, b := range t.Backends {
			ep, err := parseBackend(b)
			if err != nil {
				return invalidf("%s.backends[%d]: %v", at, j, err)
			}
			if ep.Scheme == "tls" && g.BackendTLS == nil {
				return invalidf("%s.backends[%d]: %q: a tls:// engine needs backendTLS (the gateway's client certificate and the engines' CA)", at, j, b)
			}
			if o := owner[ep.Path]; o == t {
				return invalidf("%s.backends[%d]: %q listed twice", at, j, b)
			} else if o != nil && (o.CacheMode == CacheStrong || t.CacheMode == CacheStrong) {
				return invalidf("%s.backends[%d]: %q also serves tier %q; strong cache mode needs engines of its own", at, j, b, o.Name)
			}
			owner[ep.Path] = t
		}
		if len(t.Identities) == 0 {
			return invalidf("%s.identities: at least one identity rule is required", at)
		}
		for j, r := range t.Identities {
			if err := r.validate(); err != nil {
				return invalidf("%s.identities[%d]: %v", at, j, err)
			}
		}
	}
	for i, t := range g.Tiers {
		if t.SnapshotFrom == "" {
			continue
		}
		src := g.Tier(t.SnapshotFrom)
		switch {
		case t.CacheMode != CacheShared:
			return invalidf("tiers[%d].snapshotFrom: only valid with cacheMode %q", i, CacheShared)
		case src == nil:
			return invalidf("tiers[%d].snapshotFrom: unknown tier %q", i, t.SnapshotFrom)
		case src.CacheMode != CacheShared:
			return invalidf("tiers[%d].snapshotFrom: tier %q is not in shared mode", i, src.Name)
		case src.Rank <= t.Rank:
			return invalidf("tiers[%d].snapshotFrom: tier %q is not above %q", i, src.Name, t.Name)
		case !pinnedRef.MatchString(t.SnapshotImage):
			return invalidf("tiers[%d].snapshotImage: %q must be an image pinned by digest (…@sha256:<64 hex>)", i, t.SnapshotImage)
		}
	}
	return nil
}

// Tier returns the named tier or nil.
func (g *Gateway) Tier(name string) *Tier {
	for i := range g.Tiers {
		if g.Tiers[i].Name == name {
			return &g.Tiers[i]
		}
	}
	return nil
}

// ServerTLS loads the gateway's certificate and client CAs and returns the
// server *tls.Config.
func (g *Gateway) ServerTLS(now time.Time) (*tls.Config, error) {
	cert, err := LoadKeyPair("tls", g.TLS.Cert, g.TLS.Key, now)
	if err != nil {
		return nil, err
	}
	pool, err := LoadCAPool("tls.clientCAs", g.TLS.ClientCAs...)
	if err != nil {
		return nil, err
	}
	return ServerTLSConfig(cert, pool), nil
}

// parseBackend parses a backend: unix:///path (an engine socket) or
// tls://host:port (an engine's own mTLS listener).
func parseBackend(b string) (Endpoint, error) {
	if rest, ok := strings.CutPrefix(b, "tls://"); ok {
		host, port, err := net.SplitHostPort(rest)
		if err != nil || host == "" || port == "" {
			return Endpoint{}, fmt.Errorf("%q: want tls://host:port", b)
		}
		return Endpoint{Scheme: "tls", Path: rest, Host: host}, nil
	}
	ep, err := ParseAddress(b)
	if err != nil {
		return Endpoint{}, err
	}
	if ep.Scheme != "unix" {
		return Endpoint{}, fmt.Errorf("%q: backends are engine unix sockets (unix:///path) or engine TLS listeners (tls://host:port)", b)
	}
	return ep, nil
}

// BackendURLs returns t's backends normalised: unix://<socket path> (as
// the validation parsed it) or tls://host:port.
func (t *Tier) BackendURLs() []string {
	out := make([]string, 0, len(t.Backends))
	for _, b := range t.Backends {
		ep, _ := parseBackend(b)
		out = append(out, ep.Scheme+"://"+ep.Path)
	}
	return out
}

// BackendClientTLS loads backendTLS and returns the client *tls.Config
// for tls:// engines (ServerName set per engine by the caller); nil when
// backendTLS is not configured.
func (g *Gateway) BackendClientTLS(now time.Time) (*tls.Config, error) {
	b := g.BackendTLS
	if b == nil {
		return nil, nil
	}
	cert, err := LoadKeyPair("backendTLS", b.Cert, b.Key, now)
	if err != nil {
		return nil, err
	}
	pool, err := LoadCAPool("backendTLS.ca", b.CA)
	if err != nil {
		return nil, err
	}
	return ClientTLSConfig(pool, cert, ""), nil
}

// BackendPaths returns the socket paths of t's backends, parsed as the
// validation parsed them (so unix:///a%20b.sock is the socket "/a b.sock").
// Backends of a validated config always parse.
func (t *Tier) BackendPaths() []string {
	out := make([]string, 0, len(t.Backends))
	for _, b := range t.Backends {
		ep, _ := ParseAddress(b)
		out = append(out, ep.Path)
	}
	return out
}

// EngineID is the name of t's i-th backend in announcements, metrics, the
// audit log and the admin socket: "<tier>-<i>". Placement hashes the
// backend address instead, so replicas with the same configuration agree
// even if they list backends in another order.
func (t *Tier) EngineID(i int) string { return fmt.Sprintf("%s-%d", t.Name, i) }

// orDefault sets an option left unset (zero) to its default.
func orDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}
