package inventory

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// writeTree creates files (path → content) under a temporary directory.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for p, c := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const goFrom = "package m\nfunc f() { c.From(\"alpine:3\") }\n"

func TestCollectModuleSourceRule(t *testing.T) {
	t.Parallel()
	dir := writeTree(t, map[string]string{
		// Root module whose code lives in .dagger: root main.go is the
		// application, not module code.
		"dagger.json":                              `{"name":"app","sdk":"go","source":".dagger"}`,
		"main.go":                                  goFrom,
		".dagger/main.go":                          goFrom,
		".dagger/dagger.gen.go":                    goFrom,
		".dagger/internal/dagger/dagger.gen.go":    goFrom,
		".dagger/internal/querybuilder/marshal.go": goFrom,
		// A nested module with its own config owns its files.
		".dagger/sub/dagger.json": `{"name":"sub","sdk":"go"}`,
		".dagger/sub/main.go":     goFrom,
		// A module without sdk has no code.
		"ws/dagger.json": `{"name":"ws"}`,
		"ws/main.go":     goFrom,
		// Python module: src/ is code, sdk/ is generated.
		"py/dagger.json":         `{"name":"py","sdk":{"source":"python"}}`,
		"py/src/py/main.py":      "c.from_(\"alpine:3\")\n",
		"py/sdk/src/dagger/x.py": "c.from_(\"alpine:3\")\n",
		"py/.venv/lib/site.py":   "c.from_(\"alpine:3\")\n",
		// Skipped directories.
		".git/dagger.json":                  `{`,
		"vendor/x/dagger.json":              `{`,
		"node_modules/x/dagger.json":        `{`,
		".dagger/node_modules/x/index.ts":   "c.from('a:1')",
		"ts/dagger.json":                    `{"name":"ts","sdk":"typescript"}`,
		"ts/src/index.ts":                   "c.from('alpine:3')",
		"ts/src/types.d.ts":                 "c.from('alpine:3')",
		"ts/node_modules/@dagger.io/x.ts":   "c.from('alpine:3')",
		"notamodule/main.go":                goFrom,
		"notamodule/deep/dir/pinline.yaml2": "",
	})
	inv, err := Collect(context.Background(), Options{Root: dir})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{".dagger/main.go", ".dagger/sub/dagger.json", ".dagger/sub/main.go", "dagger.json",
		"py/dagger.json", "py/src/py/main.py", "ts/dagger.json", "ts/src/index.ts", "ws/dagger.json"}
	if d := cmp.Diff(want, inv.Files); d != "" {
		t.Errorf("files read (-want +got):\n%s", d)
	}
	var from []string
	for _, img := range inv.Images {
		from = append(from, img.Pos.File)
	}
	if d := cmp.Diff([]string{".dagger/main.go", ".dagger/sub/main.go", "py/src/py/main.py", "ts/src/index.ts"}, from); d != "" {
		t.Errorf("images found in (-want +got):\n%s", d)
	}
}

func TestCollectPaths(t *testing.T) {
	t.Parallel()
	dir := writeTree(t, map[string]string{
		"a/dagger.json": `{"name":"a","engineVersion":"v0.19.0"}`,
		"b/dagger.json": `{"name":"b"}`,
	})
	inv, err := Collect(context.Background(), Options{Root: dir, Paths: []string{"b", filepath.Join(dir, "b"), "b/dagger.json"}})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"b/dagger.json"}, inv.Files); d != "" {
		t.Errorf("files (-want +got):\n%s", d)
	}
	if len(inv.Modules) != 1 || inv.Modules[0].Name != "b" || inv.Modules[0].Pos.File != "b/dagger.json" {
		t.Errorf("modules = %+v", inv.Modules)
	}
	// A path that does not exist is bad input naming the path as given.
	_, err = Collect(context.Background(), Options{Root: dir, Paths: []string{"not/here"}})
	var pe *ParseError
	if !errors.As(err, &pe) || pe.File != "not/here" || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("missing path: err = %v (%T), want a ParseError for not/here", err, err)
	}
}

