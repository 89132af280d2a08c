package engineconfig

import (
	"crypto/x509"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Identity fields a rule can match.
const (
	FieldCN     = "cn"     // subject common name
	FieldO      = "o"      // subject organization (any of them)
	FieldOU     = "ou"     // subject organizational unit (any of them)
	FieldDNS    = "dns"    // SAN DNS name (any of them)
	FieldURI    = "uri"    // SAN URI (any of them)
	FieldSPIFFE = "spiffe" // SAN URI with scheme spiffe:// (any of them)
)

var fields = []string{FieldCN, FieldO, FieldOU, FieldDNS, FieldURI, FieldSPIFFE}

// IdentityRule admits a certificate whose Field has a value equal to Exact,
// or starting with Prefix. Exactly one of Exact and Prefix is set. URI and
// SPIFFE prefixes must end in "/", so that spiffe://td/ci/main cannot be
// matched by spiffe://td/ci/main-evil.
type IdentityRule struct {
	Field  string `yaml:"field" json:"field"`
	Exact  string `yaml:"exact,omitempty" json:"exact,omitempty"`
	Prefix string `yaml:"prefix,omitempty" json:"prefix,omitempty"`
}

// Validate checks the rule as a gateway configuration's tiers are
// checked (one vocabulary for the gateway and `pinline serve`).
func (r IdentityRule) Validate() error { return r.validate() }

func (r IdentityRule) validate() error {
	if !slices.Contains(fields, r.Field) {
		return fmt.Errorf("field %q must be one of %q", r.Field, fields)
	}
	if (r.Exact == "") == (r.Prefix == "") {
		return errors.New("set exactly one of exact and prefix")
	}
	v := r.Exact + r.Prefix
	if r.Field == FieldSPIFFE && !strings.HasPrefix(v, "spiffe://") {
		return fmt.Errorf("spiffe id %q must start with spiffe://", v)
	}
	if r.Prefix != "" && (r.Field == FieldURI || r.Field == FieldSPIFFE) && !strings.HasSuffix(r.Prefix, "/") {
		return fmt.Errorf("uri prefix %q must end in \"/\" (path segment boundary)", r.Prefix)
	}
	return nil
}

// values returns the certificate's values for the rule's field.
func (r IdentityRule) values(c *x509.Certificate) []string {
	switch r.Field {
	case FieldCN:
		if c.Subject.CommonName == "" {
			return nil
		}
		return []string{c.Subject.CommonName}
	case FieldO:
		return c.Subject.Organization
	case FieldOU:
		return c.Subject.OrganizationalUnit
	case FieldDNS:
		return c.DNSNames
	case FieldURI, FieldSPIFFE:
		var out []string
		for _, u := range c.URIs {
			if r.Field == FieldSPIFFE && u.Scheme != "spiffe" {
				continue
			}
			out = append(out, u.String())
		}
		return out
	}
	return nil
}

// Match returns the matching value as "field:value", or "" when the rule
// does not admit the certificate.
func (r IdentityRule) Match(c *x509.Certificate) string {
	for _, v := range r.values(c) {
		if (r.Exact != "" && v == r.Exact) || (r.Prefix != "" && strings.HasPrefix(v, r.Prefix)) {
			return r.Field + ":" + v
		}
	}
	return ""
}

// Refusal reasons, as they appear in the audit log and the gateway preface.
const (
	ReasonNoTier         = "identity-matches-no-tier"
	ReasonUnknownTier    = "unknown-tier"
	ReasonAboveCert      = "tier-above-certificate"
	ReasonTierNotGiven   = "tier-not-admitted"
	ReasonNoClientCert   = "no-client-certificate"
	ReasonHandshake      = "tls-handshake-failed"
	ReasonBadPreface     = "bad-client-preface"
	ReasonConnLimit      = "connection-limit"
	ReasonHandshakeLimit = "handshake-limit"
	ReasonBackendDown    = "backend-unavailable"
	ReasonClientTimeout  = "handshake-timeout"
)

// RefusedError is a refusal with a stable reason code.
type RefusedError struct {
	Reason string
	Detail string
}

func (e *RefusedError) Error() string {
	if e.Detail == "" {
		return "refused: " + e.Reason
	}
	return "refused: " + e.Reason + ": " + e.Detail
}

// Assignment is the tier a certificate was given.
type Assignment struct {
	Tier *Tier
	// Identity is the matching value, "field:value" (e.g.
	// "spiffe:spiffe://example.org/ci/main").
	Identity string
}

// Admitted returns the tiers whose rules admit the certificate, lowest
// rank first, with the identity that matched each.
func (g *Gateway) Admitted(c *x509.Certificate) []Assignment {
	var out []Assignment
	for i := range g.Tiers {
		t := &g.Tiers[i]
		for _, r := range t.Identities {
			if id := r.Match(c); id != "" {
				out = append(out, Assignment{Tier: t, Identity: id})
				break
			}
		}
	}
	slices.SortFunc(out, func(a, b Assignment) int { return a.Tier.Rank - b.Tier.Rank })
	return out
}

// Assign maps a verified client certificate to exactly one tier.
//
// Ordering rule: with no requested tier, a certificate admitted to several
// tiers gets the LOWEST-ranked one (least privilege). A client may request
// a tier by name; it gets it only if the certificate is admitted to it. A
// request for a tier ranked above every tier the certificate is admitted to
// is refused with ReasonAboveCert; another tier the certificate is not
// admitted to is refused with ReasonTierNotGiven.
func (g *Gateway) Assign(c *x509.Certificate, requested string) (Assignment, error) {
	adm := g.Admitted(c)
	if len(adm) == 0 {
		return Assignment{}, &RefusedError{Reason: ReasonNoTier, Detail: describe(c)}
	}
	if requested == "" {
		return adm[0], nil
	}
	for _, a := range adm {
		if a.Tier.Name == requested {
			return a, nil
		}
	}
	want := g.Tier(requested)
	if want == nil {
		return Assignment{}, &RefusedError{Reason: ReasonUnknownTier, Detail: fmt.Sprintf("%q", requested)}
	}
	top := adm[len(adm)-1].Tier
	if want.Rank > top.Rank {
		return Assignment{}, &RefusedError{Reason: ReasonAboveCert,
			Detail: fmt.Sprintf("requested %q (rank %d), certificate allows at most %q (rank %d)", want.Name, want.Rank, top.Name, top.Rank)}
	}
	return Assignment{}, &RefusedError{Reason: ReasonTierNotGiven, Detail: fmt.Sprintf("certificate is not admitted to %q", requested)}
}

// describe summarises a certificate's identities for logs (no secrets).
func describe(c *x509.Certificate) string {
	parts := []string{"subject=" + c.Subject.String()}
	for _, d := range c.DNSNames {
		parts = append(parts, "dns="+d)
	}
	for _, u := range c.URIs {
		parts = append(parts, "uri="+u.String())
	}
	return strings.Join(parts, " ")
}

// ReasonEngineGone: a connection of a session whose engine is down or no
// longer configured; the session fails (outcome error), it never moves.
const ReasonEngineGone = "session-engine-gone"

// CertIdentity names a certificate by what it claims, for records of
// connections nobody authorized (an engine's own TLS listener accepts any
// certificate its CA signed): the first SPIFFE ID, else the first SAN URI,
// else the first SAN DNS name, else the subject CN, as "field:value"; ""
// when it has none of them.
func CertIdentity(c *x509.Certificate) string {
	for _, f := range []string{FieldSPIFFE, FieldURI, FieldDNS, FieldCN} {
		if v := (IdentityRule{Field: f}).values(c); len(v) > 0 {
			return f + ":" + v[0]
		}
	}
	return ""
}
