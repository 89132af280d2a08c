package serve

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	engineconfig "github.com/pinline/pinline/engine-config"
	"github.com/pinline/pinline/internal/errclass"
)

// ErrConfig marks an invalid server configuration (bad input, exit 2).
var ErrConfig = errclass.New(errclass.ErrBadInput, "invalid server configuration")

// Defaults of the server configuration.
const (
	DefaultConcurrency   = 2
	DefaultTimeout       = time.Hour
	DefaultMaxQueue      = 64
	DefaultShutdownGrace = 30 * time.Second
	DefaultSpec          = "pinline.yaml"
)

// Config is server.yaml, the configuration of `pinline serve`.
type Config struct {
	// Listen is host:port of the HTTPS listener.
	Listen string `yaml:"listen"`
	// TLS is the server certificate and the client CAs, the gateway's
	// vocabulary (cert, key, clientCAs): client certificates are required.
	TLS engineconfig.GatewayTLS `yaml:"tls"`
	// Store is the directory run records are written to
	// (<store>/.pinline/runs/<id>/) and the server keeps its state in.
	Store string `yaml:"store"`
	// AuditLog is the JSON-lines audit log ("" or "-": standard error).
	AuditLog string `yaml:"auditLog"`
	// DaggerCLI is the dagger CLI (v0.19.10) that opens engine sessions.
	DaggerCLI string `yaml:"daggerCLI"`
	// ShutdownGrace is how long running runs may finish after SIGTERM
	// before they are cancelled.
	ShutdownGrace time.Duration `yaml:"shutdownGrace"`
	// MaxQueue caps the runs waiting in one tier's queue.
	MaxQueue int `yaml:"maxQueue"`
	// MaxOutputBytes caps the bytes one run may leave in its run
	// directory (outputs, logs, evidence); a run over it fails (0: 1 GiB).
	MaxOutputBytes int64  `yaml:"maxOutputBytes"`
	Tiers          []Tier `yaml:"tiers"`

	// Path is the file the configuration was read from.
	Path string `yaml:"-"`
	// rules holds the tiers' identity rules in the gateway's rule engine.
	rules *engineconfig.Gateway
}

// Tier is one trust tier of the server: who is admitted, where its runs
// execute, what they may fetch, and the operator material of its runs.
type Tier struct {
	Name string `yaml:"name"`
	// Rank orders tiers (higher: more trusted; unique), as in the gateway.
	Rank      int    `yaml:"rank"`
	BuilderID string `yaml:"builderId"`
	// Identities are the gateway's identity rules.
	Identities []engineconfig.IdentityRule `yaml:"identities"`
	Engine     TierEngine                  `yaml:"engine"`
	// Repositories are the allowed repository URL prefixes (http:// or
	// https://, ending in "/").
	Repositories []string   `yaml:"repositories"`
	Policy       TierPolicy `yaml:"policy"`
	// Secrets is the operator secrets file of the tier (docs/secrets.md).
	Secrets string      `yaml:"secrets"`
	Signing TierSigning `yaml:"signing"`
	// Concurrency is how many runs of the tier execute at once; more
	// wait in a FIFO queue.
	Concurrency int `yaml:"concurrency"`
	// Timeout bounds one run.
	Timeout time.Duration `yaml:"timeout"`
}

// TierEngine is where a tier's runs execute: an engine socket
// (unix:///path) or a client engine.json (mTLS through the gateway).
type TierEngine struct {
	Address string `yaml:"address"`
	Config  string `yaml:"config"`
}

// TierPolicy is the operator's gate material for the tier.
type TierPolicy struct {
	// Dirs are directories of Rego policies and data (pinline check --policy).
	Dirs []string `yaml:"dirs"`
	// Data is the operator policy data file (pinline check --policy-data):
	// allowlists and waivers.
	Data string `yaml:"data"`
}

// TierSigning is the tier's signing key: a cosign key file with its
// password (from a file or a variable of the server's environment), or a
// KMS URI.
type TierSigning struct {
	Key          string `yaml:"key"`
	PasswordFile string `yaml:"passwordFile"`
	PasswordEnv  string `yaml:"passwordEnv"`
}

var yamlLine = regexp.MustCompile(`^yaml: (?:unmarshal errors:\n\s*)?line (\d+): (.*)$`)

// LoadConfig reads and validates server.yaml strictly: unknown keys and bad
// values are errors naming file and line (ErrConfig). Relative paths are
// resolved against the file's directory.
func LoadConfig(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, errclass.Wrap(errclass.ErrBadInput, fmt.Errorf("read server config: %w", err))
	}
	c, err := ParseConfig(data, filepath.Dir(path), path)
	if err != nil {
		return nil, err
	}
	c.Path = path
	return c, nil
}

