package pinline_test

import (
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/pinline/pinline"

// allowed lists, for each library package, the pinline packages it may
// depend on (directly or transitively). Imports flow one way; see
// DESIGN.md "Packages (one way imports)".
var allowed = map[string][]string{
	"engine-config": {},
	"gateway":       {"engine-config"},
	"spec":          {},
	"record":        {},
	"attest":        {},
	"inventory":     {"spec"},
	"policy":        {"inventory", "spec"},
	"sbom":          {"inventory", "spec", "record"},
	"hooks":         {},
	"pin":           {"inventory", "spec"},
	"report":        {"record", "attest"},
	"pipeline":      {"engine-config", "gateway", "spec", "record", "attest", "inventory", "policy", "sbom", "oci"},
	"deploy":        {"engine-config"},
	"oci":           {},
	"admission":     {},
	"serve":         {"engine-config", "gateway", "spec", "record", "attest", "inventory", "policy", "sbom", "pipeline", "oci"},
	// exec (pinline exec) composes pipeline, which owns every Dagger call.
	"exec": {"pipeline", "engine-config", "gateway", "spec", "record", "attest", "inventory", "policy", "sbom", "oci"},
}

// sharedLeaves are internal helper packages every library package may
// import. They must not import any pinline package themselves.
var sharedLeaves = map[string]bool{
	module + "/internal/jsonerr":    true,
	module + "/internal/atomicfile": true,
	module + "/internal/errclass":   true,
}

// onlyIn names external modules that only some packages may link
// (directly or transitively).
var onlyIn = map[string][]string{
	// serve composes pipeline (DESIGN.md: wave 2's server composes
	// pipeline rather than copying it) and links the SDK only through it.
	"dagger.io/dagger": {"pipeline", "serve", "exec"},
}

// onlyImportedBy names external modules that only some packages may import
// directly. cobra reaches attest transitively through cosign's own
// dependencies, which is not ours to change; importing it is.
var onlyImportedBy = map[string][]string{
	"github.com/spf13/cobra": {},
	// exec links the SDK through pipeline only.
	"dagger.io/dagger": {"pipeline"},
}

type listedPkg struct {
	ImportPath string
	Imports    []string
	Deps       []string
}

func TestImportDirection(t *testing.T) {
	t.Parallel()
	touchSources(t)
	cmd := exec.Command("go", "list", "-deps=false", "-json", "./...")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(out)
	seen, seenLeaves := map[string]bool{}, map[string]bool{}
	for {
		var p listedPkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		if sharedLeaves[p.ImportPath] {
			seenLeaves[p.ImportPath] = true
			for _, d := range p.Deps {
				if strings.HasPrefix(d, module+"/") {
					t.Errorf("shared leaf %s depends on %s; it may depend on no pinline package", p.ImportPath, d)
				}
			}
		}
		rel := strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, module), "/")
		top, _, _ := strings.Cut(rel, "/")
		if top == "cmd" || top == "" || strings.HasSuffix(p.ImportPath, "_test") {
			continue
		}
		rules, ok := allowed[top]
		if !ok {
			// bench/, hack/ (development tools such as the registry),
			// internal helpers are free; every library package must be
			// listed.
			if top == "bench" || top == "hack" || top == "internal" {
				continue
			}
			t.Errorf("package %s is not in the import table; add it to allowed", p.ImportPath)
			continue
		}
		seen[top] = true
		for _, d := range p.Imports {
			for ext, pkgs := range onlyImportedBy {
				if (d == ext || strings.HasPrefix(d, ext+"/")) && !slices.Contains(pkgs, top) {
					t.Errorf("%s imports %s, which only %v may import", p.ImportPath, d, pkgs)
				}
			}
		}
		for _, d := range p.Deps {
			if sharedLeaves[d] {
				continue
			}
			if strings.HasPrefix(d, module+"/") {
				dtop, _, _ := strings.Cut(strings.TrimPrefix(d, module+"/"), "/")
				if dtop != top && !slices.Contains(rules, dtop) {
					t.Errorf("%s depends on %s: not allowed (may use %v)", p.ImportPath, d, rules)
				}
				continue
			}
			for ext, pkgs := range onlyIn {
				if (d == ext || strings.HasPrefix(d, ext+"/")) && !slices.Contains(pkgs, top) {
					t.Errorf("%s depends on %s, which only %v may use", p.ImportPath, d, pkgs)
				}
			}
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("go list: %v", err)
	}
	for leaf := range sharedLeaves {
		if !seenLeaves[leaf] {
			t.Errorf("shared leaf %s not found by go list", leaf)
		}
	}
	for _, want := range []string{"engine-config", "policy", "sbom", "attest", "pipeline", "hooks"} {
		if !seen[want] {
			t.Errorf("package %s not found by go list", want)
		}
	}
}

