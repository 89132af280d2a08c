package pinline_test

import (
	"encoding/json"
	"io"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/pinline/pinline"

// sharedLeaves are internal helper packages every library package may
// import. They must not import any pinline package themselves.
var sharedLeaves = map[string]bool{
	module + "/internal/jsonerr":    true,
	module + "/internal/atomicfile": true,
	module + "/internal/errclass":   true,
	module + "/internal/finding":    true,
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

// archRow is one row of docs/architecture.md's package table.
type archRow struct {
	name, dir string
	deps      []string // the last column's package names (dirs for rows' names)
	checked   bool     // false for "everything" / "free"
}

// archTable reads the package table of docs/architecture.md: the one list
// of packages and their pinline dependencies (TestImportDirection holds the
// code to it, both ways).
func archTable(t *testing.T) []archRow {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("docs", "architecture.md"))
	if err != nil {
		t.Fatal(err)
	}
	ticked := func(cell string) []string {
		var out []string
		for i, part := range strings.Split(cell, "`") {
			if i%2 == 1 {
				out = append(out, part)
			}
		}
		return out
	}
	var rows []archRow
	byName := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		cells := strings.Split(strings.Trim(strings.TrimSpace(line), "|"), " | ")
		if !strings.HasPrefix(line, "| `") || len(cells) != 4 {
			continue
		}
		name, dir := ticked(cells[0]), ticked(cells[1])
		if len(name) != 1 || len(dir) != 1 {
			t.Fatalf("docs/architecture.md: row %q: want one `name` and one `dir`", line)
		}
		last := strings.TrimSpace(cells[3])
		r := archRow{name: name[0], dir: strings.TrimSuffix(dir[0], "/"), deps: ticked(last)}
		r.checked = last == "—" || len(r.deps) > 0
		rows = append(rows, r)
		byName[r.name] = r.dir
	}
	if len(rows) < 10 {
		t.Fatalf("docs/architecture.md: found %d table rows; the test reads rows of the form | `name` | `dir/` | job | deps |", len(rows))
	}
	for i := range rows {
		for j, d := range rows[i].deps {
			if dir, ok := byName[d]; ok {
				rows[i].deps[j] = dir
			}
		}
		slices.Sort(rows[i].deps)
	}
	return rows
}

// rowOf is the row whose dir holds the package at rel (the longest prefix).
func rowOf(rows []archRow, rel string) *archRow {
	var best *archRow
	for i, r := range rows {
		if (rel == r.dir || strings.HasPrefix(rel, r.dir+"/")) && (best == nil || len(r.dir) > len(best.dir)) {
			best = &rows[i]
		}
	}
	return best
}

func TestImportDirection(t *testing.T) {
	t.Parallel()
	touchSources(t)
	rows := archTable(t)
	cmd := exec.Command("go", "list", "-deps=false", "-json", "./...")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(out)
	seenLeaves := map[string]bool{}
	used := map[string]map[string]bool{} // row dir -> pinline deps (row dirs, or paths outside the table)
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
		if rel == "" || strings.HasSuffix(p.ImportPath, "_test") {
			continue
		}
		top, _, _ := strings.Cut(rel, "/")
		row := rowOf(rows, rel)
		if row == nil {
			// bench/, hack/, cmd/ and internal/ helpers outside the table
			// are free; every library package must have a row.
			if top != "bench" && top != "hack" && top != "cmd" && top != "internal" {
				t.Errorf("package %s has no row in docs/architecture.md's table", p.ImportPath)
			}
			continue
		}
		if used[row.dir] == nil {
			used[row.dir] = map[string]bool{}
		}
		// cmd (cobra, the CLI) and hack (tools) may link any module.
		tool := top == "cmd" || top == "hack"
		for _, d := range p.Imports {
			for ext, pkgs := range onlyImportedBy {
				if tool {
					break
				}
				if (d == ext || strings.HasPrefix(d, ext+"/")) && !slices.Contains(pkgs, top) {
					t.Errorf("%s imports %s, which only %v may import", p.ImportPath, d, pkgs)
				}
			}
		}
		for _, d := range p.Deps {
			if sharedLeaves[d] {
				continue
			}
			if drel, ok := strings.CutPrefix(d, module+"/"); ok {
				name := drel
				if dr := rowOf(rows, drel); dr != nil {
					name = dr.dir
				}
				if name != row.dir {
					used[row.dir][name] = true
				}
				continue
			}
			for ext, pkgs := range onlyIn {
				if tool {
					break
				}
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
	for _, r := range rows {
		got, ok := used[r.dir]
		if !ok {
			t.Errorf("docs/architecture.md: row %s: no package in %s/", r.name, r.dir)
			continue
		}
		if !r.checked {
			continue
		}
		for _, d := range slices.Sorted(maps.Keys(got)) {
			if !slices.Contains(r.deps, d) {
				t.Errorf("%s depends on %s, which its row in docs/architecture.md does not list (%v): fix the import or the table", r.dir, d, r.deps)
			}
		}
		for _, d := range r.deps {
			if !got[d] {
				t.Errorf("docs/architecture.md: row %s lists %s, but %s does not depend on it", r.name, d, r.dir)
			}
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
// gate and its commands): cmd/pinline, and the light row of
// docs/architecture.md's table with what it lists.
func lightAllowed(t *testing.T) []string {
	t.Helper()
	for _, r := range archTable(t) {
		if r.dir == "cmd/internal/light" {
			return append([]string{"cmd/pinline", r.dir}, r.deps...)
		}
	}
	t.Fatal("docs/architecture.md: no row for cmd/internal/light")
	return nil
}

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
	allowed := lightAllowed(t)
	for _, d := range light {
		rel, ok := strings.CutPrefix(d, module+"/")
		if ok && !slices.Contains(allowed, rel) && !sharedLeaves[d] {
			t.Errorf("cmd/pinline links %s; it may link only %v (docs/architecture.md)", d, allowed)
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
