package policy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
)

// DeployQuery is the rule a deploy policy defines: a set of deny messages.
const DeployQuery = "data.pinline.deploy.deny"

// DeployOptions configure LoadDeploy.
type DeployOptions struct {
	// AllBuiltins gives the policy OPA's full builtin set (see
	// Capabilities); the default is the deterministic set.
	AllBuiltins bool
	// Now is the evaluation time put into the input as "evaluation"
	// (nil: time.Now at each evaluation).
	Now func() time.Time
}

// DeployPolicy is a compiled Rego deploy policy (package pinline.deploy,
// rules `deny contains msg if {...}`), evaluated per attestation by
// pinline verify. It is safe for concurrent use.
type DeployPolicy struct {
	dir   string
	now   func() time.Time
	query rego.PreparedEvalQuery
}

// LoadDeploy parses and compiles every *.rego file under dir (Rego v1;
// *_test.rego files are skipped) with the deterministic builtins unless
// opts.AllBuiltins. A file that does not parse or compile, or a directory
// without policies, is a *CompileError naming file:line:col (exit 2).
func LoadDeploy(ctx context.Context, dir string, opts DeployOptions) (*DeployPolicy, error) {
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
		var pe *fs.PathError
		if errors.As(err, &pe) {
			return nil, &ParseError{File: filepath.ToSlash(pe.Path), Msg: "deploy policy: " + pe.Err.Error()}
		}
		return nil, &ParseError{File: filepath.ToSlash(dir), Msg: "deploy policy: " + err.Error()}
	}
	if len(files) == 0 {
		return nil, &ParseError{File: filepath.ToSlash(dir), Msg: "deploy policy: no .rego files (package pinline.deploy with rule deny)"}
	}
	sort.Strings(files)
	modules := map[string]*ast.Module{}
	var errs ast.Errors
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			return nil, &ParseError{File: filepath.ToSlash(f), Msg: "deploy policy: " + err.Error()}
		}
		m, err := ast.ParseModuleWithOpts(f, string(src), ast.ParserOptions{RegoVersion: ast.RegoV1})
		if err != nil {
			var e ast.Errors
			if errors.As(err, &e) {
				errs = append(errs, e...)
				continue
			}
			return nil, compileErr(err)
		}
		modules[f] = m
	}
	if len(errs) > 0 {
		return nil, compileErr(errs)
	}
	regoOpts := []func(*rego.Rego){
		rego.Query(DeployQuery),
		rego.SetRegoVersion(ast.RegoV1),
		rego.Capabilities(Capabilities(opts.AllBuiltins)),
		// A builtin error (a bad date, a malformed certificate) is an
		// error, never an undefined expression that lets a deny rule
		// silently not fire.
		rego.StrictBuiltinErrors(true),
	}
	for _, name := range files {
		if m, ok := modules[name]; ok {
			regoOpts = append(regoOpts, rego.ParsedModule(m))
		}
	}
	q, err := rego.New(regoOpts...).PrepareForEval(ctx)
	if err != nil {
		return nil, compileErr(err)
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	return &DeployPolicy{dir: dir, now: now, query: q}, nil
}

// Source names the policy (its directory) in verification results.
func (p *DeployPolicy) Source() string { return p.dir }

// Deny evaluates the policy on input plus "evaluation" (the evaluation
// time, as in the gate's input; an input that has the key keeps it). It
// fails closed: defined is false when data.pinline.deploy.deny is undefined
// (no package pinline.deploy, or no deny rule), an evaluation error (a
// builtin error, a conflict) is an *EvalError, a deny that is not a set is
// ErrUndefined. The messages are sorted; non-string messages are JSON.
func (p *DeployPolicy) Deny(ctx context.Context, input map[string]any) (deny []string, defined bool, err error) {
	in := maps.Clone(input)
	if in == nil {
		in = map[string]any{}
	}
	if _, ok := in["evaluation"]; !ok {
		ev := NewInputEvaluation(p.now())
		in["evaluation"] = map[string]any{"time": ev.Time, "timeNs": ev.TimeNs}
	}
	rs, err := p.query.Eval(ctx, rego.EvalInput(in))
	if err != nil {
		return nil, false, &EvalError{Err: err}
	}
	if len(rs) == 0 || len(rs[0].Expressions) == 0 {
		return nil, false, nil
	}
	msgs, ok := rs[0].Expressions[0].Value.([]any)
	if !ok {
		return nil, false, fmt.Errorf("%w: %s is %T, want a set of strings", ErrUndefined, DeployQuery, rs[0].Expressions[0].Value)
	}
	deny = make([]string, 0, len(msgs))
	for _, m := range msgs {
		if s, ok := m.(string); ok {
			deny = append(deny, s)
		} else {
			b, _ := json.Marshal(m)
			deny = append(deny, string(b))
		}
	}
	sort.Strings(deny)
	return deny, true, nil
}
