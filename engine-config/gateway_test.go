package engineconfig

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

const baseGateway = `
listen: 127.0.0.1:8443
tls: {cert: gw.crt, key: gw.key, clientCAs: [ca.crt]}
tiers:
  - name: trusted
    rank: 10
    builderId: https://pinline.dev/builders/trusted/v1
    cacheMode: strong
    backends: [unix:///run/t.sock]
    identities: [{field: spiffe, exact: "spiffe://example.org/ci/main"}]
  - name: untrusted
    rank: 1
    builderId: https://pinline.dev/builders/untrusted/v1
    cacheMode: strong
    backends: [unix:///run/u.sock]
    identities: [{field: spiffe, prefix: "spiffe://example.org/ci/pr/"}]
`

func TestParseGateway(t *testing.T) {
	t.Parallel()
	g, err := ParseGateway([]byte(baseGateway), "/etc/pinline")
	if err != nil {
		t.Fatal(err)
	}
	if g.TLS.Cert != "/etc/pinline/gw.crt" || g.TLS.ClientCAs[0] != "/etc/pinline/ca.crt" {
		t.Errorf("paths not resolved: %+v", g.TLS)
	}
	if g.HandshakeTimeout != DefaultHandshakeTimeout || g.MaxConnections != DefaultMaxConnections || g.IdleTimeout != DefaultIdleTimeout ||
		g.MaxHandshakes != DefaultMaxHandshakes || g.MaxHandshakesPerSource != DefaultMaxHandshakesPer {
		t.Errorf("defaults not applied: %+v", g)
	}
	js := `{"listen":"127.0.0.1:1","handshakeTimeout":"3s","tls":{"cert":"a","key":"b","clientCAs":["c"]},"tiers":[{"name":"x","rank":1,"builderId":"b","cacheMode":"shared","backends":["unix:///s"],"identities":[{"field":"cn","exact":"x"}]}]}`
	g, err = ParseGateway([]byte(js), "")
	if err != nil {
		t.Fatalf("JSON config: %v", err)
	}
	if g.HandshakeTimeout != 3*time.Second {
		t.Errorf("handshakeTimeout = %v", g.HandshakeTimeout)
	}
}

func TestParseGatewayErrors(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, old, new, want string }{
		{"no listen", "listen: 127.0.0.1:8443", "", "listen: missing"},
		{"no key", "key: gw.key, ", "", "tls.key: missing key"},
		{"no client CA", "clientCAs: [ca.crt]", "clientCAs: []", "tls.clientCAs: missing"},
		{"duplicate rank", "rank: 1\n", "rank: 10\n", "share rank 10"},
		{"duplicate name", "name: untrusted", "name: trusted", "duplicate tier"},
		{"bad name", "name: untrusted", "name: Untrusted/x", "must match"},
		{"bad cache mode", "cacheMode: strong\n    backends: [unix:///run/u.sock]", "cacheMode: weak\n    backends: [unix:///run/u.sock]", "cacheMode"},
		{"tcp backend", "unix:///run/u.sock", "tcp://127.0.0.1:1", "backends are engine unix sockets"},
		{"strong shares engine", "unix:///run/u.sock", "unix:///run/t.sock", "strong cache mode needs engines of its own"},
		{"no identities", `identities: [{field: spiffe, prefix: "spiffe://example.org/ci/pr/"}]`, "identities: []", "at least one identity rule"},
		{"unknown field", "field: spiffe, prefix", "field: email, prefix", "must be one of"},
		{"exact and prefix", `prefix: "spiffe://example.org/ci/pr/"`, `prefix: "spiffe://example.org/ci/pr/", exact: "x"`, "exactly one of exact and prefix"},
		{"spiffe without scheme", `"spiffe://example.org/ci/pr/"`, `"example.org/ci/pr/"`, "must start with spiffe://"},
		{"uri prefix without slash", `"spiffe://example.org/ci/pr/"`, `"spiffe://example.org/ci/pr"`, "must end in \"/\""},
		{"no builder", "builderId: https://pinline.dev/builders/untrusted/v1", "", "builderId: missing"},
		{"unknown key", "listen:", "lisen:", "not found"},
		{"negative handshake limit", "listen: 127.0.0.1:8443", "listen: 127.0.0.1:8443\nmaxHandshakesPerSource: -1", "must not be negative"},
		{"snapshot in strong", "cacheMode: strong\n    backends: [unix:///run/u.sock]", "cacheMode: strong\n    snapshotFrom: trusted\n    backends: [unix:///run/u.sock]", "only valid with cacheMode"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if !strings.Contains(baseGateway, tc.old) {
				t.Fatalf("fixture lacks %q", tc.old)
			}
			y := strings.Replace(baseGateway, tc.old, tc.new, 1)
			_, err := ParseGateway([]byte(y), "")
			if err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want ErrInvalid containing %q", err, tc.want)
			}
		})
	}
}

