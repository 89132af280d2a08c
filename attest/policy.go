package attest

import (
	"context"
	"encoding/json"
)

// DeployPolicy is a compiled Rego deploy policy, evaluated per
// attestation after every other check passed. Package policy loads them
// (policy.LoadDeploy); attest only asks for the verdict.
type DeployPolicy interface {
	// Source names the policy in results (its directory).
	Source() string
	// Deny evaluates the policy on PolicyInput's document: the deny
	// messages (none: allowed), defined false when the policy has no
	// decision, or an error when it could not decide.
	Deny(ctx context.Context, input map[string]any) (deny []string, defined bool, err error)
}

// evalPolicy runs the deploy policy fail closed: undefined is
// ErrPolicyUndefined, an evaluation error (for example a builtin error on
// a malformed date) ErrPolicyEval, any message a *PolicyError; all of them
// are verification failures, never a pass.
func evalPolicy(ctx context.Context, p DeployPolicy, input map[string]any) error {
	deny, defined, err := p.Deny(ctx, input)
	switch {
	case err != nil:
		return failed(ErrPolicyEval, "%v", err)
	case !defined:
		return failed(ErrPolicyUndefined, "data.pinline.deploy.deny is undefined (package pinline.deploy with rule deny required)")
	case len(deny) > 0:
		return &PolicyError{Violations: deny}
	}
	return nil
}

// PolicyInput is the documented input document of deploy policies
// (docs/verify.md): the whole statement plus the verification facts. Only
// verified facts are there: log entries and timestamps that verified, the
// identity of a certificate that chained to the trusted root.
func PolicyInput(a *Attestation, r *Result, o *VerifyOptions) map[string]any {
	var st any
	if r.statement != nil {
		_ = json.Unmarshal(r.statement, &st) // parsed successfully before
	}
	arts := make([]any, 0, len(o.Artifacts))
	for _, art := range o.Artifacts {
		m := map[string]any{"name": art.Name, "sha256": art.SHA256, "isSubject": art.coveredBy(r.subjects)}
		if len(art.Digests) > 0 {
			m["digests"] = jsonValue(art.Digests)
		}
		arts = append(arts, m)
	}
	payloadType := ""
	if a.Envelope != nil {
		payloadType = a.Envelope.PayloadType
	}
	facts := map[string]any{
		"attestation":   a.Source,
		"index":         a.Index,
		"format":        a.Format,
		"payloadType":   payloadType,
		"key":           r.Key,
		"keyless":       r.Certificate != nil,
		"statementType": r.StatementType,
		"predicateType": r.PredicateType,
		"artifacts":     arts,
		"builderId":     r.BuilderID,
		"sourceUri":     r.SourceURI,
		"sourceRef":     r.SourceRef,
		"tier":          r.Tier,
		"identity":      r.Identity,
		"cacheMode":     r.CacheMode,
		"constraints": map[string]any{"builderId": o.BuilderID, "sourceUri": o.SourceURI, "sourceRef": o.SourceRef, "tier": o.Tier,
			"identity": o.Identity, "cacheMode": o.CacheMode},
		"certificate": jsonValue(r.Certificate),
		"tlogEntries": jsonValue(orEmpty(r.LogEntries)),
		"timestamps":  jsonValue(orEmpty(r.Timestamps)),
	}
	if a.Bundle != nil {
		facts["bundleMediaType"] = a.Bundle.MediaType
	}
	return map[string]any{"statement": st, "verification": facts}
}

func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// jsonValue is v as the JSON value Rego reads (nil stays null).
func jsonValue(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	var out any
	_ = json.Unmarshal(b, &out)
	return out
}
