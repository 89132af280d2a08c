package policy

import (
	"context"
	"sync"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
)

// The decision's two halves, queried on their own when the gate defines
// decision := {"deny": deny, "warn": warn} (see splitDecision).
const (
	denyQuery = "deny := data.pinline.gate.deny"
	warnQuery = "warn := data.pinline.gate.warn"
)

// splitDecision reports whether the gate package defines its decision as
// exactly decision := {"deny": deny, "warn": warn}: one unconditional rule,
// no default, no else, no import that could rebind deny or warn. Then
// querying data.pinline.gate.deny and data.pinline.gate.warn yields the
// same two sets as querying the decision, and the two queries can run on
// two cores (OPA evaluates one query on one goroutine). Any other shape
// (a test bundle, an undefined decision) is evaluated as the decision
// query itself.
func splitDecision(mods map[string]*ast.Module) bool {
	gate := ast.MustParseRef("data." + GatePackage)
	var rule *ast.Rule
	for _, m := range mods {
		if !m.Package.Path.HasPrefix(gate) {
			continue
		}
		if !m.Package.Path.Equal(gate) {
			return false // a package below the gate could add to the decision
		}
		for _, r := range m.Rules {
			if !r.Head.Ref()[0].Equal(ast.VarTerm("decision")) {
				continue
			}
			if rule != nil {
				return false // more than one definition
			}
			rule = r
		}
		for _, imp := range m.Imports {
			if name := imp.Name().String(); name == "deny" || name == "warn" {
				return false
			}
		}
	}
	if rule == nil || rule.Default || rule.Else != nil || len(rule.Head.Args) > 0 || rule.Head.Key != nil ||
		len(rule.Head.Ref()) != 1 || rule.Head.Value == nil {
		return false
	}
	if len(rule.Body) != 1 || !rule.Body[0].Equal(ast.NewExpr(ast.BooleanTerm(true))) {
		return false
	}
	obj, ok := rule.Head.Value.Value.(ast.Object)
	if !ok || obj.Len() != 2 {
		return false
	}
	for _, k := range []string{SeverityDeny, SeverityWarn} {
		v := obj.Get(ast.StringTerm(k))
		if v == nil || !v.Equal(ast.VarTerm(k)) {
			return false
		}
	}
	return true
}

// prepareSplit prepares the two queries on one compiled policy set: the
// deny set, and the warn set together with the user findings.
func (e *Engine) prepareSplit(ctx context.Context, opts []func(*rego.Rego), store func(*rego.Rego)) error {
	var compiler *ast.Compiler
	deny := append(opts[:len(opts):len(opts)], rego.Query(denyQuery),
		rego.CompilerHook(func(c *ast.Compiler) { compiler = c }))
	var err error
	if e.pq, err = rego.New(deny...).PrepareForEval(ctx); err != nil {
		return err
	}
	query := warnQuery
	if e.withUser {
		query += "; " + userQuery
	}
	// Same compiler and store, no modules: nothing is compiled again.
	e.pqWarn, err = rego.New(rego.Compiler(compiler), store, rego.Query(query),
		rego.StrictBuiltinErrors(true), rego.SetRegoVersion(ast.RegoV1)).PrepareForEval(ctx)
	return err
}

// evalQueries evaluates the prepared queries on v and returns the deny
// and warn sets and the user findings (nil without user policies).
// Undefined results are ErrUndefined, evaluation errors *EvalError.
func (e *Engine) evalQueries(ctx context.Context, v ast.Value) (deny, warn, user *ast.Term, err error) {
	// Bindings stay OPA terms: reading the findings straight from them is
	// cheaper than converting every set to Go maps first.
	eval := func(pq rego.PreparedEvalQuery) (rego.ResultSet, error) {
		return pq.Eval(ctx, rego.EvalParsedInput(v), rego.EvalSortSets(false),
			rego.EvalGenerateJSON(func(t *ast.Term, _ *rego.EvalContext) (any, error) { return t, nil }))
	}
	if !e.split {
		rs, err := eval(e.pq)
		if err != nil {
			return nil, nil, nil, &EvalError{Err: err}
		}
		if len(rs) != 1 {
			return nil, nil, nil, ErrUndefined
		}
		gate, ok := termObject(rs[0].Bindings["gate"])
		if !ok {
			return nil, nil, nil, ErrUndefined
		}
		user, _ = rs[0].Bindings["user"].(*ast.Term)
		return gate.Get(ast.InternedTerm(SeverityDeny)), gate.Get(ast.InternedTerm(SeverityWarn)), user, nil
	}
	var (
		wg   sync.WaitGroup
		wrs  rego.ResultSet
		werr error
	)
	wg.Go(func() { wrs, werr = eval(e.pqWarn) })
	drs, derr := eval(e.pq)
	wg.Wait()
	switch {
	case derr != nil:
		return nil, nil, nil, &EvalError{Err: derr}
	case werr != nil:
		return nil, nil, nil, &EvalError{Err: werr}
	case len(drs) != 1 || len(wrs) != 1:
		return nil, nil, nil, ErrUndefined
	}
	deny, _ = drs[0].Bindings["deny"].(*ast.Term)
	warn, _ = wrs[0].Bindings["warn"].(*ast.Term)
	user, _ = wrs[0].Bindings["user"].(*ast.Term)
	return deny, warn, user, nil
}
