package attest

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
)

// Artifact is something that must be a subject of the attestations.
type Artifact struct {
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
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
	BuilderID, SourceURI, Tier string
	// Optional constraints on the gateway a run went through
	// (buildDefinition.internalParameters.gateway.identity and .cacheMode);
	// "" means not checked. When set, provenance without a gateway block
	// fails (fail closed).
	Identity, CacheMode string
	// Policy, when not nil, is the Rego deploy policy.
	Policy DeployPolicy
	// Workers verifies that many attestations in parallel (default 1).
	Workers int

	// requireAll makes each attestation cover every artifact (set by
	// Verify for a single attestation); otherwise each must cover one.
	requireAll bool
	artSet     map[string]bool
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
	Tier          string   `json:"tier,omitempty"`
	Identity      string   `json:"identity,omitempty"`
	CacheMode     string   `json:"cacheMode,omitempty"`
	Checks        []Check  `json:"checks"`
	Error         string   `json:"error,omitempty"`
	err           error
	statement     json.RawMessage
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
	// 1. signature over the exact PAE, payload type included.
	key, err := verifySignatures(ctx, env, o.Verifiers)
	if err != nil {
		return r.fail("signature", err)
	}
	r.Key = key
	r.pass("signature", "verified with "+key)
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
	if st.PredicateType != want {
		return r.fail("predicateType", failed(ErrPredicateType, "got %q, want %q", st.PredicateType, want))
	}
	r.pass("predicateType", st.PredicateType)
	// 4. subjects.
	digests, err := st.subjectSHA256s()
	if err != nil {
		return r.fail("subjects", err)
	}
	r.Subjects = digests
	covered := 0
	if o.artSet != nil && !o.requireAll {
		for _, d := range digests {
			if o.artSet[d] {
				covered = 1
				break
			}
		}
	} else {
		for _, art := range o.Artifacts {
			if hasDigest(digests, art.SHA256) {
				covered++
			}
		}
	}
	if covered == 0 || (o.requireAll && covered < len(o.Artifacts)) {
		for _, art := range o.Artifacts {
			if !hasDigest(digests, art.SHA256) {
				return r.fail("subjects", failed(ErrSubjectMismatch, "%s (sha256:%s) is not among the %d subject(s)", art.Name, art.SHA256, len(digests)))
			}
		}
	}
	if o.requireAll {
		r.pass("subjects", fmt.Sprintf("%d subject(s), covers all %d artifact(s)", len(digests), covered))
	} else {
		r.pass("subjects", fmt.Sprintf("%d subject(s), covers at least one artifact", len(digests)))
	}
	// 5. constraints.
	if err := o.checkConstraints(st, r); err != nil {
		return err
	}
	// 6. deploy policy.
	if o.Policy != nil {
		if err := evalPolicy(ctx, o.Policy, PolicyInput(a, r, o)); err != nil {
			return r.fail("policy", err)
		}
		r.pass("policy", o.Policy.Source())
	}
	return nil
}

func (o *VerifyOptions) checkConstraints(st *statementDoc, r *Result) error {
	if o.BuilderID == "" && o.SourceURI == "" && o.Tier == "" && o.Identity == "" && o.CacheMode == "" && o.Policy == nil {
		return nil
	}
	var p provenanceDoc
	if st.PredicateType == PredicateSLSAProvenanceV1 {
		if st.predicateErr != nil {
			return r.fail("provenance", failed(ErrMalformedStatement, "predicate: %v", st.predicateErr))
		}
		p = st.Predicate
	}
	r.BuilderID = p.RunDetails.Builder.ID
	r.SourceURI = p.BuildDefinition.ExternalParameters.Source.URI
	r.Tier = p.BuildDefinition.ExternalParameters.Tier
	gw := p.BuildDefinition.InternalParameters.Gateway
	if gw != nil {
		r.Identity, r.CacheMode = gw.Identity, gw.CacheMode
	}
	for _, c := range []struct {
		name, want, got string
		reason          error
		gateway         bool
	}{
		{"builderId", o.BuilderID, r.BuilderID, ErrBuilderID, false},
		{"sourceUri", o.SourceURI, r.SourceURI, ErrSourceURI, false},
		{"tier", o.Tier, r.Tier, ErrTier, false},
		{"identity", o.Identity, r.Identity, ErrIdentity, true},
		{"cacheMode", o.CacheMode, r.CacheMode, ErrCacheMode, true},
	} {
		if c.want == "" {
			continue
		}
		if c.gateway && gw == nil {
			return r.fail(c.name, failed(c.reason, "no internalParameters.gateway (the run did not go through the gateway), want %q", c.want))
		}
		if c.got != c.want {
			return r.fail(c.name, failed(c.reason, "got %q, want %q", c.got, c.want))
		}
		r.pass(c.name, c.got)
	}
	return nil
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
