package policy

import (
	"context"
	"testing"

	"github.com/pinline/pinline/internal/monorepo"
	"github.com/pinline/pinline/inventory"
)

// BenchmarkCheckTypical is pinline check without process start-up on the
// example repository (one dagger.json, one spec, one module with source).
func BenchmarkCheckTypical(b *testing.B) {
	ctx := context.Background()
	for b.Loop() {
		res, err := Check(ctx, CheckOptions{Root: "../testdata/repos/clean"})
		if err != nil || !res.Decision.Allow {
			b.Fatalf("check: %v", err)
		}
	}
}

func monorepoDir(b *testing.B) string {
	b.Helper()
	dir := b.TempDir()
	if err := monorepo.Generate(dir, monorepo.Options{Modules: 1000, SourceFiles: 5000}); err != nil {
		b.Fatal(err)
	}
	return dir
}

// BenchmarkCheckMonorepo is pinline check on 1,000 dagger.json and 5,000
// module source files: walk, parse, load policies, evaluate.
func BenchmarkCheckMonorepo(b *testing.B) {
	dir := monorepoDir(b)
	ctx := context.Background()
	for b.Loop() {
		res, err := Check(ctx, CheckOptions{Root: dir})
		if err != nil || res.Decision.Allow {
			b.Fatalf("check: %v", err)
		}
	}
}

// BenchmarkEvaluateMonorepo is the policy evaluation alone (prepared
// query reused) on the monorepo's inventory.
func BenchmarkEvaluateMonorepo(b *testing.B) {
	dir := monorepoDir(b)
	ctx := context.Background()
	inv, err := inventory.Collect(ctx, inventory.Options{Root: dir})
	if err != nil {
		b.Fatal(err)
	}
	e, err := Load(ctx, Options{})
	if err != nil {
		b.Fatal(err)
	}
	in := BuildInput(inv, InputOptions{Tier: "local"})
	b.ReportMetric(float64(len(in.Images)+len(in.Modules)), "items")
	for b.Loop() {
		if _, err := e.Evaluate(ctx, in, EvalOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLoad is parsing and compiling the default bundle.
func BenchmarkLoad(b *testing.B) {
	ctx := context.Background()
	for b.Loop() {
		if _, err := Load(ctx, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCheckDaggerJSON is pinline check on the 1,000 dagger.json files
// that bench/conftest.sh also gives conftest.
func BenchmarkCheckDaggerJSON(b *testing.B) {
	dir := b.TempDir()
	if err := monorepo.GenerateDaggerJSON(dir, 1000); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for b.Loop() {
		res, err := Check(ctx, CheckOptions{Root: dir})
		if err != nil || res.Decision.Allow {
			b.Fatalf("check: %v", err)
		}
	}
}
