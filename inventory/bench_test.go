package inventory

import (
	"context"
	"strings"
	"testing"

	"github.com/pinline/pinline/internal/monorepo"
	"github.com/pinline/pinline/internal/testenv"
)

// BenchmarkCollect measures Collect on the typical example repository
// (one dagger.json, one spec, one module) and on a generated monorepo of
// 1,000 dagger.json and 5,000 module source files.
func BenchmarkCollect(b *testing.B) {
	b.Run("typical", func(b *testing.B) {
		b.ReportAllocs()
		defer reportCPU(b)()
		for b.Loop() {
			if _, err := Collect(context.Background(), Options{Root: "../testdata/repos/clean"}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("monorepo", func(b *testing.B) {
		dir := b.TempDir()
		if err := monorepo.Generate(dir, monorepo.Options{}); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		defer reportCPU(b)()
		for b.Loop() {
			inv, err := Collect(context.Background(), Options{Root: dir})
			if err != nil {
				b.Fatal(err)
			}
			if len(inv.Modules) != 1000 || len(inv.Files) != 1000+5000+2 {
				b.Fatalf("modules=%d files=%d", len(inv.Modules), len(inv.Files))
			}
		}
	})
}

func TestMonorepoGenerator(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := monorepo.Generate(dir, monorepo.Options{Modules: 20, SourceFiles: 50}); err != nil {
		t.Fatal(err)
	}
	inv, err := Collect(context.Background(), Options{Root: dir})
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.Modules) != 20 || len(inv.Files) != 20+50+2 || len(inv.Specs) != 1 || len(inv.Locks) != 3 {
		t.Errorf("modules=%d files=%d specs=%d locks=%d", len(inv.Modules), len(inv.Files), len(inv.Specs), len(inv.Locks))
	}
	if len(inv.Unresolved) == 0 || len(inv.Images) == 0 {
		t.Error("generated sources produce no images or no unresolved references")
	}
}

// reportCPU reports the process CPU time (user+system) per operation:
// on a shared machine wall time varies with load, CPU time much less.
func reportCPU(b *testing.B) func() {
	start := testenv.CPUTime()
	return func() {
		b.ReportMetric(float64(testenv.CPUTime()-start)/float64(b.N), "cpu-ns/op")
	}
}

// manyUses is a module file of one function with n uses of a variable
// and as many reads of it in subscripts: what a hostile repository writes
// to make the possible-value lookups of the gate quadratic.
func manyUses(lang string, n int) []byte {
	var b strings.Builder
	if lang == "python" {
		b.WriteString("def f(self):\n    img = \"a:1\"\n")
		for range n {
			b.WriteString("    d[img] = 1; c.from_(img)\n")
		}
		return []byte(b.String())
	}
	b.WriteString("function f(x) {\n let img = \"a:1\"\n")
	for range n {
		b.WriteString(" [m[img]] = [1]; c.from(img)\n")
	}
	b.WriteString("}\n")
	return []byte(b.String())
}

// BenchmarkScanManyUses scans manyUses files of 20,000 uses (580 kB).
// Before the token index (scan_src_index.go) these took 208 s (Python)
// and 50 s (TypeScript), measured once each; with it, medians of three
// runs of -benchtime 3x were 0.30 s and 0.16 s (docs/benchmarks.md).
func BenchmarkScanManyUses(b *testing.B) {
	for _, lang := range []string{"python", "typescript"} {
		data := manyUses(lang, 20000)
		b.Run(lang, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				var err error
				if lang == "python" {
					_, _, err = ScanPython("m.py", data)
				} else {
					_, _, err = ScanTypeScript("m.ts", data)
				}
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