// ParseConfig parses server.yaml; name is the file name errors carry.
func ParseConfig(data []byte, dir, name string) (*Config, error) {
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		msg := err.Error()
		if m := yamlLine.FindStringSubmatch(msg); m != nil {
			return nil, fmt.Errorf("%w: %s:%s: %s", ErrConfig, name, m[1], m[2])
		}
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%w: %s: empty configuration", ErrConfig, name)
		}
		return nil, fmt.Errorf("%w: %s: %s", ErrConfig, name, strings.TrimPrefix(msg, "yaml: "))
	}
	var root yaml.Node
	_ = yaml.Unmarshal(data, &root)
	p := &positions{root: &root, name: name}
	if err := c.validate(dir, p); err != nil {
		return nil, err
	}
	return &c, nil
}

// positions finds the line of a configuration key for errors.
type positions struct {
	root *yaml.Node
	name string
}

// errorf is an ErrConfig naming the line of the key at path (keys and
// sequence indexes; the deepest one that exists).
func (p *positions) errorf(path []any, format string, args ...any) error {
	line := 0
	n := p.root
	if n != nil && n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
		line = n.Line
	}
	for _, k := range path {
		var next *yaml.Node
		switch k := k.(type) {
		case string:
			if n != nil && n.Kind == yaml.MappingNode {
				for i := 0; i+1 < len(n.Content); i += 2 {
					if n.Content[i].Value == k {
						line, next = n.Content[i].Line, n.Content[i+1]
					}
				}
			}
		case int:
			if n != nil && n.Kind == yaml.SequenceNode && k < len(n.Content) {
				next = n.Content[k]
				line = next.Line
			}
		}
		if next == nil {
			break
		}
		n = next
	}
	key := pathString(path)
	msg := fmt.Sprintf(format, args...)
	if line > 0 {
		return fmt.Errorf("%w: %s:%d: %s: %s", ErrConfig, p.name, line, key, msg)
	}
	return fmt.Errorf("%w: %s: %s: %s", ErrConfig, p.name, key, msg)
}

func pathString(path []any) string {
	var b strings.Builder
	for _, k := range path {
		switch k := k.(type) {
		case string:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(k)
		case int:
			b.WriteString("[" + strconv.Itoa(k) + "]")
		}
	}
	return b.String()
}

func resolvePath(dir, p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(dir, p)
}

