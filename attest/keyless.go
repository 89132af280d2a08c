package attest

import (
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/verify"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
)

// GitHubActionsIssuer is the OIDC issuer of GitHub Actions workflow
// identities, the default issuer of the GitHub shortcuts (--owner, --repo,
// --signer-workflow) as in `gh attestation verify`.
const GitHubActionsIssuer = "https://token.actions.githubusercontent.com"

// CertificateIdentity is what a keyless signer's Fulcio certificate must
// say, with cosign's flag names. Either SubjectAlternativeName or its
// Regexp, and either Issuer or its Regexp are required, unless a GitHub
// shortcut (Owner, Repo, SignerWorkflow) derives them. Regexps are Go
// syntax and, as in cosign, not anchored unless they say so.
type CertificateIdentity struct {
	SubjectAlternativeName, SubjectAlternativeNameRegexp string
	Issuer, IssuerRegexp                                 string
	// GitHub workflow extensions (1.3.6.1.4.1.57264.1.2-6), "" = not checked.
	GitHubWorkflowRepository, GitHubWorkflowRef, GitHubWorkflowSHA string
	GitHubWorkflowName, GitHubWorkflowTrigger                      string
	// Shortcuts of `gh attestation verify`: Owner "o" (the certificate's
	// source repository owner is https://github.com/o), Repo "o/r" (source
	// repository https://github.com/o/r), SignerWorkflow "o/r/path.yml"
	// (the build signer URI, any ref). Each also constrains the SAN when no
	// SAN flag is given.
	Owner, Repo, SignerWorkflow string
}

// Keyless verifies certificate-signed evidence (sigstore bundles with a
// Fulcio certificate, envelopes carrying a certificate) offline, through
// sigstore-go: the chain at signing time, SCTs, transparency log entries
// bound to the signature, RFC 3161 timestamps, and the identity.
type Keyless struct {
	// Root names the trusted material in reports.
	Root string
	// IgnoreTlog skips transparency log verification (cosign's
	// --insecure-ignore-tlog). A verified RFC 3161 timestamp is then the
	// only signing time, and without one verification fails.
	IgnoreTlog bool

	trusted  root.TrustedMaterial
	verifier *verify.Verifier
	identity verify.CertificateIdentity
	wantID   CertificateIdentity
	sctCheck bool
}

// ErrKeyless is keyless evidence that cannot be checked as configured, or a
// keyless configuration that is incomplete (class ErrBadInput).
var ErrKeyless = errors.New("keyless verification")

// ErrCertificate is a certificate, log entry or timestamp that does not
// verify against the trusted root (class ErrVerificationFailed).
var ErrCertificate = errors.New("keyless signature does not verify against the trusted root")

// ErrCertificateIdentity is a certificate of another identity (class
// ErrVerificationFailed).
var ErrCertificateIdentity = errors.New("certificate identity does not match")

// LoadTrustedRoot reads a sigstore trusted_root.json (Fulcio CAs, Rekor v1
// and v2 logs, CT logs, timestamp authorities). tsaChain, when not "", is a
// PEM file of a timestamp authority's chain (leaf first or last, root
// included; cosign's --timestamp-certificate-chain) trusted besides the
// root's authorities; path may then be "".
func LoadTrustedRoot(path, tsaChain string) (root.TrustedMaterial, error) {
	var coll root.TrustedMaterialCollection
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("%w: %w: trusted root: %w", ErrBadInput, ErrKeyless, err)
		}
		tr, err := root.NewTrustedRootFromJSON(data)
		if err != nil {
			return nil, fmt.Errorf("%w: %w: %s: not a sigstore trusted root: %w", ErrBadInput, ErrKeyless, path, err)
		}
		coll = append(coll, tr)
	}
	if tsaChain != "" {
		tsa, err := loadTSAChain(tsaChain)
		if err != nil {
			return nil, err
		}
		coll = append(coll, tsa)
	}
	if len(coll) == 0 {
		return nil, fmt.Errorf("%w: %w: no trusted root", ErrBadInput, ErrKeyless)
	}
	return coll, nil
}

// tsaMaterial is trusted material holding one timestamp authority.
type tsaMaterial struct {
	root.BaseTrustedMaterial
	tsa root.TimestampingAuthority
}

