package attest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
)

// DeployQuery is the rule a deploy policy defines: a set of deny messages.
const DeployQuery = "data.pinline.deploy.deny"

// DeployPolicy is a compiled Rego deploy policy (package pinline.deploy,
// rules `deny contains msg if {...}`), evaluated per attestation.
type DeployPolicy struct {
	Dir   string
	query rego.PreparedEvalQuery
}

// LoadDeployPolicy parses and compiles every *.rego file under dir (Rego v1
// syntax; *_test.rego files are skipped). A parse or compile error is a
// *PolicyCompileError (ErrPolicyCompile, ErrBadInput) naming file:line.
func LoadDeployPolicy(ctx context.Context, dir string) (*DeployPolicy, error) {
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(p, ".rego") && !strings.HasSuffix(p, "_test.rego") {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%w: policy dir: %w", ErrBadInput, err)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%w: %w: no .rego files in %s", ErrBadInput, ErrPolicyCompile, dir)
	}
	sort.Strings(files)
	modules := map[string]*ast.Module{}
	var locs []string
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrBadInput, err)
		}
		m, err := ast.ParseModuleWithOpts(f, string(src), ast.ParserOptions{RegoVersion: ast.RegoV1})
		if err != nil {
			locs = append(locs, astLocations(err)...)
			continue
		}
		modules[f] = m
	}
	if len(locs) > 0 {
		return nil, &PolicyCompileError{Locations: locs}
	}
	c := ast.NewCompiler()
	if c.Compile(modules); c.Failed() {
		return nil, &PolicyCompileError{Locations: astLocations(c.Errors)}
	}
	q, err := rego.New(rego.Compiler(c), rego.Query(DeployQuery)).PrepareForEval(ctx)
	if err != nil {
		return nil, &PolicyCompileError{Locations: astLocations(err)}
	}
	return &DeployPolicy{Dir: dir, query: q}, nil
}

func astLocations(err error) []string {
	var errs ast.Errors
	if errors.As(err, &errs) {
		out := make([]string, 0, len(errs))
		for _, e := range errs {
			if e.Location != nil {
				out = append(out, fmt.Sprintf("%s:%d: %s", e.Location.File, e.Location.Row, e.Message))
			} else {
				out = append(out, e.Message)
			}
		}
		return out
	}
	return []string{err.Error()}
}

// Eval evaluates the policy on input. It fails closed: an undefined deny
// (no package pinline.deploy, or no deny rule) is ErrPolicyUndefined, a deny
// that is not a set of strings is an error, and any message is a
// *PolicyError.
func (p *DeployPolicy) Eval(ctx context.Context, input map[string]any) error {
	rs, err := p.query.Eval(ctx, rego.EvalInput(input))
	if err != nil {
		return fmt.Errorf("%w: %w: %w", ErrVerificationFailed, ErrPolicyUndefined, err)
	}
	if len(rs) == 0 || len(rs[0].Expressions) == 0 {
		return failed(ErrPolicyUndefined, "%s is undefined (package pinline.deploy with rule deny required)", DeployQuery)
	}
	msgs, ok := rs[0].Expressions[0].Value.([]any)
	if !ok {
		return failed(ErrPolicyUndefined, "%s is %T, want a set of strings", DeployQuery, rs[0].Expressions[0].Value)
	}
	if len(msgs) == 0 {
		return nil
	}
	v := make([]string, 0, len(msgs))
	for _, m := range msgs {
		if s, ok := m.(string); ok {
			v = append(v, s)
		} else {
			b, _ := json.Marshal(m)
			v = append(v, string(b))
		}
	}
	sort.Strings(v)
	return &PolicyError{Violations: v}
}

// policyInput is the documented input document of deploy policies
// (docs/verify.md): the whole statement plus the verification facts. Only
// verified facts are there: log entries and timestamps that verified, the
// identity of a certificate that chained to the trusted root.
func policyInput(a *Attestation, r *Result, o *VerifyOptions) map[string]any {
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
