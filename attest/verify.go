package attest

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/sigstore/sigstore-go/pkg/root"
)

// Artifact is something that must be a subject of the attestations.
type Artifact struct {
	Name   string `json:"name"`
	SHA256 string `json:"sha256,omitempty"`
	// Digests are digests in other algorithms (sha384, sha512), matched
	// against subjects that carry them.
	Digests map[string]string `json:"digests,omitempty"`
}

// VerifyOptions are the checks Verify applies.
type VerifyOptions struct {
	// Verifiers are the trusted keys; one of them must verify a signature.
	Verifiers []Verifier
	// PredicateType is required (default PredicateSLSAProvenanceV1).
	PredicateType string
	// Artifacts must each be a subject of at least one attestation. At
	// least one artifact is required.
	Artifacts []Artifact
	// Optional constraints on SLSA v1 provenance; "" means not checked.
	// For keyless evidence BuilderID, SourceURI and SourceRef are also
	// checked against the certificate (build signer URI, source repository
	// URI and ref): both must agree. BuilderID without "@" matches any ref;
	// source URIs compare without scheme, "git+" and ".git".
	BuilderID, SourceURI, SourceRef, Tier string
	// Optional constraints on the gateway a run went through
	// (buildDefinition.internalParameters.gateway.identity and .cacheMode);
	// "" means not checked. When set, provenance without a gateway block
	// fails (fail closed).
	Identity, CacheMode string
	// Keyless, when not nil, verifies certificate-signed evidence (see
	// NewKeyless). Without it such evidence is ErrBadInput.
	Keyless *Keyless
	// TimestampAuthorities verify the RFC 3161 timestamps of key-signed
	// bundles (LoadTrustedRoot); every one must verify. Without it they
	// are reported as not verified and are not facts. Keyless evidence
	// uses Keyless's trusted material.
	TimestampAuthorities root.TrustedMaterial
	// Policy, when not nil, is the Rego deploy policy.
	Policy DeployPolicy
	// Workers verifies that many attestations in parallel (default 1).
	Workers int

	// requireAll makes each attestation cover every artifact (set by
	// Verify for a single attestation); otherwise each must cover one.
	requireAll bool
	artIndex   map[string][]int // hex digest (any algorithm: the lengths differ) → indexes into Artifacts
}

// Check is one check and its outcome.
type Check struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail,omitempty"`
}

// Result is the verdict on one attestation.
type Result struct {
	File          string   `json:"file"`
	Index         int      `json:"index"`
	Format        string   `json:"format"`
	Verified      bool     `json:"verified"`
	Key           string   `json:"key,omitempty"`
	StatementType string   `json:"statementType,omitempty"`
	PredicateType string   `json:"predicateType,omitempty"`
	Subjects      []string `json:"subjects,omitempty"`
	BuilderID     string   `json:"builderId,omitempty"`
	SourceURI     string   `json:"sourceUri,omitempty"`
	SourceRef     string   `json:"sourceRef,omitempty"`
	Tier          string   `json:"tier,omitempty"`
	Identity      string   `json:"identity,omitempty"`
	CacheMode     string   `json:"cacheMode,omitempty"`
	// Keyless evidence: the verified certificate, log entries and times.
	Certificate *Certificate `json:"certificate,omitempty"`
	LogEntries  []LogEntry   `json:"tlogEntries,omitempty"`
	Timestamps  []Timestamp  `json:"timestamps,omitempty"`
	Checks      []Check      `json:"checks"`
	Error       string       `json:"error,omitempty"`
	err         error
	statement   json.RawMessage
	subjects    []map[string]string
}

// ParseDigest parses "sha256:<hex>".
func ParseDigest(s string) (string, error) {
	hexd, ok := strings.CutPrefix(s, "sha256:")
	hexd = strings.ToLower(hexd)
	if !ok || !isSHA256Hex(hexd) {
		return "", fmt.Errorf("%w: digest %q is not sha256:<64 hex digits>", ErrBadInput, s)
	}
	return hexd, nil
}

// VerifyOne runs every check on one attestation, in order, stopping at the
// first failure. The error (also in Result.Error) wraps the reason.
func (o *VerifyOptions) VerifyOne(ctx context.Context, a *Attestation) (*Result, error) {
	r := &Result{File: a.Source, Index: a.Index, Format: a.Format, Checks: []Check{}}
	err := o.verify(ctx, a, r)
	if err != nil {
		r.err = err
		r.Error = err.Error()
		return r, err
	}
	r.Verified = true
	return r, nil
}

