// Package monorepo generates a synthetic Dagger monorepo for benchmarks:
// many modules (dagger.json) in Go, Python and TypeScript with module
// source files that reference images in every way the inventory
// recognises, plus a pinline.yaml and a dagger.lock at the root. The
// output is deterministic.
package monorepo

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Options size the generated repository.
type Options struct {
	Modules     int // dagger.json files (default 1000)
	SourceFiles int // module source files in total (default 5000)
}

const (
	digest = "sha256:4e94f3a9d16ca3b98cd18b6cbef2361d834a2f33c94a97a2b039c75766a682ef"
	commit = "626bdccf94759e5fdf32ff2b777c069309327d9a"
)

// Generate writes the repository under dir, which must exist.
func Generate(dir string, opts Options) error {
	if opts.Modules <= 0 {
		opts.Modules = 1000
	}
	if opts.SourceFiles <= 0 {
		opts.SourceFiles = 5000
	}
	write := func(rel, content string) error {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		return os.WriteFile(p, []byte(content), 0o644)
	}
	perModule := opts.SourceFiles / opts.Modules
	extra := opts.SourceFiles % opts.Modules
	for m := 0; m < opts.Modules; m++ {
		name := fmt.Sprintf("mod%04d", m)
		base := "modules/" + name
		lang := []string{"go", "go", "go", "go", "go", "go", "go", "go", "python", "typescript"}[m%10]
		if err := write(base+"/dagger.json", daggerJSON(name, lang, m)); err != nil {
			return err
		}
		n := perModule
		if m < extra {
			n++
		}
		for f := 0; f < n; f++ {
			var rel, src string
			switch lang {
			case "go":
				rel, src = fmt.Sprintf("%s/file%d.go", base, f), goSource(f)
			case "python":
				rel, src = fmt.Sprintf("%s/src/%s/file%d.py", base, name, f), pySource(f)
			default:
				rel, src = fmt.Sprintf("%s/src/file%d.ts", base, f), tsSource(f)
			}
			if err := write(rel, src); err != nil {
				return err
			}
		}
	}
	if err := write("pinline.yaml", spec); err != nil {
		return err
	}
	return write("dagger.lock", lock)
}

func daggerJSON(name, lang string, m int) string {
	var deps []string
	switch m % 4 {
	case 0:
		deps = append(deps, fmt.Sprintf(`{"name": "wolfi", "source": "github.com/dagger/dagger/modules/wolfi@v0.19.10", "pin": %q}`, commit))
	case 1:
		deps = append(deps, `{"name": "helm", "source": "github.com/example/daggerverse/helm@main"}`)
	case 2:
		deps = append(deps, fmt.Sprintf(`"github.com/example/daggerverse/legacy@%s"`, commit))
	}
	if m > 0 {
		deps = append(deps, fmt.Sprintf(`{"name": "prev", "source": "../mod%04d"}`, m-1))
	}
	engine := `"engineVersion": "v0.19.10",`
	if m%7 == 0 {
		engine = ""
	}
	return fmt.Sprintf(`{
  "name": %q,
  %s
  "sdk": {
    "source": %q
  },
  "dependencies": [
    %s
  ]
}
`, name, engine, lang, strings.Join(deps, ",\n    "))
}

func goSource(f int) string {
	return fmt.Sprintf(`// Package main is generated module code.
package main

import (
	"context"
	"fmt"

	"dagger/mod/internal/dagger"
)

const goImage%[1]d = "golang:1.23-alpine@%[2]s"

type M%[1]d struct {
	// +default="alpine:3.20"
	Base string
}

// Build builds the project.
func (m *M%[1]d) Build(ctx context.Context, src *dagger.Directory, version string) (string, error) {
	// dag.Container().From("commented:1")
	c := dag.Container().From(goImage%[1]d).WithDirectory("/src", src)
	d := dag.Container().From("127.0.0.1:5000/tools/lint:v1.2.%[1]d")
	e := dag.Container().From(fmt.Sprintf("node:%%s-alpine", version))
	_ = d
	_ = e
	return c.WithExec([]string{"go", "build", "./..."}).Stdout(ctx)
}

// Test runs the tests in an image chosen by the caller.
func (m *M%[1]d) Test(
	ctx context.Context,
	// +optional
	// +default="golang:1.23@%[2]s"
	image string,
) *dagger.Container {
	return dag.Container().From(image).WithExec([]string{"go", "test", "./..."})
}
`, f, digest)
}

func pySource(f int) string {
	return fmt.Sprintf(`"""Generated module code."""
from typing import Annotated

import dagger
from dagger import Doc, dag, function, object_type

PYTHON_IMAGE = "python:3.13-slim@%[2]s"


@object_type
class M%[1]d:
    @function
    def build(self, image: Annotated[str, Doc("base")] = "python:3.12") -> dagger.Container:
        # dag.container().from_("commented:1")
        return dag.container().from_(PYTHON_IMAGE).with_exec(["pytest"])

    @function
    def node(self, v: str) -> dagger.Container:
        return dag.container().from_(f"node:{v}-alpine")
`, f, digest)
}

func tsSource(f int) string {
	return fmt.Sprintf(`/** Generated module code. */
import { dag, Container, object, func } from "@dagger.io/dagger"

const NODE_IMAGE = "node:22-alpine@%[2]s"

@object()
export class M%[1]d {
  @func()
  build(baseImage: string = "alpine:3.20"): Container {
    // dag.container().from("commented:1")
    return dag.container().from(NODE_IMAGE).withExec(["npm", "test"])
  }

  @func()
  rust(v: string): Container {
    return dag.container().from(`+"`rust:${v}-slim`"+`)
  }
}
`, f, digest)
}

const spec = `version: 1
name: monorepo
images:
  go: 127.0.0.1:5000/pinline/go:1.26@` + digest + `
  alpine: alpine:3.20
tasks:
  test:
    image: go
    run: [go, test, ./...]
    mounts: [{source: ., target: /src, readOnly: true}]
    workdir: /src
  lint:
    image: alpine
    dependsOn: [test]
    sh: echo lint
`

const lock = `# Generated by Dagger.
[["version","2"]]
["","git-latest",["github.com/example/daggerverse"],"refs/heads/main"]
["","git-sha",["github.com/example/daggerverse","refs/heads/main"],"` + commit + `"]
["","oci-sha",["docker.io/library/alpine:3.20"],"` + digest + `"]
`