// touchSources opens every Go file so that go test's result cache is
// invalidated when an import changes (go list runs in a child process the
// cache cannot see).
func touchSources(t *testing.T) {
	t.Helper()
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || d.Name() == ".git" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(path, ".go") {
			f, err := os.Open(path)
			if err != nil {
				return err
			}
			_, _ = io.Copy(io.Discard, f)
			return f.Close()
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// lightAllowed are the pinline packages the pinline binary may link (the
// gate and its commands).
var lightAllowed = []string{"cmd/pinline", "cmd/internal/light", "cmd/internal/render", "policy", "inventory", "spec", "pin", "hooks"}

// lightForbidden are what the pinline binary (cmd/pinline, the gate) must
// not link: their package initialisation would cost every check
// (docs/benchmarks.md). pinline-full (cmd/pinline-full) links them.
var lightForbidden = []string{
	"dagger.io/dagger", "github.com/sigstore/", "k8s.io/", "cloud.google.com/go/kms", "github.com/aws/aws-sdk-go-v2/service/kms",
	"github.com/hashicorp/vault", "github.com/Azure/", "github.com/CycloneDX/", "github.com/in-toto/",
	module + "/pipeline", module + "/attest", module + "/gateway", module + "/report", module + "/sbom", module + "/record",
	module + "/engine-config", module + "/cmd/internal/cli",
}

// TestLightBinaryLinksOnlyTheGate: cmd/pinline links the gate and nothing
// of the engine, signing or verification; cmd/pinline-full links those.
func TestLightBinaryLinksOnlyTheGate(t *testing.T) {
	t.Parallel()
	touchSources(t)
	deps := func(pkg string) []string {
		out, err := exec.Command("go", "list", "-deps", pkg).Output()
		if err != nil {
			t.Fatalf("go list -deps %s: %v", pkg, err)
		}
		return strings.Fields(string(out))
	}
	has := func(list []string, prefix string) bool {
		return slices.ContainsFunc(list, func(d string) bool { return strings.HasPrefix(d, prefix) })
	}
	light := deps("./cmd/pinline")
	for _, d := range light {
		rel, ok := strings.CutPrefix(d, module+"/")
		if ok && !slices.Contains(lightAllowed, rel) && !sharedLeaves[d] {
			t.Errorf("cmd/pinline links %s; it may link only %v (docs/architecture.md)", d, lightAllowed)
		}
	}
	for _, f := range lightForbidden {
		if has(light, f) {
			t.Errorf("cmd/pinline links %s*: move the command that needs it to cmd/internal/cli (pinline-full)", f)
		}
	}
	for _, want := range []string{module + "/policy", module + "/pin", module + "/hooks", module + "/cmd/internal/light"} {
		if !has(light, want) {
			t.Errorf("cmd/pinline does not link %s", want)
		}
	}
	full := deps("./cmd/pinline-full")
	for _, want := range []string{"dagger.io/dagger", "github.com/sigstore/cosign/v2", module + "/pipeline", module + "/cmd/internal/light"} {
		if !has(full, want) {
			t.Errorf("cmd/pinline-full does not link %s", want)
		}
	}
}