func (r *Result) pass(name, detail string) { r.Checks = append(r.Checks, Check{name, true, detail}) }

func (r *Result) fail(name string, err error) error {
	r.Checks = append(r.Checks, Check{name, false, err.Error()})
	return err
}

func (o *VerifyOptions) verify(ctx context.Context, a *Attestation, r *Result) error {
	env := a.Envelope
	// 1. signature over the exact PAE, payload type included: with a
	// trusted key, or keyless through sigstore-go.
	if a.keyless() {
		if o.Keyless == nil {
			return r.fail("signature", errNeedKeyless())
		}
		blob, err := o.Keyless.verifyKeyless(a, r, o.artifactSHA256s())
		if err != nil {
			if errors.Is(err, ErrCertificateIdentity) {
				r.pass("signature", "keyless, the certificate chains to "+o.Keyless.Root)
				return r.fail("identity", err)
			}
			if errors.Is(err, ErrNoSigningTime) {
				r.pass("signature", "keyless, the certificate chains to "+o.Keyless.Root+" (at its issuance time)")
				r.pass("identity", "the certificate matches the identity")
				return r.fail("signingTime", err)
			}
			return r.fail("signature", err)
		}
		r.Key = r.Certificate.signerName()
		r.pass("signature", "keyless, the certificate chains to "+o.Keyless.Root)
		r.pass("identity", r.Key)
		r.pass("signingTime", describeTimes(r.Timestamps))
		if o.Keyless.IgnoreTlog {
			r.pass("tlog", "NOT VERIFIED (--insecure-ignore-tlog): dated by an RFC 3161 timestamp only")
		} else {
			r.pass("tlog", fmt.Sprintf("%d log entr%s verified, bound to this signature", len(r.LogEntries), map[bool]string{true: "y", false: "ies"}[len(r.LogEntries) == 1]))
		}
		if env == nil {
			return o.verifyBlob(ctx, a, r, blob)
		}
	} else {
		if env == nil {
			return r.fail("signature", badInput(ErrMalformedBundle, "a key-signed message-signature bundle is not supported; verify blobs signed keylessly (--trusted-root)"))
		}
		if len(o.Verifiers) == 0 && o.Keyless != nil {
			return r.fail("signature", failed(ErrSignatureMismatch, "signed with a key, not a certificate, and no --key is trusted (keyless verification only)"))
		}
		key, err := verifySignatures(ctx, env, o.Verifiers)
		if err != nil {
			return r.fail("signature", err)
		}
		r.Key = key
		r.pass("signature", "verified with "+key)
		if a.Bundle != nil && a.Bundle.Timestamps > 0 {
			if o.TimestampAuthorities == nil {
				r.pass("timestamps", fmt.Sprintf("%d RFC 3161 timestamp(s) not verified (pass --timestamp-certificate-chain or --trusted-root)", a.Bundle.Timestamps))
			} else {
				ts, err := verifyTimestamps(a, o.TimestampAuthorities)
				if err != nil {
					return r.fail("timestamps", err)
				}
				r.Timestamps = ts
				r.pass("timestamps", describeTimes(ts))
			}
		}
	}
	if env.PayloadType != PayloadTypeInToto {
		return r.fail("payloadType", failed(ErrPayloadType, "got %q, want %q", env.PayloadType, PayloadTypeInToto))
	}
	r.pass("payloadType", env.PayloadType)
	// 2. statement type.
	st, err := parseStatement(env.Payload)
	if err != nil {
		return r.fail("statementType", err)
	}
	r.statement = env.Payload
	r.StatementType, r.PredicateType = st.Type, st.PredicateType
	if err := st.checkType(); err != nil {
		return r.fail("statementType", err)
	}
	r.pass("statementType", st.Type)
	// 3. predicate type.
	want := o.PredicateType
	if want == "" {
		want = PredicateSLSAProvenanceV1
	}
	if want == TypeBlob {
		return r.fail("predicateType", failed(ErrPredicateType, "--type blob verifies message-signature bundles; this is an attestation of %q", st.PredicateType))
	}
	if st.PredicateType != want {
		return r.fail("predicateType", failed(ErrPredicateType, "got %q, want %q", st.PredicateType, want))
	}
	r.pass("predicateType", st.PredicateType)
	// 4. subjects.
	subjects, err := st.subjectDigests()
	if err != nil {
		return r.fail("subjects", err)
	}
	if err := o.checkSubjects(r, subjects); err != nil {
		return err
	}
	// 5. constraints.
	if err := o.checkConstraints(st, r); err != nil {
		return err
	}
	// 6. deploy policy.
	return o.evalPolicy(ctx, a, r)
}

