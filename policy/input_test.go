package policy

import (
	"bytes"
	"fmt"
	"slices"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/pinline/pinline/inventory"
	"github.com/pinline/pinline/spec"
)

// TestInputValueMatchesJSON keeps the direct OPA conversion and the JSON
// encoding (which the input digest and docs describe) identical.
func TestInputValueMatchesJSON(t *testing.T) {
	t.Parallel()
	inv := cleanInventory()
	inv.Locks[0].Key = []string{"github.com/a/b", "refs/heads/main"}
	inv.Locks[0].Params = map[string]string{"version": "v1", "arch": "amd64"}
	inv.Modules[0].SDK = &inventory.SDK{Pos: pos("dagger.json", 4), Source: "github.com/acme/sdk", Pin: commit,
		Remote: &inventory.RemoteRef{Host: "github.com", Repo: "acme/sdk", Subpath: "/go/", RefKind: "none"}}
	inv.Specs[0].Spec.Tasks[0].Secrets[0].Value = "x"
	inv.Specs[0].Spec.Tasks = append(inv.Specs[0].Spec.Tasks, spec.Task{Name: "empty"},
		spec.Task{Name: "it", Services: []spec.Binding{{Name: "db"}}, Matrix: &spec.Matrix{Axes: []spec.Axis{{Name: "go", Values: []string{"1.25", "1.26"}}}},
			Push: &spec.Push{Remote: "https://git.example.test/a.git", Branch: "main", Pos: spec.Pos{Line: 7, Column: 5}}})
	inv.Specs[0].Spec.Env = map[string]string{"CI": "true", "EMPTY": ""}
	inv.Specs[0].Spec.Services = map[string]spec.Service{"db": {Name: "db", Image: "pg", Env: map[string]string{"A": "b"}, Ports: []int{5432}}}
	inv.Unresolved = []inventory.Unresolved{{Pos: pos("main.go", 1), Origin: "go", Expr: "x", Reason: "y"}}
	inv.Env = "ci"
	inv.Modules[0].DuplicateKeys = []inventory.DuplicateKey{{Pos: pos("dagger.json", 9), Key: "dependencies[0].pin", First: pos("dagger.json", 8)}}
	inv.UserOverrides = []inventory.UserOverride{{Pos: pos("config.toml", 3), Workspace: "github.com/a/b", Module: "m", Source: "github.com/x/y@main", Settings: true}}
	// Enough modules (from several files, with positions of 0 and large
	// line numbers) that Value builds them on two goroutines.
	many := cleanInventory()
	for i := range 3 * parallelModules {
		m := inv.Modules[0]
		m.Name = fmt.Sprintf("m%d", i)
		m.Pos = pos(fmt.Sprintf("m%d/dagger.json", i%7), 1000+i)
		m.Dependencies = append(slices.Clone(m.Dependencies), inventory.Dependency{Pos: pos(m.Pos.File, i), Kind: "toolchain", Source: ""})
		many.Modules = append(many.Modules, m)
	}
	for _, in := range []*Input{
		BuildInput(inv, InputOptions{Tier: "trusted", Run: &RunInfo{Backend: "host", PushRemotes: []string{"https://git.example.test/"},
			Calls: []InCall{{Pos: pos("pinline.yaml", 4), Task: "c", FromSpec: true, Module: "ci", ModuleOutside: "x",
				Args: []InCallArg{{Name: "src", Arg: "--src=/etc", Reaches: "path", Outside: "y"}, {Arg: "export", Reaches: "write"}, {Name: "t", Arg: "--t=***", Secret: true}}}, {Task: "none"}}}, Config: &Config{ModuleAllowlist: []string{"a"}},
			LockAdded: []inventory.LockEntry{{Pos: pos("dagger.lock", 3), Version: "2", Kind: "container.from", Key: []string{"alpine:3", "linux/amd64"}, Value: "sha256:x"}}, Frozen: true}),
		BuildInput(&inventory.Inventory{}, InputOptions{}),
		BuildInput(many, InputOptions{Tier: "local", Config: &Config{RegistryAllowlist: []string{"", "r"}}}),
	} {
		_, raw, err := InputDigest(in)
		if err != nil {
			t.Fatal(err)
		}
		want, err := ast.ValueFromReader(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		if got := in.Value(); got.Compare(want) != 0 {
			t.Errorf("direct value differs from JSON:\n got %v\nwant %v", got, want)
		}
	}
}

func TestResolveMount(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ dir, src, want string }{
		{".", ".", "."},
		{".", "", "."},
		{".", "src/../..", ".."},
		{"ci", "..", "."},
		{"ci", "../..", ".."},
		{".", "/etc", "/etc"},
		{".", `C:\x`, "/C:/x"},
		{".", `..\x`, "../x"},
	} {
		if got := resolveMount(tc.dir, tc.src); got != tc.want {
			t.Errorf("resolveMount(%q, %q) = %q, want %q", tc.dir, tc.src, got, tc.want)
		}
	}
}

// A lock key's [name, value] pairs reach the policy input as params;
// entries without any have an empty object, never null.
func TestInputLockParams(t *testing.T) {
	t.Parallel()
	inv := cleanInventory()
	inv.Locks[0].Params = map[string]string{"version": "v0.2.0"}
	inv.Locks = append(inv.Locks, inventory.LockEntry{Pos: pos("dagger.lock", 9), Kind: "git-sha", Key: []string{"x"}, Value: "y"})
	in := BuildInput(inv, InputOptions{})
	if got := in.Locks[0].Params; len(got) != 1 || got["version"] != "v0.2.0" {
		t.Errorf("params = %v, want version v0.2.0", got)
	}
	if last := in.Locks[len(in.Locks)-1]; last.Params == nil {
		t.Error("params of an entry without pairs is nil (JSON null)")
	}
}
