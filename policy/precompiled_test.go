package policy

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/open-policy-agent/opa/v1/ast"

	imono "github.com/pinline/pinline/internal/monorepo"
	"github.com/pinline/pinline/inventory"
)

// TestPrecompiledUpToDate: precompiled.bin is what Precompile makes of the
// embedded sources with this OPA. It fails after a change to policy/rego
// or an OPA upgrade without `go generate ./policy`.
func TestPrecompiledUpToDate(t *testing.T) {
	t.Parallel()
	want, err := Precompile()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(want, precompiledBin) {
		t.Fatal("policy/precompiled.bin does not match policy/rego: run go generate ./policy")
	}
	e, err := Load(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !e.precompiled {
		t.Error("Load compiled the sources although precompiled.bin matches them")
	}
}

// TestPrecompiledKeepsLocations: the binary form keeps every node's file,
// row and column (evaluation errors name them).
func TestPrecompiledKeepsLocations(t *testing.T) {
	t.Parallel()
	files, err := readFS(DefaultBundle(), "policy/rego", false)
	if err != nil {
		t.Fatal(err)
	}
	p, err := parseFiles(files, false)
	if err != nil {
		t.Fatal(err)
	}
	c := ast.NewCompiler().WithCapabilities(Capabilities(false)).WithDefaultRegoVersion(ast.RegoV1)
	if c.Compile(p.modules); c.Failed() {
		t.Fatal(c.Errors)
	}
	_, mods, err := readPrecompiled(precompiledBin)
	if err != nil {
		t.Fatal(err)
	}
	locs := func(m *ast.Module) []string {
		var out []string
		ast.NewGenericVisitor(func(x any) bool {
			var l *ast.Location
			switch n := x.(type) {
			case *ast.Term:
				l = n.Location
			case *ast.Expr:
				l = n.Location
			case *ast.Rule:
				l = n.Location
			case *ast.Head:
				l = n.Location
			case *ast.Package:
				l = n.Location
			default:
				return false
			}
			if l == nil {
				out = append(out, fmt.Sprintf("%T -", x))
			} else {
				out = append(out, fmt.Sprintf("%T %s:%d:%d", x, l.File, l.Row, l.Col))
			}
			return false
		}).Walk(m)
		return out
	}
	if len(mods) != len(c.Modules) {
		t.Fatalf("%d modules, want %d", len(mods), len(c.Modules))
	}
	for name, m := range c.Modules {
		if diff := cmp.Diff(locs(m), locs(mods[name])); diff != "" {
			t.Errorf("%s: locations differ (-compiled +decoded):\n%s", name, diff)
		}
	}
}

// TestPrecompiledMatchesCompile: the engine prepared from precompiled.bin
// decides exactly as the one compiled from the sources, on the example
// repositories and a generated monorepo, in two tiers, with and without
// a run, allowlists and waivers (active and expired), split and not.
func TestPrecompiledMatchesCompile(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	mono := t.TempDir()
	if err := imono.Generate(mono, imono.Options{Modules: 40, SourceFiles: 120}); err != nil {
		t.Fatal(err)
	}
	roots := []string{"../testdata/repos/clean", "../testdata/repos/unpinned", "../testdata/realcorpus",
		"../inventory/testdata/repos/polyglot", "../inventory/testdata/repos/workspace",
		"../inventory/testdata/corpus/dagger-json", "../inventory/testdata/corpus/dagger-lock-and-toml", mono}
	hostile, err := filepath.Glob("../testdata/hostile/*")
	if err != nil {
		t.Fatal(err)
	}
	var invs []*inventory.Inventory
	for _, root := range append(roots, hostile...) {
		inv, err := inventory.Collect(ctx, inventory.Options{Root: root})
		if err != nil {
			if slices.Contains(roots, root) {
				t.Fatal(err)
			}
			continue // a hostile repository the inventory refuses
		}
		invs = append(invs, inv)
	}
	if len(invs) < len(roots)+5 {
		t.Fatalf("%d repositories collected, want at least %d", len(invs), len(roots)+5)
	}
	cfg, err := ParseConfig(ConfigPath, []byte("moduleAllowlist: [github.com/dagger/]\nregistryAllowlist: [docker.io/library]\n"+
		"waivers:\n  - {rule: PL001, path: \"**/dagger.json\", reason: r, expires: 2099-01-01}\n  - {rule: PL005, path: \"**\", reason: r, expires: 2000-01-01}\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, split := range []bool{true, false} {
		pre, err := load(ctx, Options{}, split)
		if err != nil {
			t.Fatal(err)
		}
		src, err := load(ctx, Options{compileSources: true}, split)
		if err != nil {
			t.Fatal(err)
		}
		if !pre.precompiled || src.precompiled || pre.split != split || src.split != split {
			t.Fatalf("precompiled %v/%v, split %v/%v", pre.precompiled, src.precompiled, pre.split, src.split)
		}
		if diff := cmp.Diff(src.Rules(), pre.Rules()); diff != "" {
			t.Errorf("catalog differs (-sources +precompiled):\n%s", diff)
		}
		if pre.BundleDigest() != src.BundleDigest() {
			t.Errorf("bundle digest %s, want %s", pre.BundleDigest(), src.BundleDigest())
		}
		violations := 0
		for i, inv := range invs {
			for _, tier := range []string{"local", "trusted"} {
				for _, run := range []*RunInfo{nil, {Backend: "host"}} {
					for _, c := range []*Config{nil, cfg} {
						in := BuildInput(inv, InputOptions{Tier: tier, Run: run, Config: c})
						eo := EvalOptions{Now: now(t)}
						if c != nil {
							eo.Waivers = c.Waivers
						}
						want, err := src.Evaluate(ctx, in, eo)
						if err != nil {
							t.Fatal(err)
						}
						got, err := pre.Evaluate(ctx, in, eo)
						if err != nil {
							t.Fatal(err)
						}
						if diff := cmp.Diff(want, got, cmp.AllowUnexported(Waiver{})); diff != "" {
							t.Errorf("split %v, inventory %d, tier %s, run %v, config %v: decision differs (-sources +precompiled):\n%s",
								split, i, tier, run != nil, c != nil, diff)
						}
						violations += len(want.Violations) + len(want.Warnings)
					}
				}
			}
		}
		if violations < 50 {
			t.Errorf("only %d findings over all cases; the comparison proves little", violations)
		}
	}
}

// TestPrecompiledStale: a precompiled file for other sources, or a corrupt
// one, is never used: Load compiles the sources instead.
func TestPrecompiledStale(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	if _, ok, err := loadPrecompiled(ctx, "sha256:other", false, true); ok || err != nil {
		t.Errorf("other digest: ok %v, err %v", ok, err)
	}
	for _, n := range []int{0, 1, 10, len(precompiledBin) / 2, len(precompiledBin) - 1} {
		if _, _, err := readPrecompiled(precompiledBin[:n]); err == nil {
			t.Errorf("truncated to %d bytes: no error", n)
		}
	}
	if _, _, err := readPrecompiled(append(bytes.Clone(precompiledBin), 0)); err == nil {
		t.Error("trailing byte: no error")
	}
}

// FuzzDecodeModules: any bytes decode to modules or an error, never a
// panic.
func FuzzDecodeModules(f *testing.F) {
	n, k := binary.Uvarint(precompiledBin)
	f.Add(precompiledBin[k+int(n):])
	f.Add([]byte{1, 1, 'a', 1, 0, 0})
	f.Fuzz(func(_ *testing.T, b []byte) {
		_, _ = decodeModules(b)
	})
}