func (o *VerifyOptions) evalPolicy(ctx context.Context, a *Attestation, r *Result) error {
	if o.Policy != nil {
		if err := evalPolicy(ctx, o.Policy, PolicyInput(a, r, o)); err != nil {
			return r.fail("policy", err)
		}
		r.pass("policy", o.Policy.Source())
	}
	return nil
}

// checkSubjects records r's subjects and checks they cover the artifacts
// (all of them for a single attestation, one otherwise).
func (o *VerifyOptions) checkSubjects(r *Result, subjects []map[string]string) error {
	r.subjects = subjects
	r.Subjects = make([]string, len(subjects))
	for i, s := range subjects {
		r.Subjects[i] = subjectLabel(s)
	}
	covered := 0
	if o.artIndex != nil && !o.requireAll {
		if o.coversOne(subjects) {
			covered = 1
		}
	} else {
		for i := range o.Artifacts {
			if o.Artifacts[i].coveredBy(subjects) {
				covered++
			}
		}
	}
	if covered == 0 || (o.requireAll && covered < len(o.Artifacts)) {
		for i := range o.Artifacts {
			if art := &o.Artifacts[i]; !art.coveredBy(subjects) {
				return r.fail("subjects", failed(ErrSubjectMismatch, "%s is not among the %d subject(s)", art.label(), len(subjects)))
			}
		}
	}
	if o.requireAll {
		r.pass("subjects", fmt.Sprintf("%d subject(s), covers all %d artifact(s)", len(subjects), covered))
	} else {
		r.pass("subjects", fmt.Sprintf("%d subject(s), covers at least one artifact", len(subjects)))
	}
	return nil
}

// coversOne reports whether a subject matches an artifact, through the
// digest index.
func (o *VerifyOptions) coversOne(subjects []map[string]string) bool {
	for _, s := range subjects {
		for _, d := range s {
			for _, i := range o.artIndex[d] {
				if o.Artifacts[i].matches(s) {
					return true
				}
			}
		}
	}
	return false
}

// coveredArtifacts appends to dst the indexes of the artifacts subjects
// cover (each once).
func (o *VerifyOptions) coveredArtifacts(subjects []map[string]string, dst []int) []int {
	for _, s := range subjects {
		for _, d := range s {
			for _, i := range o.artIndex[d] {
				if !slices.Contains(dst, i) && o.Artifacts[i].matches(s) {
					dst = append(dst, i)
				}
			}
		}
	}
	return dst
}

// artifactSHA256s lists the artifacts' sha256 digests.
func (o *VerifyOptions) artifactSHA256s() []string {
	out := make([]string, 0, len(o.Artifacts))
	for _, a := range o.Artifacts {
		out = append(out, a.SHA256)
	}
	return out
}

