package pipeline

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"dagger.io/dagger"

	"github.com/pinline/pinline/inventory"
	"github.com/pinline/pinline/record"
	"github.com/pinline/pinline/spec"
)

// callModule is what the run knows about a call task's module before it
// connects.
type callModule struct {
	dir  string // absolute, symlinks resolved
	rel  string // relative to the root, slash separated
	name string
	sdk  string
}

// moduleOf reads the module configuration of a call task from the
// repository (dagger.json or dagger-module.toml in the module directory).
func moduleOf(root string, c *spec.Call) (*callModule, error) {
	rel := c.Module
	if rel == "" {
		rel = "."
	}
	dir, err := insideRoot(root, rel)
	if err != nil {
		return nil, fmt.Errorf("module %q: %w", rel, err)
	}
	m := &callModule{dir: dir, rel: filepath.ToSlash(filepath.Clean(rel))}
	var mod *inventory.Module
	if b, err := os.ReadFile(filepath.Join(dir, "dagger.json")); err == nil {
		mod, _, err = inventory.ParseDaggerJSON(filepath.Join(m.rel, "dagger.json"), b)
		if err != nil {
			return nil, err
		}
	} else if b, err := os.ReadFile(filepath.Join(dir, "dagger-module.toml")); err == nil {
		if mod, err = inventory.ParseModuleTOML(filepath.Join(m.rel, "dagger-module.toml"), b); err != nil {
			return nil, err
		}
	} else {
		return nil, fmt.Errorf("module %q: no dagger.json or dagger-module.toml", rel)
	}
	m.name = mod.Name
	if mod.SDK != nil {
		m.sdk = mod.SDK.Source
	}
	return m, nil
}

// sdkSupported says whether the engine can run modules of the SDK, and if
// not, what it lacks.
func sdkSupported(sdk string) (bool, string) {
	switch strings.ToLower(sdk) {
	case "go":
		return true, ""
	case "python":
		return false, "the engine has no offline Python SDK runtime (it needs PyPI and the upstream Python base image)"
	case "typescript":
		return false, "the engine has no offline TypeScript SDK runtime (it needs the npm registry and the upstream Node base image)"
	case "":
		return false, "the module has no SDK, so it has no functions to call"
	}
	return false, fmt.Sprintf("the engine runs only the builtin Go SDK offline, not SDK %q", sdk)
}

// errOutsideRoot is a path that leaves the repository.
var errOutsideRoot = errors.New("path escapes the repository")

// insideRoot resolves rel against root and fails unless the result, with
// every symlink resolved, stays inside root. A path that does not exist is
// resolved as far as it exists.
func insideRoot(root, p string) (string, error) {
	r, err := filepath.EvalSymlinks(root)
	if err != nil {
		return "", err
	}
	abs := p
	if !filepath.IsAbs(abs) {
		abs = filepath.Join(root, p)
	}
	res, err := resolveExisting(abs)
	if err != nil {
		return "", err
	}
	if res != r && !strings.HasPrefix(res, r+string(filepath.Separator)) {
		return "", fmt.Errorf("%w: resolves to %s, outside the repository %s", errOutsideRoot, res, r)
	}
	return res, nil
}

// resolveExisting evaluates the symlinks of the longest existing prefix of
// abs and appends the rest.
func resolveExisting(abs string) (string, error) {
	abs = filepath.Clean(abs)
	var rest []string
	for cur := abs; ; cur = filepath.Dir(cur) {
		r, err := filepath.EvalSymlinks(cur)
		if err == nil {
			return filepath.Join(append([]string{r}, rest...)...), nil
		}
		if !errors.Is(err, os.ErrNotExist) {
			return "", err
		}
		if filepath.Dir(cur) == cur {
			return "", err
		}
		rest = append([]string{filepath.Base(cur)}, rest...)
	}
}

// moduleSourceQuery asks the engine what a module source resolves to
// without running module code.
const moduleSourceQuery = `query ModuleSource($ref: String!) {
  moduleSource(refString: $ref) {
    kind asString digest moduleName
    dependencies { moduleName asString kind version commit pin digest }
  }
}`

type moduleSourceInfo struct {
	ModuleSource struct {
		Kind         string `json:"kind"`
		AsString     string `json:"asString"`
		Digest       string `json:"digest"`
		ModuleName   string `json:"moduleName"`
		Dependencies []struct {
			ModuleName string `json:"moduleName"`
			AsString   string `json:"asString"`
			Kind       string `json:"kind"`
			Version    string `json:"version"`
			Commit     string `json:"commit"`
			Pin        string `json:"pin"`
			Digest     string `json:"digest"`
		} `json:"dependencies"`
	} `json:"moduleSource"`
}

// resolveModule fills rc with the engine's view of the module: its digest
// and its dependencies with the commits they resolved to.
func resolveModule(ctx context.Context, c *dagger.Client, m *callModule, rc *record.Call) error {
	var info moduleSourceInfo
	if err := c.Do(ctx, &dagger.Request{Query: moduleSourceQuery, Variables: map[string]any{"ref": m.dir}},
		&dagger.Response{Data: &info}); err != nil {
		return fmt.Errorf("resolve module %s: %w", m.rel, err)
	}
	ms := info.ModuleSource
	rc.ModuleDigest = ms.Digest
	if ms.ModuleName != "" {
		rc.ModuleName = ms.ModuleName
	}
	rc.Dependencies = []record.CallDependency{}
	for _, d := range ms.Dependencies {
		rc.Dependencies = append(rc.Dependencies, record.CallDependency{Name: d.ModuleName, Source: d.AsString,
			Kind: d.Kind, Version: d.Version, Commit: d.Commit, Pin: d.Pin, Digest: d.Digest})
	}
	return nil
}

// checkCalls reads the module of every call task of the plan before
// anything connects and records what each calls. A module whose SDK the
// engine cannot run fails with ErrUnsupportedSDK naming what it lacks.
func checkCalls(o *Options, p *plan, rec *record.Run) error {
	var unsupported []string
	for i, n := range p.order {
		c := n.task.Call
		if c == nil {
			continue
		}
		m, err := moduleOf(o.Root, c)
		if err != nil {
			return fmt.Errorf("%w: task %q: %w", ErrInvalid, n.task.Name, err)
		}
		rec.Tasks[i].Call = callRecord(m, c)
		for _, a := range parseCallArgs(c.Args) {
			if a.scheme == "env" && sensitiveEnv(a.value) {
				return fmt.Errorf("%w: task %q: argument --%s: environment variable %s is signing material or a credential of pinline and never a secret source",
					ErrInvalid, n.task.Name, a.name, a.value)
			}
		}
		if ok, why := sdkSupported(m.sdk); !ok {
			unsupported = append(unsupported, fmt.Sprintf("task %q: module %s (sdk %q): %s", n.task.Name, m.rel, m.sdk, why))
		}
	}
	if len(unsupported) > 0 {
		return fmt.Errorf("%w: %s", ErrUnsupportedSDK, strings.Join(unsupported, "; "))
	}
	return nil
}
