package policy

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"slices"
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
	// AllBuiltins gives policies OPA's full builtin set, including the
	// network, the clock and randomness (see Capabilities); the default
	// is the deterministic set.
	AllBuiltins bool

	// compileSources compiles the embedded sources even when
	// precompiled.bin matches them (tests compare the two).
	compileSources bool
}

// Rule describes a default rule for rendering (SARIF rules, help).
type Rule struct {
	ID       string `json:"id"`
	Severity string `json:"severity"`
	Title    string `json:"title"`
	Help     string `json:"help"`
	HelpURI  string `json:"helpUri"`
	// NonWaivable rules (catalog "nonWaivable": true) are never
	// suppressed by a waiver, wherever the waiver comes from.
	NonWaivable bool `json:"nonWaivable,omitempty"`
}

// HelpURIBase is the documentation page rule ids link into.
const HelpURIBase = "docs/policies.md#"

// Engine is a compiled policy set, prepared once and reused for every
// evaluation. It is safe for concurrent use.
type Engine struct {
	// pq is the decision query, or its deny half when split; pqWarn is
	// the warn half (see splitDecision).
	pq           rego.PreparedEvalQuery
	pqWarn       rego.PreparedEvalQuery
	split        bool
	withUser     bool
	precompiled  bool // prepared from precompiled.bin
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
	return load(ctx, opts, true)
}

// load is Load; allowSplit false always evaluates the decision as one
// query (tests compare the two).
func load(ctx context.Context, opts Options, allowSplit bool) (*Engine, error) {
	bundle := opts.Bundle
	if bundle == nil {
		bundle = DefaultBundle()
	}
	files, err := readFS(bundle, "policy/rego", false)
	if err != nil {
		return nil, fmt.Errorf("read default policy: %w", err)
	}
	if opts.Bundle == nil && len(opts.UserDirs) == 0 && !opts.compileSources {
		sort.SliceStable(files, func(i, j int) bool { return files[i].name < files[j].name })
		if e, ok, err := loadPrecompiled(ctx, filesDigest(files, false), opts.AllBuiltins, allowSplit); ok || err != nil {
			return e, err
		}
	}
	user, err := readDirs(opts.UserDirs)
	if err != nil {
		return nil, err
	}
	p, err := parseFiles(append(files, user...), false)
	if err != nil {
		return nil, err
	}
	e := &Engine{bundleDigest: p.digest, withUser: hasUserPackage(p.modules), split: allowSplit && splitDecision(p.modules)}
	store := rego.Store(inmem.NewFromObject(p.data))
	regoOpts := []func(*rego.Rego){
		store,
		rego.StrictBuiltinErrors(true),
		rego.SetRegoVersion(ast.RegoV1),
		rego.Capabilities(Capabilities(opts.AllBuiltins)),
	}
	for _, name := range slices.Sorted(maps.Keys(p.modules)) {
		regoOpts = append(regoOpts, rego.ParsedModule(p.modules[name]))
	}
	if e.split {
		err = e.prepareSplit(ctx, regoOpts, store)
	} else {
		query := gateQuery
		if e.withUser {
			query += "; " + userQuery
		}
		e.pq, err = rego.New(append(regoOpts, rego.Query(query))...).PrepareForEval(ctx)
	}
	if err != nil {
		return nil, compileErr(err)
	}
	e.catalog, err = loadCatalog(p)
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

// loadCatalog reads the catalog rule of the gate package. It is a ground
// object literal (the _test.rego files check its shape), so it is read from
// the parsed module instead of compiling the bundle a second time.
func loadCatalog(p *parsed) (map[string]Rule, error) {
	out := map[string]Rule{}
	for _, name := range slices.Sorted(maps.Keys(p.modules)) {
		m := p.modules[name]
		if !isGate(m.Package.Path) {
			continue
		}
		for _, r := range m.Rules {
			if r.Head.Name.String() != "catalog" || r.Head.Value == nil {
				continue
			}
			if !r.Head.Value.IsGround() {
				return nil, &CompileError{File: name, Line: r.Location.Row, Column: r.Location.Col, Msg: "catalog must be a constant object"}
			}
			v, err := ast.JSON(r.Head.Value.Value)
			if err != nil {
				return nil, &CompileError{File: name, Line: r.Location.Row, Column: r.Location.Col, Msg: "catalog: " + err.Error()}
			}
			raw, err := json.Marshal(v)
			if err != nil {
				return nil, err
			}
			var cat map[string]Rule
			if err := json.Unmarshal(raw, &cat); err != nil {
				return nil, &CompileError{File: name, Line: r.Location.Row, Column: r.Location.Col, Msg: "catalog: " + err.Error()}
			}
			for id, rule := range cat {
				rule.ID, rule.HelpURI = id, HelpURIBase+id
				out[id] = rule
			}
		}
	}
	return out, nil
}

// Rules returns the default rule catalog sorted by id.
func (e *Engine) Rules() []Rule {
	out := make([]Rule, 0, len(e.catalog))
	for _, id := range slices.Sorted(maps.Keys(e.catalog)) {
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