func (c *Config) validate(dir string, p *positions) error {
	if c.Listen == "" {
		return p.errorf([]any{"listen"}, "missing (host:port)")
	}
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		return p.errorf([]any{"listen"}, "%q: want host:port", c.Listen)
	}
	if c.TLS.Cert == "" {
		return p.errorf([]any{"tls", "cert"}, "missing")
	}
	if c.TLS.Key == "" {
		return p.errorf([]any{"tls", "key"}, "missing")
	}
	if len(c.TLS.ClientCAs) == 0 {
		return p.errorf([]any{"tls", "clientCAs"}, "missing (client certificates are always required)")
	}
	c.TLS.Cert, c.TLS.Key = resolvePath(dir, c.TLS.Cert), resolvePath(dir, c.TLS.Key)
	for i := range c.TLS.ClientCAs {
		c.TLS.ClientCAs[i] = resolvePath(dir, c.TLS.ClientCAs[i])
	}
	if c.Store == "" {
		return p.errorf([]any{"store"}, "missing (the directory run records are written to)")
	}
	c.Store = resolvePath(dir, c.Store)
	if c.AuditLog != "" && c.AuditLog != "-" {
		c.AuditLog = resolvePath(dir, c.AuditLog)
	}
	if c.DaggerCLI != "" {
		c.DaggerCLI = resolvePath(dir, c.DaggerCLI)
	}
	if c.ShutdownGrace < 0 {
		return p.errorf([]any{"shutdownGrace"}, "must not be negative")
	}
	if c.ShutdownGrace == 0 {
		c.ShutdownGrace = DefaultShutdownGrace
	}
	if c.MaxQueue < 0 {
		return p.errorf([]any{"maxQueue"}, "must not be negative")
	}
	if c.MaxQueue == 0 {
		c.MaxQueue = DefaultMaxQueue
	}
	if c.MaxOutputBytes < 0 {
		return p.errorf([]any{"maxOutputBytes"}, "must not be negative")
	}
	if c.MaxOutputBytes == 0 {
		c.MaxOutputBytes = 1 << 30
	}
	if len(c.Tiers) == 0 {
		return p.errorf([]any{"tiers"}, "at least one tier is required")
	}
	rules := &engineconfig.Gateway{}
	names, ranks := map[string]bool{}, map[int]string{}
	for i := range c.Tiers {
		t := &c.Tiers[i]
		at := func(k ...any) []any { return append([]any{"tiers", i}, k...) }
		if !engineconfig.ValidTierName(t.Name) {
			return p.errorf(at("name"), "%q: lowercase letters, digits and '-', starting with a letter, at most 32 characters", t.Name)
		}
		if names[t.Name] {
			return p.errorf(at("name"), "duplicate tier %q", t.Name)
		}
		names[t.Name] = true
		if other, dup := ranks[t.Rank]; dup {
			return p.errorf(at("rank"), "tiers %q and %q share rank %d; ranks must be unique", other, t.Name, t.Rank)
		}
		ranks[t.Rank] = t.Name
		if t.BuilderID == "" {
			return p.errorf(at("builderId"), "missing")
		}
		if len(t.Identities) == 0 {
			return p.errorf(at("identities"), "at least one identity rule is required")
		}
		for j, r := range t.Identities {
			if err := r.Validate(); err != nil {
				return p.errorf(at("identities", j), "%v", err)
			}
		}
		switch {
		case (t.Engine.Address == "") == (t.Engine.Config == ""):
			return p.errorf(at("engine"), "set exactly one of address (unix:///engine.sock) and config (a client engine.json)")
		case t.Engine.Address != "":
			ep, err := engineconfig.ParseAddress(t.Engine.Address)
			if err != nil {
				return p.errorf(at("engine", "address"), "%v", err)
			}
			if ep.Scheme != "unix" {
				return p.errorf(at("engine", "address"), "%q: an engine socket is unix:///path; reach a remote engine through the gateway with engine.config", t.Engine.Address)
			}
		default:
			t.Engine.Config = resolvePath(dir, t.Engine.Config)
		}
		if len(t.Repositories) == 0 {
			return p.errorf(at("repositories"), "at least one allowed repository URL prefix is required")
		}
		for j, r := range t.Repositories {
			if err := checkPrefix(r); err != nil {
				return p.errorf(at("repositories", j), "%v", err)
			}
		}
		for j := range t.Policy.Dirs {
			t.Policy.Dirs[j] = resolvePath(dir, t.Policy.Dirs[j])
		}
		t.Policy.Data = resolvePath(dir, t.Policy.Data)
		t.Secrets = resolvePath(dir, t.Secrets)
		if t.Signing.Key == "" {
			return p.errorf(at("signing", "key"), "missing: every run the server signs needs the tier's key (a cosign key file or a KMS URI)")
		}
		if !strings.Contains(t.Signing.Key, "://") {
			t.Signing.Key = resolvePath(dir, t.Signing.Key)
			if t.Signing.PasswordFile != "" && t.Signing.PasswordEnv != "" {
				return p.errorf(at("signing"), "set at most one of passwordFile and passwordEnv")
			}
		}
		t.Signing.PasswordFile = resolvePath(dir, t.Signing.PasswordFile)
		if t.Concurrency < 0 {
			return p.errorf(at("concurrency"), "must not be negative")
		}
		if t.Concurrency == 0 {
			t.Concurrency = DefaultConcurrency
		}
		if t.Timeout < 0 {
			return p.errorf(at("timeout"), "must not be negative")
		}
		if t.Timeout == 0 {
			t.Timeout = DefaultTimeout
		}
		// The gateway's rule engine decides the tier; it needs only names,
		// ranks and identities.
		rules.Tiers = append(rules.Tiers, engineconfig.Tier{Name: t.Name, Rank: t.Rank, BuilderID: t.BuilderID, Identities: t.Identities})
	}
	c.rules = rules
	return nil
}

// checkPrefix validates an allowed repository URL prefix.
func checkPrefix(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("%q: %v", s, err)
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return fmt.Errorf("%q: the scheme must be https:// or http://", s)
	}
	if u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("%q: want scheme://host/path/ without user, query or fragment", s)
	}
	if !strings.HasSuffix(s, "/") {
		return fmt.Errorf("%q must end in \"/\" (so that https://h/org/ cannot admit https://h/org-evil/)", s)
	}
	return nil
}

// Tier returns the named tier or nil.
func (c *Config) Tier(name string) *Tier {
	for i := range c.Tiers {
		if c.Tiers[i].Name == name {
			return &c.Tiers[i]
		}
	}
	return nil
}
