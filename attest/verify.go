package attest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

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
