package policy

import (
	"context"
	"testing"
	"time"

	"github.com/pinline/pinline/inventory"
	"github.com/pinline/pinline/spec"
)

const (
	commit  = "0123456789abcdef0123456789abcdef01234567"
	digest  = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	testNow = "2026-06-01T12:00:00Z"
)

func now(t testing.TB) time.Time {
	t.Helper()
	n, err := time.Parse(time.RFC3339, testNow)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func loadDefault(t testing.TB) *Engine {
	t.Helper()
	e, err := Load(context.Background(), Options{})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return e
}

func pos(file string, line int) inventory.Position {
	return inventory.Position{File: file, Line: line, Column: 3}
}

// cleanInventory is a repository every default rule accepts.
func cleanInventory() *inventory.Inventory {
	return &inventory.Inventory{
		Root:  "/repo",
		Files: []string{"dagger.json", "dagger.lock", "pinline.yaml"},
		Modules: []inventory.Module{{
			Pos: pos("dagger.json", 1), Format: "dagger.json", Name: "app", EngineVersion: "v1.0.0",
			EngineVerPos: pos("dagger.json", 3),
			SDK:          &inventory.SDK{Pos: pos("dagger.json", 4), Source: "go", Builtin: true},
			Dependencies: []inventory.Dependency{
				{Pos: pos("dagger.json", 6), Kind: "dependency", Name: "lint", Source: "github.com/acme/lint@v1.0.0", Pin: commit,
					Remote: &inventory.RemoteRef{Host: "github.com", Repo: "acme/lint", Ref: "v1.0.0", RefKind: "tag"}},
				{Pos: pos("dagger.json", 9), Kind: "dependency", Name: "local", Source: "./local", Local: true},
			},
		}},
		Locks: []inventory.LockEntry{
			{Pos: pos("dagger.lock", 5), Kind: "git-sha", Key: []string{"github.com/acme/lint", "refs/tags/v1.0.0"}, Value: commit},
			{Pos: pos("dagger.lock", 6), Kind: "oci-sha", Key: []string{"docker.io/library/alpine:3.20"}, Value: digest},
		},
		Images: []inventory.ImageRef{
			{Pos: pos("pinline.yaml", 4), Origin: "spec", Name: "go", Ref: "docker.io/library/golang:1.26@" + digest,
				Registry: "docker.io", Repository: "library/golang", Tag: "1.26", Digest: digest},
		},
		Specs: []inventory.SpecFile{{Path: "pinline.yaml", Spec: &spec.Spec{Name: "app", Pos: spec.Pos{Line: 1, Column: 1},
			Tasks: []spec.Task{{Name: "test", Image: "go", Pos: spec.Pos{Line: 6, Column: 3},
				Mounts:  []spec.Mount{{Source: ".", Target: "/src", Pos: spec.Pos{Line: 8, Column: 7}}},
				Secrets: []spec.Secret{{Name: "tok", Env: "TOKEN", Pos: spec.Pos{Line: 9, Column: 7}}},
				Env:     map[string]string{"GOFLAGS": "-mod=mod"},
			}}}}},
	}
}

func TestCleanInventoryAllows(t *testing.T) {
	t.Parallel()
	e := loadDefault(t)
	d, err := e.Evaluate(context.Background(), BuildInput(cleanInventory(), InputOptions{Tier: "local"}), EvalOptions{Now: now(t)})
	if err != nil {
		t.Fatal(err)
	}
	if !d.Allow || len(d.Violations)+len(d.Warnings) != 0 {
		t.Fatalf("clean inventory: allow=%v violations=%v warnings=%v", d.Allow, d.Violations, d.Warnings)
	}
	if d.InputDigest == "" || d.BundleDigest == "" {
		t.Errorf("digests missing: %+v", d)
	}
}