func (m *tsaMaterial) TimestampingAuthorities() []root.TimestampingAuthority {
	return []root.TimestampingAuthority{m.tsa}
}

func loadTSAChain(path string) (*tsaMaterial, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w: timestamp certificate chain: %w", ErrBadInput, ErrKeyless, err)
	}
	certs, err := cryptoutils.UnmarshalCertificatesFromPEM(data)
	if err != nil || len(certs) == 0 {
		return nil, fmt.Errorf("%w: %w: %s: no PEM certificates (%v)", ErrBadInput, ErrKeyless, path, err)
	}
	// Order leaf → root whichever way the file lists them.
	if certs[0].IsCA {
		for i, j := 0, len(certs)-1; i < j; i, j = i+1, j-1 {
			certs[i], certs[j] = certs[j], certs[i]
		}
	}
	rootCert := certs[len(certs)-1]
	if !rootCert.IsCA || rootCert.CheckSignatureFrom(rootCert) != nil {
		return nil, fmt.Errorf("%w: %w: %s: the chain must end with a self-signed root CA", ErrBadInput, ErrKeyless, path)
	}
	tsa := &root.SigstoreTimestampingAuthority{Root: rootCert, URI: path}
	rest := certs[:len(certs)-1]
	if len(rest) > 0 && !rest[0].IsCA {
		tsa.Leaf, rest = rest[0], rest[1:]
	}
	tsa.Intermediates = append([]*x509.Certificate(nil), rest...)
	return &tsaMaterial{tsa: tsa}, nil
}

// NewKeyless prepares keyless verification against trusted material with
// an identity. An identity without SAN or issuer criteria is ErrBadInput
// (as in cosign: keyless evidence is only meaningful for a named signer).
func NewKeyless(trusted root.TrustedMaterial, name string, id CertificateIdentity, ignoreTlog bool) (*Keyless, error) {
	if trusted == nil {
		return nil, fmt.Errorf("%w: %w: pass --trusted-root", ErrBadInput, ErrKeyless)
	}
	ci, err := id.policy()
	if err != nil {
		return nil, err
	}
	k := &Keyless{Root: name, IgnoreTlog: ignoreTlog, trusted: trusted, identity: ci, wantID: id}
	// A signing time must come from a verified source: the log entry's
	// integrated time (SET) or an RFC 3161 timestamp.
	opts := []verify.VerifierOption{verify.WithObserverTimestamps(1)}
	if !ignoreTlog {
		opts = append(opts, verify.WithTransparencyLog(1))
	}
	// SCTs are required whenever the root lists CT logs (Fulcio's public
	// instance embeds them); a private root without CT logs has none.
	if len(trusted.CTLogs()) > 0 {
		opts = append(opts, verify.WithSignedCertificateTimestamps(1))
		k.sctCheck = true
	}
	if k.verifier, err = verify.NewVerifier(trusted, opts...); err != nil {
		return nil, fmt.Errorf("%w: %w: %w", ErrBadInput, ErrKeyless, err)
	}
	return k, nil
}

