package sbom

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	cdx "github.com/CycloneDX/cyclonedx-go"

	"github.com/pinline/pinline/internal/testenv"
	"github.com/pinline/pinline/inventory"
	"github.com/pinline/pinline/record"
)

// bigFile writes a file of n random bytes once per benchmark.
func bigFile(b *testing.B, n int64) string {
	b.Helper()
	p := filepath.Join(b.TempDir(), "big")
	f, err := os.Create(p)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := io.CopyN(f, rand.Reader, n); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	return p
}

// BenchmarkHash hashes a 1 GiB file (PINLINE_BENCH_HASHFILE, or a random
// one written first; page cache warm): pinline's default (read overlapped
// with SHA-256 and SHA-512 on their own goroutines), pinline without
// SHA-512 (SkipSHA512), and for comparison SHA-256 in a plain read loop and
// both hashes in one sequential pass through io.MultiWriter.
func BenchmarkHash(b *testing.B) {
	size := int64(1 << 30)
	if testing.Short() {
		size = 64 << 20
	}
	p := os.Getenv("PINLINE_BENCH_HASHFILE")
	if p == "" {
		p = bigFile(b, size)
	} else if fi, err := os.Stat(p); err != nil {
		b.Fatal(err)
	} else {
		size = fi.Size()
	}
	ctx := context.Background()
	b.Run("pinline-sha256+sha512", func(b *testing.B) {
		b.SetBytes(size)
		defer reportCPU(b)()
		for b.Loop() {
			if _, err := HashFile(ctx, p); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("pinline-sha256-skip512", func(b *testing.B) {
		b.SetBytes(size)
		defer reportCPU(b)()
		for b.Loop() {
			if _, err := HashFileSHA256(ctx, p); err != nil {
				b.Fatal(err)
			}
		}
	})
	seq := func(b *testing.B, w func() io.Writer) {
		b.SetBytes(size)
		defer reportCPU(b)()
		for b.Loop() {
			f, err := os.Open(p)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := io.CopyBuffer(w(), f, make([]byte, hashChunk)); err != nil {
				b.Fatal(err)
			}
			f.Close()
		}
	}
	b.Run("sha256-only", func(b *testing.B) { seq(b, func() io.Writer { return sha256.New() }) })
	b.Run("multiwriter-sha256+sha512", func(b *testing.B) {
		seq(b, func() io.Writer { return io.MultiWriter(sha256.New(), sha512.New()) })
	})
}

// reportCPU starts measuring CPU time; the returned function reports it
// per operation as cpu-ms/op.
func reportCPU(b *testing.B) func() {
	start := testenv.CPUTime()
	return func() {
		if b.N > 0 {
			b.ReportMetric(float64(testenv.CPUTime()-start)/float64(b.N)/1e6, "cpu-ms/op")
		}
	}
}

// benchGoBinary is the Go executable whose SBOM is measured:
// PINLINE_BENCH_GOBIN, or the Go toolchain's compile (about 25 MB).
func benchGoBinary(b *testing.B) string {
	b.Helper()
	if p := os.Getenv("PINLINE_BENCH_GOBIN"); p != "" {
		return p
	}
	out, err := exec.Command("go", "env", "GOTOOLDIR").Output()
	if err != nil {
		b.Fatalf("go env GOTOOLDIR: %v", err)
	}
	return filepath.Join(strings.TrimSpace(string(out)), "compile")
}

// BenchmarkGoBinarySBOM is the whole BOM of a run whose only output is a Go
// binary: hashing, build info, nested modules, JSON encoding.
func BenchmarkGoBinarySBOM(b *testing.B) {
	bin := benchGoBinary(b)
	runDir := b.TempDir()
	data, err := os.ReadFile(bin)
	if err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(runDir, "bin"), data, 0o755); err != nil {
		b.Fatal(err)
	}
	run := &record.Run{ID: "bench", Outputs: []record.Output{{Task: "build", Path: "/out/bin", File: "bin"}}}
	b.SetBytes(int64(len(data)))
	b.ReportMetric(float64(len(data))/1e6, "MB")
	var mods int
	defer reportCPU(b)()
	for b.Loop() {
		bom, err := ForRun(context.Background(), run, runDir, nil, fixedOpts)
		if err != nil {
			b.Fatal(err)
		}
		if err := Write(io.Discard, bom, FormatJSON, cdx.SpecVersion1_6); err != nil {
			b.Fatal(err)
		}
		mods = len(*(*bom.Components)[0].Components)
	}
	b.ReportMetric(float64(mods), "modules")
}

// BenchmarkLargeBOM builds and encodes a static BOM with 10,000 components
// (5,000 images and 5,000 remote modules).
func BenchmarkLargeBOM(b *testing.B) {
	inv := &inventory.Inventory{Root: "/src/big"}
	mod := inventory.Module{Pos: pos("dagger.json", 1), Dir: ".", Name: "big"}
	for i := range 5000 {
		inv.Images = append(inv.Images, inventory.ImageRef{Pos: pos("pinline.yaml", i+1), Origin: "spec",
			Ref: fmt.Sprintf("registry.example/team/app%d:1.%d@sha256:%064x", i, i, i)})
		mod.Dependencies = append(mod.Dependencies, inventory.Dependency{Pos: pos("dagger.json", i+2), Kind: "dependency",
			Name: fmt.Sprintf("m%d", i), Source: fmt.Sprintf("github.com/org/repo%d@v1.0.%d", i, i), Pin: fmt.Sprintf("%040x", i),
			Remote: &inventory.RemoteRef{Host: "github.com", Repo: fmt.Sprintf("org/repo%d", i), Ref: fmt.Sprintf("v1.0.%d", i), RefKind: "tag"}})
	}
	inv.Modules = []inventory.Module{mod}
	ctx := context.Background()
	defer reportCPU(b)()
	for b.Loop() {
		bom, err := FromInventory(ctx, inv, fixedOpts)
		if err != nil {
			b.Fatal(err)
		}
		if n := len(*bom.Components); n != 10001 {
			b.Fatalf("%d components", n)
		}
		if err := Write(io.Discard, bom, FormatJSON, cdx.SpecVersion1_6); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReadGoBinary reads the module list of the benchmark binary.
func BenchmarkReadGoBinary(b *testing.B) {
	f, err := os.Open(benchGoBinary(b))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	for b.Loop() {
		if _, err := ReadGoBinary(f); err != nil {
			b.Fatal(err)
		}
	}
}
