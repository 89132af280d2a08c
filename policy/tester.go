package policy

import (
	"context"
	"fmt"
	"io/fs"
	"sort"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/open-policy-agent/opa/v1/tester"
)

// TestOptions configure RunTests.
type TestOptions struct {
	// Dirs are policy directories whose _test.rego files run. Empty: the
	// default bundle's own tests.
	Dirs []string
	// Bundle replaces the embedded default bundle (nil: DefaultBundle()).
	Bundle fs.FS
	// Filter is a regular expression on test names (like opa test --run).
	Filter string
	// AllBuiltins is Options.AllBuiltins for the policies under test.
	AllBuiltins bool
}

// TestResult is the outcome of one Rego test rule.
type TestResult struct {
	Package  string        `json:"package"`
	Name     string        `json:"name"`
	Pos      Pos           `json:"pos"`
	Pass     bool          `json:"pass"`
	Skip     bool          `json:"skip,omitempty"`
	Error    string        `json:"error,omitempty"`
	Duration time.Duration `json:"duration"`
}

// TestReport is the outcome of a test run.
type TestReport struct {
	Results []TestResult `json:"results"`
	Passed  int          `json:"passed"`
	Failed  int          `json:"failed"`
	Skipped int          `json:"skipped"`
}

// OK reports whether every test passed (and at least one ran).
func (r *TestReport) OK() bool { return r.Failed == 0 && r.Passed > 0 }

// RunTests runs Rego unit tests with OPA's tester, with the semantics of
// `opa test`: test_ rules in the loaded modules pass when they are true.
// The default rules are always loaded so that user tests may refer to them.
// A policy that does not compile is a *CompileError.
func RunTests(ctx context.Context, opts TestOptions) (*TestReport, error) {
	bundle := opts.Bundle
	if bundle == nil {
		bundle = DefaultBundle()
	}
	files, err := readFS(bundle, "policy/rego", false)
	if err != nil {
		return nil, fmt.Errorf("read default policy: %w", err)
	}
	if len(opts.Dirs) > 0 {
		user, err := readDirs(opts.Dirs)
		if err != nil {
			return nil, err
		}
		var keep []file
		for _, f := range files {
			if !f.isTest() {
				keep = append(keep, f)
			}
		}
		files = append(keep, user...)
	}
	p, err := parseFiles(files, true)
	if err != nil {
		return nil, err
	}
	mods := map[string]*ast.Module{}
	for n, m := range p.modules {
		mods[n] = m
	}
	for n, m := range p.tests {
		mods[n] = m
	}
	runner := tester.NewRunner().
		SetDefaultRegoVersion(ast.RegoV1).
		SetCompiler(ast.NewCompiler().WithCapabilities(Capabilities(opts.AllBuiltins)).WithEnablePrintStatements(true)).
		SetModules(mods).
		SetStore(inmem.NewFromObject(p.data)).
		Filter(opts.Filter)
	ch, err := runner.RunTests(ctx, nil)
	if err != nil {
		return nil, compileErr(err)
	}
	rep := &TestReport{Results: []TestResult{}}
	for r := range ch {
		tr := TestResult{Package: r.Package, Name: r.Name, Duration: r.Duration, Skip: r.Skip}
		if r.Location != nil {
			tr.Pos = Pos{File: r.Location.File, Line: r.Location.Row, Column: r.Location.Col}
		}
		switch {
		case r.Skip:
			rep.Skipped++
		case r.Error != nil:
			tr.Error = r.Error.Error()
			rep.Failed++
		case r.Fail:
			tr.Error = "test failed"
			rep.Failed++
		default:
			tr.Pass = true
			rep.Passed++
		}
		rep.Results = append(rep.Results, tr)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	sort.Slice(rep.Results, func(i, j int) bool {
		a, b := rep.Results[i], rep.Results[j]
		if a.Pos.File != b.Pos.File {
			return a.Pos.File < b.Pos.File
		}
		return a.Pos.Line < b.Pos.Line
	})
	return rep, nil
}