// policy is the sigstore-go identity: explicit SAN/issuer flags, or the
// ones the GitHub shortcuts imply.
func (id CertificateIdentity) policy() (verify.CertificateIdentity, error) {
	san, sanRE := id.SubjectAlternativeName, id.SubjectAlternativeNameRegexp
	iss, issRE := id.Issuer, id.IssuerRegexp
	var ext certificate.Extensions
	ext.GithubWorkflowRepository = id.GitHubWorkflowRepository
	ext.GithubWorkflowRef = id.GitHubWorkflowRef
	ext.GithubWorkflowSHA = id.GitHubWorkflowSHA
	ext.GithubWorkflowName = id.GitHubWorkflowName
	ext.GithubWorkflowTrigger = id.GitHubWorkflowTrigger
	gh := ""
	switch {
	case id.SignerWorkflow != "":
		gh = `^https://github\.com/` + regexp.QuoteMeta(strings.TrimPrefix(trimScheme(id.SignerWorkflow), "github.com/")) + `@`
	case id.Repo != "":
		gh = `^https://github\.com/` + regexp.QuoteMeta(id.Repo) + `/`
	case id.Owner != "":
		gh = `^https://github\.com/` + regexp.QuoteMeta(id.Owner) + `/`
	}
	if gh != "" {
		if san == "" && sanRE == "" {
			sanRE = gh
		}
		if iss == "" && issRE == "" {
			iss = GitHubActionsIssuer
		}
	}
	if id.Repo != "" && strings.Count(id.Repo, "/") != 1 {
		return verify.CertificateIdentity{}, fmt.Errorf("%w: %w: --repo %q is not OWNER/REPO", ErrBadInput, ErrKeyless, id.Repo)
	}
	if san == "" && sanRE == "" {
		return verify.CertificateIdentity{}, fmt.Errorf("%w: %w: keyless evidence needs an identity: pass --certificate-identity or --certificate-identity-regexp (or --owner, --repo, --signer-workflow)", ErrBadInput, ErrKeyless)
	}
	if iss == "" && issRE == "" {
		return verify.CertificateIdentity{}, fmt.Errorf("%w: %w: keyless evidence needs an issuer: pass --certificate-oidc-issuer or --certificate-oidc-issuer-regexp", ErrBadInput, ErrKeyless)
	}
	sm, err := verify.NewSANMatcher(san, sanRE)
	if err != nil {
		return verify.CertificateIdentity{}, fmt.Errorf("%w: %w: --certificate-identity-regexp: %w", ErrBadInput, ErrKeyless, err)
	}
	im, err := verify.NewIssuerMatcher(iss, issRE)
	if err != nil {
		return verify.CertificateIdentity{}, fmt.Errorf("%w: %w: --certificate-oidc-issuer-regexp: %w", ErrBadInput, ErrKeyless, err)
	}
	ci, err := verify.NewCertificateIdentity(sm, im, ext)
	if err != nil {
		return verify.CertificateIdentity{}, fmt.Errorf("%w: %w: %w", ErrBadInput, ErrKeyless, err)
	}
	return ci, nil
}

// checkShortcuts checks the extensions Owner and Repo name (the SAN regexp
// they imply is not enough when an explicit SAN flag replaced it).
func (id CertificateIdentity) checkShortcuts(c *certificate.Summary) error {
	if id.Owner != "" && !strings.EqualFold(c.SourceRepositoryOwnerURI, "https://github.com/"+id.Owner) {
		return failed(ErrCertificateIdentity, "source repository owner %q, want https://github.com/%s", c.SourceRepositoryOwnerURI, id.Owner)
	}
	if id.Repo != "" && !strings.EqualFold(c.SourceRepositoryURI, "https://github.com/"+id.Repo) {
		return failed(ErrCertificateIdentity, "source repository %q, want https://github.com/%s", c.SourceRepositoryURI, id.Repo)
	}
	if id.SignerWorkflow != "" {
		want := "https://github.com/" + strings.TrimPrefix(trimScheme(id.SignerWorkflow), "github.com/")
		got, _, _ := strings.Cut(c.BuildSignerURI, "@")
		if got != want {
			return failed(ErrCertificateIdentity, "build signer %q, want %s@…", c.BuildSignerURI, want)
		}
	}
	return nil
}

// trimScheme drops a URI's scheme (https://, git+https://).
func trimScheme(s string) string {
	if _, rest, ok := strings.Cut(s, "://"); ok {
		return rest
	}
	return s
}

// LogEntry is a transparency log entry verification checked.
type LogEntry struct {
	Verified       bool      `json:"verified"`
	LogIndex       int64     `json:"logIndex"`
	LogID          string    `json:"logId"`
	Kind           string    `json:"kind"`
	RekorV2        bool      `json:"rekorV2"`
	IntegratedTime time.Time `json:"integratedTime,omitzero"`
}

// Timestamp is a verified signing time.
type Timestamp struct {
	Type string    `json:"type"` // "Tlog" or "TimestampAuthority"
	URI  string    `json:"uri,omitempty"`
	Time time.Time `json:"time"`
}

// Certificate is the verified signer of keyless evidence.
type Certificate struct {
	SubjectAlternativeName string `json:"subjectAlternativeName"`
	certificate.Extensions
}