func TestCollectEmpty(t *testing.T) {
	t.Parallel()
	inv, err := Collect(context.Background(), Options{Root: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if inv.Files == nil || inv.Modules == nil || inv.Locks == nil || inv.Specs == nil || inv.Images == nil || inv.Unresolved == nil {
		t.Error("empty inventory has nil lists (JSON null)")
	}
}

func TestCollectFirstErrorInPathOrder(t *testing.T) {
	t.Parallel()
	files := map[string]string{}
	for _, d := range []string{"m", "c", "x", "a", "q"} {
		files[d+"/dagger.json"] = "{\n  oops\n}"
	}
	dir := writeTree(t, files)
	for i := 0; i < 5; i++ {
		_, err := Collect(context.Background(), Options{Root: dir, Workers: 4})
		var pe *ParseError
		if !errors.As(err, &pe) || pe.File != "a/dagger.json" || pe.Line != 2 || pe.Column != 3 {
			t.Fatalf("error = %v, want a/dagger.json:2:3", err)
		}
	}
}

func TestCollectSymlinksNotFollowed(t *testing.T) {
	t.Parallel()
	outside := writeTree(t, map[string]string{"dagger.json": `{"name":"outside"}`, "d/dagger.json": `{"name":"d"}`})
	dir := writeTree(t, map[string]string{"dagger.json": `{"name":"inside"}`})
	if err := os.Symlink(filepath.Join(outside, "d"), filepath.Join(dir, "link")); err != nil {
		t.Fatal(err) // a security test: never skipped
	}
	if err := os.Symlink(filepath.Join(outside, "dagger.json"), filepath.Join(dir, "sub-dagger.json")); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outside, "dagger.json"), filepath.Join(dir, "x", "dagger.json")); err != nil {
		t.Fatal(err)
	}
	inv, err := Collect(context.Background(), Options{Root: dir})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"dagger.json"}, inv.Files); d != "" {
		t.Errorf("files (-want +got):\n%s", d)
	}
}

func TestCollectLimitsAndCancel(t *testing.T) {
	t.Parallel()
	dir := writeTree(t, map[string]string{"dagger.json": `{"name":"` + strings.Repeat("x", 100) + `"}`})
	_, err := Collect(context.Background(), Options{Root: dir, MaxFileSize: 50})
	var pe *ParseError
	if !errors.As(err, &pe) || pe.File != "dagger.json" || !strings.Contains(pe.Msg, "larger than 50 bytes") {
		t.Errorf("error = %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Collect(ctx, Options{Root: dir}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: error = %v", err)
	}
}

func TestCollectSpecErrorsAreTyped(t *testing.T) {
	t.Parallel()
	dir := writeTree(t, map[string]string{
		"pinline.yaml": "version: 1\ntasks:\n  a: {image: \"Bad/Ref:1\", run: [x]}\n",
	})
	_, err := Collect(context.Background(), Options{Root: dir})
	var pe *ParseError
	if !errors.As(err, &pe) || pe.Line != 3 || !strings.Contains(pe.Msg, "invalid repository component") {
		t.Errorf("error = %v", err)
	}
}

// TestCollectUnparsableSource: a module source file that does not parse
// (real repositories have them) is an Unresolved entry at the error, not
// a rejected repository; the other files of the module are still scanned.
func TestCollectUnparsableSource(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	files := map[string]string{
		"dagger.json": `{"name": "m", "sdk": {"source": "go"}}`,
		"main.go":     "package main\n\nfunc f() {\n\tx := g(func() {\n\t})\n\t}, nil,\n}\n",
		"ok.go":       "package main\n\nfunc h() { dag.Container().From(\"alpine:3.20\") }\n",
		"broken.py":   "s = 'open\n",
	}
	for n, c := range files {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	inv, err := Collect(context.Background(), Options{Root: dir})
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.Images) != 1 || inv.Images[0].Ref != "alpine:3.20" {
		t.Errorf("images = %+v", inv.Images)
	}
	var got []string
	for _, u := range inv.Unresolved {
		got = append(got, fmt.Sprintf("%s:%d %s %s", u.Pos.File, u.Pos.Line, u.Origin, u.Expr))
		if !strings.Contains(u.Reason, "does not parse") {
			t.Errorf("reason %q", u.Reason)
		}
	}
	if d := cmp.Diff([]string{"broken.py:1 python (file)", "main.go:6 go (file)"}, got); d != "" {
		t.Errorf("unresolved (-want +got):\n%s", d)
	}
}