func TestSharedModeSnapshot(t *testing.T) {
	t.Parallel()
	y := strings.ReplaceAll(baseGateway, "cacheMode: strong", "cacheMode: shared")
	y = strings.Replace(y, "unix:///run/u.sock", "unix:///run/t.sock", 1)
	y = strings.Replace(y, "rank: 1\n", "rank: 1\n    snapshotFrom: trusted\n    snapshotImage: 127.0.0.1:5000/pinline/busybox@sha256:"+strings.Repeat("a", 64)+"\n", 1)
	g, err := ParseGateway([]byte(y), "")
	if err != nil {
		t.Fatalf("shared engine config: %v", err)
	}
	if g.Tier("untrusted").SnapshotFrom != "trusted" {
		t.Error("snapshotFrom lost")
	}
	unpinned := strings.Replace(y, "@sha256:"+strings.Repeat("a", 64), ":latest", 1)
	if _, err := ParseGateway([]byte(unpinned), ""); err == nil || !strings.Contains(err.Error(), "pinned by digest") {
		t.Errorf("unpinned snapshot image: %v", err)
	}
	bad := strings.Replace(y, "snapshotFrom: trusted", "snapshotFrom: gold", 1)
	if _, err := ParseGateway([]byte(bad), ""); err == nil || !strings.Contains(err.Error(), "unknown tier") {
		t.Errorf("unknown snapshot tier: %v", err)
	}
}

func cert(cn string, o, ou, dns, uris []string) *x509.Certificate {
	c := &x509.Certificate{Subject: pkix.Name{CommonName: cn, Organization: o, OrganizationalUnit: ou}, DNSNames: dns}
	for _, s := range uris {
		u, _ := url.Parse(s)
		c.URIs = append(c.URIs, u)
	}
	return c
}

