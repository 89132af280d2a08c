package hooks

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

const pinnedDigest = "sha256:49cc5f6a00b8a953db01fc2e15b0981be8615838d3ae284abaadec9cb3cf9832"

// typicalRepo lays out a repository like the ones in the corpus: a root
// dagger.json with remote (pinned) and local dependencies, a Go module in
// .dagger with a few source files, a dagger.lock, a pinline.yaml and 200
// files of application code; everything staged, nothing to resolve.
func typicalRepo(b testing.TB) string {
	b.Helper()
	dir := scratchRepo(b)
	writeFile(b, filepath.Join(dir, "dagger.json"), `{
  "name": "app",
  "engineVersion": "v0.19.10",
  "sdk": {"source": "go"},
  "source": ".dagger",
  "dependencies": [
    {"name": "golang", "source": "github.com/acme/daggerverse/golang@v0.3.0", "pin": "0b68a41656546134aa6b5c0a439fd1ffcd2ecae9"},
    {"name": "helm", "source": "github.com/acme/daggerverse/helm@main", "pin": "3202b07da551a4d3936769a548305c2bf0ade6b5"},
    {"name": "k3s", "source": "github.com/acme/daggerverse/k3s@be7d810261b8719da2cb977132aa51bcab094972"},
    {"name": "local", "source": "./modules/local"}
  ]
}
`, 0o644)
	writeFile(b, filepath.Join(dir, "dagger.lock"), `[["version","2"]]
["","git-latest",["github.com/acme/daggerverse"],"refs/tags/v0.3.0"]
["","git-sha",["github.com/acme/daggerverse","refs/tags/v0.3.0"],"0b68a41656546134aa6b5c0a439fd1ffcd2ecae9"]
["","oci-sha",["registry.example.invalid/library/golang:1.22"],"`+pinnedDigest+`"]
`, 0o644)
	writeFile(b, filepath.Join(dir, "pinline.yaml"), "version: 1\nname: app\nimages:\n  go: registry.example.invalid/library/golang:1.22@"+pinnedDigest+"\ndefaultImage: go\ntasks:\n  test:\n    image: go\n    run: [go, test, ./...]\n", 0o644)
	for i := range 8 {
		writeFile(b, filepath.Join(dir, ".dagger", fmt.Sprintf("step%d.go", i)), fmt.Sprintf(`package main

import "dagger/app/internal/dagger"

const image%d = "registry.example.invalid/library/golang:1.22@%s"

// Step%d runs a step.
func (m *App) Step%d() *dagger.Container {
	return dag.Container().From(image%d).WithExec([]string{"go", "version"})
}
`, i, pinnedDigest, i, i, i), 0o644)
	}
	for i := range 200 {
		writeFile(b, filepath.Join(dir, "internal", fmt.Sprintf("pkg%d", i/20), fmt.Sprintf("f%d.go", i)),
			fmt.Sprintf("package pkg%d\n\n// F%d returns a number.\nfunc F%d() int { return %d }\n", i/20, i, i, i), 0o644)
	}
	mustGit(b, dir, "add", ".")
	return dir
}

// BenchmarkHook runs the installed pre-commit hook (git diff of the staged
// files, then pinline on them) against typicalRepo. Issue 7 asks for
// at most 100 ms; the median is reported as median-ms, the fastest run as
// min-ms (the cost without interference from other processes).
func BenchmarkHook(b *testing.B) {
	bin := pinlineBin(b)
	requireCheck(b, bin)
	benchHook(b, bin, nil)
}

// BenchmarkHookOffline runs the hook installed with --run
// pin,--check,--offline: the unpinned-entry check without the policy gate.
func BenchmarkHookOffline(b *testing.B) {
	benchHook(b, pinlineBin(b), []string{"pin", "--check", "--offline"})
}

func benchHook(b *testing.B, bin string, args []string) {
	dir := typicalRepo(b)
	if _, err := Install(b.Context(), Options{Dir: dir, Bin: bin, Args: args}); err != nil {
		b.Fatal(err)
	}
	hook := filepath.Join(dir, ".git", "hooks", "pre-commit")
	var times []time.Duration
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		cmd := exec.Command(hook)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), gitEnv...)
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("hook failed on a pinned repository: %v\n%s", err, out)
		}
		times = append(times, time.Since(start))
	}
	slices.Sort(times)
	b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "median-ms")
	b.ReportMetric(float64(times[0].Microseconds())/1000, "min-ms")
	if m := times[len(times)/2]; m > 100*time.Millisecond && len(times) >= 5 {
		// Reported, not failed: on a shared machine the load of other
		// processes decides the median more than the hook does.
		b.Logf("median hook run %v is over the 100 ms budget", m)
	}
}
