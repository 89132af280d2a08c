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
// (docs/verify.md): the whole statement plus the verification facts.
func PolicyInput(a *Attestation, r *Result, o *VerifyOptions) map[string]any {
	var st any
	_ = json.Unmarshal(r.statement, &st) // parsed successfully before
	arts := make([]any, 0, len(o.Artifacts))
	for _, art := range o.Artifacts {
		arts = append(arts, map[string]any{"name": art.Name, "sha256": art.SHA256, "isSubject": hasDigest(r.Subjects, art.SHA256)})
	}
	facts := map[string]any{
		"attestation":   a.Source,
		"index":         a.Index,
		"format":        a.Format,
		"payloadType":   a.Envelope.PayloadType,
		"key":           r.Key,
		"statementType": r.StatementType,
		"predicateType": r.PredicateType,
		"artifacts":     arts,
		"builderId":     r.BuilderID,
		"sourceUri":     r.SourceURI,
		"tier":          r.Tier,
		"identity":      r.Identity,
		"cacheMode":     r.CacheMode,
		"constraints": map[string]any{"builderId": o.BuilderID, "sourceUri": o.SourceURI, "tier": o.Tier,
			"identity": o.Identity, "cacheMode": o.CacheMode},
		"tlogEntries": 0,
	}
	if a.Bundle != nil {
		facts["tlogEntries"] = a.Bundle.TlogEntries
		facts["bundleMediaType"] = a.Bundle.MediaType
	}
	return map[string]any{"statement": st, "verification": facts}
}
