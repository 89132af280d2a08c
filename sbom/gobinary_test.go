package sbom

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	cdx "github.com/CycloneDX/cyclonedx-go"
	"github.com/google/go-cmp/cmp"
)

const helloMain = `package main

import (
	"fmt"

	"github.com/google/go-cmp/cmp"
)

func main() { fmt.Println(cmp.Diff("a", "b")) }
`

var (
	helloOnce sync.Once
	helloBin  string
	helloErr  error
	helloDir  string
)

// buildHello builds a tiny Go program depending on go-cmp (from the module
// cache; no network) once per test binary and returns its path.
func buildHello(t *testing.T) string {
	t.Helper()
	helloOnce.Do(func() {
		helloDir, helloErr = os.MkdirTemp("", "sbom-hello-")
		if helloErr != nil {
			return
		}
		sum, err := os.ReadFile(filepath.Join("..", "go.sum"))
		if err != nil {
			helloErr = err
			return
		}
		var lines []string
		for _, l := range strings.Split(string(sum), "\n") {
			if strings.HasPrefix(l, "github.com/google/go-cmp v0.7.0") {
				lines = append(lines, l)
			}
		}
		files := map[string]string{
			"go.mod":  "module example.com/hello\n\ngo 1.22\n\nrequire github.com/google/go-cmp v0.7.0\n",
			"go.sum":  strings.Join(lines, "\n") + "\n",
			"main.go": helloMain,
		}
		for name, body := range files {
			if helloErr = os.WriteFile(filepath.Join(helloDir, name), []byte(body), 0o644); helloErr != nil {
				return
			}
		}
		helloBin = filepath.Join(helloDir, "hello")
		cmd := exec.Command("go", "build", "-trimpath", "-o", helloBin, ".")
		cmd.Dir = helloDir
		cmd.Env = append(os.Environ(), "GOPROXY=off", "GOFLAGS=-mod=mod", "CGO_ENABLED=0", "GOWORK=off")
		if out, err := cmd.CombinedOutput(); err != nil {
			helloErr = &buildError{err: err, out: string(out)}
		}
	})
	if helloErr != nil {
		t.Fatalf("build test binary: %v", helloErr)
	}
	return helloBin
}

type buildError struct {
	err error
	out string
}

func (e *buildError) Error() string { return e.err.Error() + ": " + e.out }

func TestReadGoBinary(t *testing.T) {
	t.Parallel()
	bin := buildHello(t)
	f, err := os.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gb, err := ReadGoBinary(f)
	if err != nil {
		t.Fatal(err)
	}
	if gb.Main.Path != "example.com/hello" || gb.Path != "example.com/hello" {
		t.Errorf("main = %+v path %q", gb.Main, gb.Path)
	}
	want := []GoModule{{Path: "github.com/google/go-cmp", Version: "v0.7.0", Sum: "h1:wk8382ETsv4JYUZwIsn6YpYiWiBsYLSJiTsyBybVuN8="}}
	if diff := cmp.Diff(want, gb.Deps); diff != "" {
		t.Errorf("deps (-want +got):\n%s", diff)
	}
	if gb.Settings["GOOS"] == "" || gb.Settings["-trimpath"] != "true" || gb.Settings["CGO_ENABLED"] != "0" {
		t.Errorf("settings = %v", gb.Settings)
	}
	if _, ok := gb.Settings["-ldflags"]; ok {
		t.Error("-ldflags recorded; it may carry values")
	}
}

func TestReadGoBinaryRejects(t *testing.T) {
	t.Parallel()
	for name, data := range map[string][]byte{
		"empty":     nil,
		"text":      []byte("#!/bin/sh\necho hi\n"),
		"elf stub":  append([]byte("\x7fELF\x02\x01\x01"), make([]byte, 64)...),
		"truncated": truncatedHello(t),
	} {
		if _, err := ReadGoBinary(bytes.NewReader(data)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func truncatedHello(t *testing.T) []byte {
	b, err := os.ReadFile(buildHello(t))
	if err != nil {
		t.Fatal(err)
	}
	return b[:len(b)/3]
}

func TestGoBinaryComponents(t *testing.T) {
	t.Parallel()
	gb := &GoBinary{
		GoVersion: "go1.26.8", Path: "example.com/app/cmd/app",
		Main: GoModule{Path: "example.com/app", Version: "(devel)"},
		Deps: []GoModule{
			{Path: "github.com/google/go-cmp", Version: "v0.7.0", Sum: "h1:abc="},
			{Path: "example.com/forked", Version: "v1.0.0", Replace: &GoModule{Path: "example.com/fork", Version: "v1.0.1", Sum: "h1:def="}},
			{Path: "example.com/local", Version: "v0.0.0", Replace: &GoModule{Path: "../local"}},
		},
	}
	got := map[string][3]string{}
	for _, c := range gb.components("output:bin/app") {
		sum := propValues(c, "go:sum")
		got[c.Name] = [3]string{c.PackageURL, c.Version, strings.Join(sum, ",")}
	}
	want := map[string][3]string{
		"example.com/app":          {"pkg:golang/example.com/app", "", ""},
		"github.com/google/go-cmp": {"pkg:golang/github.com/google/go-cmp@v0.7.0", "v0.7.0", "h1:abc="},
		"example.com/forked":       {"pkg:golang/example.com/fork@v1.0.1", "v1.0.1", "h1:def="},
		"example.com/local":        {"pkg:golang/example.com/local@v0.0.0", "v0.0.0", ""},
		"stdlib":                   {"pkg:golang/stdlib@1.26.8", "go1.26.8", ""},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("components (-want +got):\n%s", diff)
	}
}

// TestGoBinaryOutput checks that a Go binary among a run's outputs yields
// its modules as nested components, linked in the dependency graph, in a
// BOM that validates.
func TestGoBinaryOutput(t *testing.T) {
	t.Parallel()
	runDir := t.TempDir()
	bin, err := os.ReadFile(buildHello(t))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(runDir, "outputs", "hello"), bin)
	run := fixtureRun()
	run.Outputs = run.Outputs[:0]
	run.Outputs = append(run.Outputs, outputFor(t, runDir, "build", "/out/hello", "outputs/hello"))
	bom, err := ForRun(context.Background(), run, runDir, nil, fixedOpts)
	if err != nil {
		t.Fatal(err)
	}
	encode(t, bom, cdx.SpecVersion1_6)
	encode(t, bom, cdx.SpecVersion1_5)
	comps := componentsByRef(bom)
	app := comps["output:outputs/hello"]
	if app.Type != cdx.ComponentTypeApplication || app.Components == nil {
		t.Fatalf("hello = %+v", app)
	}
	cmpRef := "output:outputs/hello#gomod:github.com/google/go-cmp@v0.7.0"
	c, ok := comps[cmpRef]
	if !ok || c.PackageURL != "pkg:golang/github.com/google/go-cmp@v0.7.0" {
		t.Fatalf("go-cmp component = %+v", c)
	}
	if got := propValues(c, "go:sum"); !cmp.Equal(got, []string{"h1:wk8382ETsv4JYUZwIsn6YpYiWiBsYLSJiTsyBybVuN8="}) {
		t.Errorf("go-cmp sum = %v", got)
	}
	if !contains(dependsOn(bom, "output:outputs/hello"), cmpRef) {
		t.Errorf("binary deps = %v", dependsOn(bom, "output:outputs/hello"))
	}
}

// TestMain removes the Go program built for the tests.
func TestMain(m *testing.M) {
	code := m.Run()
	if helloDir != "" {
		os.RemoveAll(helloDir)
	}
	os.Exit(code)
}
