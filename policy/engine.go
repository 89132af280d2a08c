package policy

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"sort"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
)

// Options configure Load.
type Options struct {
	// Bundle replaces the embedded default bundle (nil: DefaultBundle()).
	// Tests use it; the CLI never sets it.
	Bundle fs.FS
	// UserDirs are --policy directories (or files) with Rego modules and
	// JSON/YAML data files.
	UserDirs []string
}

// Rule describes a default rule for rendering (SARIF rules, help).
type Rule struct {
	ID       string `json:"id"`
	Severity string `json:"severity"`
	Title    string `json:"title"`
	Help     string `json:"help"`
	HelpURI  string `json:"helpUri"`
}

// HelpURIBase is the documentation page rule ids link into.
const HelpURIBase = "docs/policies.md#"

// Engine is a compiled policy set, prepared once and reused for every
// evaluation. It is safe for concurrent use.
type Engine struct {
	pq           rego.PreparedEvalQuery
	withUser     bool
	catalog      map[string]Rule
	bundleDigest string
}

const (
	gateQuery    = "gate := data.pinline.gate.decision"
	userQuery    = "user := data.pinline.user"
	catalogQuery = "data.pinline.gate.catalog"
)

// Load reads, parses and compiles the default bundle and the user
// directories, and prepares the decision query. A policy that does not
// parse or compile is a *CompileError; malformed data is a *ParseError.
func Load(ctx context.Context, opts Options) (*Engine, error) {
	bundle := opts.Bundle
	if bundle == nil {
		bundle = DefaultBundle()
	}
	files, err := readFS(bundle, "policy/rego", false)
	if err != nil {
		return nil, fmt.Errorf("read default policy: %w", err)
	}
	user, err := readDirs(opts.UserDirs)
	if err != nil {
		return nil, err
	}
	p, err := parseFiles(append(files, user...))
	if err != nil {
		return nil, err
	}
	e := &Engine{bundleDigest: p.digest, withUser: hasUserPackage(p.modules)}
	query := gateQuery
	if e.withUser {
		query += "; " + userQuery
	}
	regoOpts := []func(*rego.Rego){
		rego.Query(query),
		rego.Store(inmem.NewFromObject(p.data)),
		rego.StrictBuiltinErrors(true),
		rego.SetRegoVersion(ast.RegoV1),
	}
	for _, name := range sortedKeys(p.modules) {
		regoOpts = append(regoOpts, rego.ParsedModule(p.modules[name]))
	}
	e.pq, err = rego.New(regoOpts...).PrepareForEval(ctx)
	if err != nil {
		return nil, compileErr(err)
	}
	e.catalog, err = loadCatalog(ctx, p)
	if err != nil {
		return nil, err
	}
	return e, nil
}

func hasUserPackage(mods map[string]*ast.Module) bool {
	prefix := ast.MustParseRef("data." + UserPackage)
	for _, m := range mods {
		if m.Package.Path.HasPrefix(prefix) {
			return true
		}
	}
	return false
}

func loadCatalog(ctx context.Context, p *parsed) (map[string]Rule, error) {
	opts := []func(*rego.Rego){rego.Query(catalogQuery), rego.SetRegoVersion(ast.RegoV1)}
	for _, name := range sortedKeys(p.modules) {
		if !isGate(p.modules[name].Package.Path) {
			continue
		}
		opts = append(opts, rego.ParsedModule(p.modules[name]))
	}
	rs, err := rego.New(opts...).Eval(ctx)
	if err != nil {
		return nil, &EvalError{Err: fmt.Errorf("rule catalog: %w", err)}
	}
	out := map[string]Rule{}
	if len(rs) == 0 || len(rs[0].Expressions) == 0 {
		return out, nil
	}
	raw, err := json.Marshal(rs[0].Expressions[0].Value)
	if err != nil {
		return nil, &EvalError{Err: err}
	}
	var m map[string]Rule
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, &EvalError{Err: fmt.Errorf("rule catalog: %w", err)}
	}
	for id, r := range m {
		r.ID, r.HelpURI = id, HelpURIBase+id
		out[id] = r
	}
	return out, nil
}

// Rules returns the default rule catalog sorted by id.
func (e *Engine) Rules() []Rule {
	out := make([]Rule, 0, len(e.catalog))
	for _, id := range sortedKeys(e.catalog) {
		out = append(out, e.catalog[id])
	}
	return out
}

// BundleDigest is the sha256 over every policy and data file loaded.
func (e *Engine) BundleDigest() string { return e.bundleDigest }

// InputDigest is the sha256 of the input's canonical JSON encoding.
func InputDigest(in *Input) (string, []byte, error) {
	raw, err := json.Marshal(in)
	if err != nil {
		return "", nil, fmt.Errorf("encode policy input: %w", err)
	}
	sum := sha256.Sum256(raw)
	return "sha256:" + hex.EncodeToString(sum[:]), raw, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
