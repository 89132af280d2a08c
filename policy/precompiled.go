package policy

import (
	"context"
	_ "embed"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	opaversion "github.com/open-policy-agent/opa/v1/version"
)

// The embedded default policies are compiled once per build, not once per
// run: `go generate ./policy` writes precompiled.bin, the OPA compiler's
// output for policy/rego (the _test.rego files left out; astcodec.go), and Load
// evaluates it without running the compiler's rewriting and checking
// stages again. TestPrecompiledUpToDate fails when the file does not match
// what Precompile produces from the sources (the sources or OPA changed
// without `go generate`); at run time a digest or OPA version that does
// not match the embedded sources makes Load compile them instead, so a
// stale file can never change a decision.
//
//go:generate go run ./internal/precompile -o precompiled.bin

//go:embed precompiled.bin
var precompiledBin []byte

// precompiled is the header of precompiled.bin (JSON, after its length
// as a uvarint), followed by the compiled modules in the binary form.
type precompiled struct {
	// SourceDigest is the bundle digest of the sources it was compiled
	// from (Engine.BundleDigest); OPA the OPA version that compiled them.
	SourceDigest string `json:"sourceDigest"`
	OPA          string `json:"opa"`
	// Split is splitDecision of the parsed sources, Catalog their catalog.
	Split   bool            `json:"split"`
	Catalog map[string]Rule `json:"catalog"`
	// Modules name the compiled modules, in the order they follow.
	Modules []string `json:"modules"`
}

// precompiledStages are the compiler stages a precompiled module set still
// runs: they build the compiler's own tables (module and rule trees, the
// dependency graph, types, indices), which are not part of the modules.
// Every other stage rewrites or checks the modules, and the modules are
// already its output.
var precompiledStages = []ast.StageID{
	ast.StageInitLocalVarGen, ast.StageSetModuleTree, ast.StageSetRuleTree, ast.StageSetAnnotationSet,
	ast.StageSetGraph, ast.StageCheckTypes, ast.StageBuildRuleIndices, ast.StageBuildComprehensionIndices,
	ast.StageBuildRequiredCapabilities,
}

// Precompile compiles the embedded default policies (without tests) and
// returns the content of precompiled.json. It is what `go generate`
// writes; Load never calls it.
func Precompile() ([]byte, error) {
	files, err := readFS(DefaultBundle(), "policy/rego", false)
	if err != nil {
		return nil, err
	}
	p, err := parseFiles(files, false)
	if err != nil {
		return nil, err
	}
	if len(p.data) > 0 {
		return nil, fmt.Errorf("the default bundle has data files; precompiled.json does not carry data")
	}
	cat, err := loadCatalog(p)
	if err != nil {
		return nil, err
	}
	c := ast.NewCompiler().WithCapabilities(Capabilities(false)).WithDefaultRegoVersion(ast.RegoV1)
	c.Compile(p.modules)
	if c.Failed() {
		return nil, compileErr(c.Errors)
	}
	names := slices.Sorted(maps.Keys(c.Modules))
	mods, err := encodeModules(names, c.Modules)
	if err != nil {
		return nil, err
	}
	// The binary form must give back what the compiler produced.
	back, err := decodeModules(mods)
	if err != nil {
		return nil, err
	}
	for _, name := range names {
		if !back[name].Equal(c.Modules[name]) || back[name].RegoVersionSpan() != c.Modules[name].RegoVersionSpan() {
			return nil, fmt.Errorf("precompile: %s does not survive its binary form", name)
		}
	}
	head, err := json.Marshal(precompiled{SourceDigest: p.digest, OPA: opaversion.Version, Split: splitDecision(p.modules), Catalog: cat, Modules: names})
	if err != nil {
		return nil, err
	}
	out := binary.AppendUvarint(nil, uint64(len(head)))
	out = append(out, head...)
	return append(out, mods...), nil
}

// readPrecompiled splits precompiled.bin into its header and modules.
func readPrecompiled(b []byte) (*precompiled, map[string]*ast.Module, error) {
	n, k := binary.Uvarint(b)
	if k <= 0 || n > uint64(len(b)-k) {
		return nil, nil, errCorrupt
	}
	var pc precompiled
	if err := json.Unmarshal(b[k:k+int(n)], &pc); err != nil {
		return nil, nil, errCorrupt
	}
	mods, err := decodeModules(b[k+int(n):])
	if err != nil {
		return nil, nil, err
	}
	return &pc, mods, nil
}

// loadPrecompiled prepares the embedded default policies from
// precompiled.json; ok is false when the file does not belong to these
// sources or this OPA (Load then compiles the sources).
func loadPrecompiled(ctx context.Context, digest string, allBuiltins, allowSplit bool) (e *Engine, ok bool, err error) {
	pc, mods, err := readPrecompiled(precompiledBin)
	if err != nil || pc.SourceDigest != digest || pc.OPA != opaversion.Version {
		return nil, false, nil
	}
	skip := slices.DeleteFunc(ast.AllStages(), func(s ast.StageID) bool { return slices.Contains(precompiledStages, s) })
	c := ast.NewCompiler().WithCapabilities(Capabilities(allBuiltins)).WithDefaultRegoVersion(ast.RegoV1).WithSkipStages(skip...)
	c.Compile(mods)
	if c.Failed() {
		return nil, false, compileErr(c.Errors)
	}
	e = &Engine{bundleDigest: digest, split: allowSplit && pc.Split, catalog: pc.Catalog, precompiled: true}
	store := rego.Store(inmem.New())
	common := []func(*rego.Rego){rego.Compiler(c), store, rego.StrictBuiltinErrors(true), rego.SetRegoVersion(ast.RegoV1),
		rego.Capabilities(Capabilities(allBuiltins))}
	prep := func(q string) (rego.PreparedEvalQuery, error) {
		return rego.New(append(common[:len(common):len(common)], rego.Query(q))...).PrepareForEval(ctx)
	}
	if e.split {
		if e.pq, err = prep(denyQuery); err == nil {
			e.pqWarn, err = prep(warnQuery)
		}
	} else {
		e.pq, err = prep(gateQuery)
	}
	if err != nil {
		return nil, false, compileErr(err)
	}
	return e, true, nil
}