// TestCollectGoConstantsAcrossFiles: From arguments naming constants of
// another file of the same package are resolved and reported once, at the
// use, naming where the parts come from; a name defined in two files, or
// in another package, stays unresolved.
func TestCollectGoConstantsAcrossFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	d := "sha256:" + strings.Repeat("c", 64)
	files := map[string]string{
		"dagger.json": `{"name": "m", "sdk": {"source": "go"}}`,
		"consts.go":   "package main\n\nconst (\n\tgoImage = \"golang:1.22\"\n\trepo = \"postgres\"\n\tpgDigest = \"" + d + "\"\n\tdup = \"a:1\"\n)\n",
		"other.go":    "package main\n\nconst dup = \"b:2\"\n",
		"main.go": "package main\n\nfunc f() {\n\tdag.Container().From(goImage)\n\tdag.Container().From(repo + \":16@\" + pgDigest)\n" +
			"\tdag.Container().From(dup)\n\tdag.Container().From(missing)\n}\n",
		"sub/x.go": "package sub\n\nconst goImage = \"evil:1\"\n",
	}
	for n, c := range files {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, n)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, n), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	inv, err := Collect(context.Background(), Options{Root: dir})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, im := range inv.Images {
		lit := ""
		if im.Literal != nil {
			lit = fmt.Sprintf(" literal %s:%d", im.Literal.File, im.Literal.Line)
		}
		got = append(got, fmt.Sprintf("%s:%d %s [%s]%s", im.Pos.File, im.Pos.Line, im.Ref, im.Name, lit))
	}
	for _, u := range inv.Unresolved {
		got = append(got, fmt.Sprintf("? %s:%d %s", u.Pos.File, u.Pos.Line, u.Expr))
	}
	want := []string{
		"main.go:4 golang:1.22 [goImage (consts.go:4)] literal consts.go:4",
		"main.go:5 postgres:16@" + d + " [repo (consts.go:5) + pgDigest (consts.go:6)]",
		"sub/x.go:3 evil:1 [goImage]",
		"? main.go:6 dup",
		"? main.go:7 missing",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestCollectSourceConstantsAcrossFiles: Python and TypeScript from
// arguments naming a constant of another file of the module (imported
// from it), also inside concatenations and templates, are resolved, once,
// at the use; a name no file defines stays unresolved.
func TestCollectSourceConstantsAcrossFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	files := map[string]string{
		"py/dagger.json":     `{"name": "p", "sdk": {"source": "python"}}`,
		"py/src/m/consts.py": "BASE_IMAGE = \"python:3.13-slim\"\nPY_REPO = \"python\"\n",
		"py/src/m/main.py": "from .consts import BASE_IMAGE, PY_REPO\n\ndef f():\n    return dag.container().from_(BASE_IMAGE)\n" +
			"def g(v: str = \"3.12\"):\n    return dag.container().from_(PY_REPO + \":\" + v)\n" +
			"def h():\n    return dag.container().from_(f\"{PY_REPO}:{MISSING}\")\n",
		"ts/dagger.json":    `{"name": "t", "sdk": {"source": "typescript"}}`,
		"ts/src/consts.ts":  "export const NODE = \"node:22-alpine\"\nexport const NODE_REPO = \"node\"\n",
		"ts/src/index.ts":   "import { NODE, NODE_REPO } from \"./consts\"\nexport function f() { return dag.container().from(NODE) }\nexport function g() { return dag.container().from(`${NODE_REPO}:22`) }\n",
		"ts/src/unknown.ts": "export function g() { return dag.container().from(OTHER) }\n",
	}
	for n, c := range files {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, n)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, n), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	inv, err := Collect(context.Background(), Options{Root: dir})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, im := range inv.Images {
		got = append(got, fmt.Sprintf("%s:%d %s [%s]", im.Pos.File, im.Pos.Line, im.Ref, im.Name))
	}
	for _, u := range inv.Unresolved {
		got = append(got, fmt.Sprintf("? %s:%d %s", u.Pos.File, u.Pos.Line, u.Expr))
	}
	want := []string{
		"py/src/m/main.py:4 python:3.13-slim [BASE_IMAGE (py/src/m/consts.py:1)]",
		"py/src/m/main.py:6 python:3.12 [PY_REPO (py/src/m/consts.py:2), v (default at py/src/m/main.py:5)]",
		"ts/src/index.ts:2 node:22-alpine [NODE (ts/src/consts.ts:1)]",
		"ts/src/index.ts:3 node:22 [NODE_REPO (ts/src/consts.ts:2)]",
		"? py/src/m/main.py:8 f\"{PY_REPO}:{MISSING}\"",
		"? ts/src/unknown.ts:1 OTHER",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