func TestIdentityRuleMatch(t *testing.T) {
	t.Parallel()
	c := cert("release-bot", []string{"Example Corp"}, []string{"ci", "platform"}, []string{"runner-1.ci.example.org"},
		[]string{"spiffe://example.org/ci/main", "https://ci.example.org/jobs/9"})
	tests := []struct {
		rule IdentityRule
		want string
	}{
		{IdentityRule{Field: FieldCN, Exact: "release-bot"}, "cn:release-bot"},
		{IdentityRule{Field: FieldCN, Exact: "release"}, ""},
		{IdentityRule{Field: FieldCN, Prefix: "release-"}, "cn:release-bot"},
		{IdentityRule{Field: FieldCN, Prefix: "bot"}, ""},
		{IdentityRule{Field: FieldO, Exact: "Example Corp"}, "o:Example Corp"},
		{IdentityRule{Field: FieldO, Exact: "example corp"}, ""},
		{IdentityRule{Field: FieldO, Prefix: "Example"}, "o:Example Corp"},
		{IdentityRule{Field: FieldOU, Exact: "platform"}, "ou:platform"},
		{IdentityRule{Field: FieldOU, Prefix: "plat"}, "ou:platform"},
		{IdentityRule{Field: FieldOU, Exact: "security"}, ""},
		{IdentityRule{Field: FieldDNS, Exact: "runner-1.ci.example.org"}, "dns:runner-1.ci.example.org"},
		{IdentityRule{Field: FieldDNS, Prefix: "runner-"}, "dns:runner-1.ci.example.org"},
		{IdentityRule{Field: FieldDNS, Exact: "ci.example.org"}, ""},
		{IdentityRule{Field: FieldURI, Exact: "https://ci.example.org/jobs/9"}, "uri:https://ci.example.org/jobs/9"},
		{IdentityRule{Field: FieldURI, Prefix: "https://ci.example.org/"}, "uri:https://ci.example.org/jobs/9"},
		{IdentityRule{Field: FieldURI, Exact: "spiffe://example.org/ci/main"}, "uri:spiffe://example.org/ci/main"},
		{IdentityRule{Field: FieldSPIFFE, Exact: "spiffe://example.org/ci/main"}, "spiffe:spiffe://example.org/ci/main"},
		{IdentityRule{Field: FieldSPIFFE, Prefix: "spiffe://example.org/ci/"}, "spiffe:spiffe://example.org/ci/main"},
		{IdentityRule{Field: FieldSPIFFE, Prefix: "spiffe://example.org/ci/main/"}, ""},
		{IdentityRule{Field: FieldSPIFFE, Exact: "spiffe://example.org/ci/mai"}, ""},
		{IdentityRule{Field: FieldSPIFFE, Prefix: "spiffe://other.org/"}, ""},
		// A spiffe rule never matches an https URI SAN.
		{IdentityRule{Field: FieldSPIFFE, Prefix: "spiffe://"}, "spiffe:spiffe://example.org/ci/main"},
	}
	for _, tc := range tests {
		if got := tc.rule.Match(c); got != tc.want {
			t.Errorf("%+v: Match = %q, want %q", tc.rule, got, tc.want)
		}
	}
	https := cert("", nil, nil, nil, []string{"https://example.org/ci/main"})
	if got := (IdentityRule{Field: FieldSPIFFE, Prefix: "spiffe://"}).Match(https); got != "" {
		t.Errorf("spiffe rule matched an https SAN: %q", got)
	}
	if got := (IdentityRule{Field: FieldCN, Prefix: ""}).Match(cert("", nil, nil, nil, nil)); got != "" {
		t.Errorf("empty CN matched: %q", got)
	}
}

func TestAssign(t *testing.T) {
	t.Parallel()
	y := baseGateway + `  - name: release
    rank: 20
    builderId: https://pinline.dev/builders/release/v1
    cacheMode: strong
    backends: [unix:///run/r.sock]
    identities: [{field: o, exact: "Release Eng"}, {field: spiffe, exact: "spiffe://example.org/ci/main"}]
`
	g, err := ParseGateway([]byte(y), "")
	if err != nil {
		t.Fatal(err)
	}
	main := cert("", nil, nil, nil, []string{"spiffe://example.org/ci/main"})
	pr := cert("", nil, nil, nil, []string{"spiffe://example.org/ci/pr/3"})
	tests := []struct {
		name      string
		c         *x509.Certificate
		requested string
		want      string
		reason    string
	}{
		{"ambiguous → lowest rank", main, "", "trusted", ""},
		{"request admitted higher tier", main, "release", "release", ""},
		{"pr default", pr, "", "untrusted", ""},
		{"pr above", pr, "trusted", "", ReasonAboveCert},
		{"pr far above", pr, "release", "", ReasonAboveCert},
		{"main below", main, "untrusted", "", ReasonTierNotGiven},
		{"unknown", main, "gold", "", ReasonUnknownTier},
		{"no tier", cert("x", nil, nil, nil, nil), "", "", ReasonNoTier},
	}
	for _, tc := range tests {
		a, err := g.Assign(tc.c, tc.requested)
		if tc.reason != "" {
			var re *RefusedError
			if !errors.As(err, &re) || re.Reason != tc.reason {
				t.Errorf("%s: err = %v, want reason %s", tc.name, err, tc.reason)
			}
			continue
		}
		if err != nil || a.Tier.Name != tc.want {
			t.Errorf("%s: got %+v %v, want %s", tc.name, a, err, tc.want)
		}
	}
}

// The sockets the gateway dials are the paths validation checked.
func TestBackendPathsAreParsed(t *testing.T) {
	t.Parallel()
	tier := &Tier{Backends: []string{"unix:///run/e1.sock", "unix:///tmp/a%20b.sock"}}
	if got, want := tier.BackendPaths(), []string{"/run/e1.sock", "/tmp/a b.sock"}; !slices.Equal(got, want) {
		t.Errorf("BackendPaths = %q, want %q", got, want)
	}
}