// checkConstraints checks the provenance constraints against the payload
// (st; nil for a blob signature, which has none) and, for keyless
// evidence, against the certificate: both must agree.
func (o *VerifyOptions) checkConstraints(st *statementDoc, r *Result) error {
	if o.BuilderID == "" && o.SourceURI == "" && o.SourceRef == "" && o.Tier == "" && o.Identity == "" && o.CacheMode == "" && o.Policy == nil {
		return nil
	}
	var p provenanceDoc
	if st != nil && st.PredicateType == PredicateSLSAProvenanceV1 {
		if st.predicateErr != nil {
			return r.fail("provenance", failed(ErrMalformedStatement, "predicate: %v", st.predicateErr))
		}
		p = st.Predicate
	}
	ext := &p.BuildDefinition.ExternalParameters
	r.BuilderID = p.RunDetails.Builder.ID
	r.SourceURI = ext.Source.URI
	if r.SourceURI == "" {
		r.SourceURI = ext.Workflow.Repository
	}
	r.SourceRef = ext.Workflow.Ref
	r.Tier = ext.Tier
	gw := p.BuildDefinition.InternalParameters.Gateway
	if gw != nil {
		r.Identity, r.CacheMode = gw.Identity, gw.CacheMode
	}
	var cert certValues
	if c := r.Certificate; c != nil {
		cert = certValues{true, c.BuildSignerURI, c.SourceRepositoryURI, c.SourceRepositoryRef}
		if cert.builder == "" {
			cert.builder = c.SubjectAlternativeName
		}
	}
	for _, c := range []struct {
		name, want, got, certGot string
		match                    func(want, got string) bool
		reason                   error
		gateway, certified       bool
	}{
		{"builderId", o.BuilderID, r.BuilderID, cert.builder, matchBuilderID, ErrBuilderID, false, true},
		{"sourceUri", o.SourceURI, r.SourceURI, cert.source, matchSourceURI, ErrSourceURI, false, true},
		{"sourceRef", o.SourceRef, r.SourceRef, cert.ref, equal, ErrSourceRef, false, true},
		{"tier", o.Tier, r.Tier, "", equal, ErrTier, false, false},
		{"identity", o.Identity, r.Identity, "", equal, ErrIdentity, true, false},
		{"cacheMode", o.CacheMode, r.CacheMode, "", equal, ErrCacheMode, true, false},
	} {
		if c.want == "" {
			continue
		}
		if cert.ok && c.certified && !c.match(c.want, c.certGot) {
			return r.fail(c.name, failed(c.reason, "certificate says %q, want %q", c.certGot, c.want))
		}
		if st == nil {
			if !cert.ok || !c.certified {
				return r.fail(c.name, failed(c.reason, "a blob signature carries no provenance, want %q", c.want))
			}
			r.pass(c.name, c.certGot+" (certificate; a blob signature has no payload)")
			continue
		}
		if c.gateway && gw == nil {
			return r.fail(c.name, failed(c.reason, "no internalParameters.gateway (the run did not go through the gateway), want %q", c.want))
		}
		if !c.match(c.want, c.got) {
			if cert.ok && c.certified {
				return r.fail(c.name, failed(c.reason, "the certificate says %q but the payload says %q (want %q)", c.certGot, c.got, c.want))
			}
			return r.fail(c.name, failed(c.reason, "got %q, want %q", c.got, c.want))
		}
		if cert.ok && c.certified {
			r.pass(c.name, c.got+" (payload and certificate agree)")
		} else {
			r.pass(c.name, c.got)
		}
	}
	return nil
}

// certValues are the certificate's answers to the provenance constraints.
type certValues struct {
	ok                   bool
	builder, source, ref string
}

func equal(want, got string) bool { return want == got }

// matchBuilderID: a builder id without "@ref" matches any ref of it (as
// slsa-verifier's --builder-id does).
func matchBuilderID(want, got string) bool {
	if got == want {
		return true
	}
	return !strings.Contains(want, "@") && strings.HasPrefix(got, want+"@")
}

// matchSourceURI compares source URIs without scheme, "git+" prefix,
// ".git" suffix, trailing slash and @ref, host case-insensitively (and the
// path on github.com) ("github.com/o/r" as slsa-verifier
// takes it matches "git+https://github.com/o/r.git").
func matchSourceURI(want, got string) bool {
	return got != "" && normSourceURI(want) == normSourceURI(got)
}

func normSourceURI(s string) string {
	s = trimScheme(s)
	if slash := strings.Index(s, "/"); slash >= 0 {
		if at := strings.Index(s[slash:], "@"); at >= 0 {
			s = s[:slash+at] // a trailing @ref or @commit
		}
	}
	s = strings.TrimSuffix(strings.TrimSuffix(s, "/"), ".git")
	// Host names are case-insensitive; paths only on GitHub.
	host, path, _ := strings.Cut(s, "/")
	host = strings.ToLower(host)
	if host == "github.com" {
		path = strings.ToLower(path)
	}
	return host + "/" + path
}

// verifySignatures returns the name of the first trusted key that verifies
// one of the envelope's signatures over the PAE.
func verifySignatures(ctx context.Context, env *Envelope, vs []Verifier) (string, error) {
	if len(env.Signatures) == 0 {
		return "", failed(ErrNoSignatures, "nothing to verify")
	}
	if len(vs) == 0 {
		return "", fmt.Errorf("%w: %w: no trusted keys", ErrBadInput, ErrKey)
	}
	pae := PAE(env.PayloadType, env.Payload)
	se := &SignatureError{Signatures: len(env.Signatures), Keys: len(vs)}
	for i, s := range env.Signatures {
		if len(s.Sig) == 0 {
			se.Reasons = append(se.Reasons, fmt.Sprintf("signature %d is empty", i))
			continue
		}
		for _, v := range vs {
			if err := v.Verify(ctx, pae, s.Sig); err == nil {
				return v.Name(), nil
			}
		}
		se.Reasons = append(se.Reasons, fmt.Sprintf("signature %d (keyid %q, %s) verifies with no trusted key", i, s.KeyID, shortHex(s.Sig)))
	}
	return "", se
}

func shortHex(b []byte) string {
	if len(b) > 8 {
		b = b[:8]
	}
	return hex.EncodeToString(b) + "…"
}
