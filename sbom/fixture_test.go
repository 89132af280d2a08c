package sbom

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pinline/pinline/inventory"
	"github.com/pinline/pinline/spec"
)

var update = flag.Bool("update", false, "rewrite golden files")

var fixedOpts = Options{
	ToolVersion:  "v0.0.0-test",
	Timestamp:    time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC),
	SerialNumber: "urn:uuid:00000000-0000-4000-8000-000000000000",
}

const (
	commitA = "0b68a41656546134aa6b5c0a439fd1ffcd2ecae9"
	commitB = "6c883f657933ecb06ae86d56d9cd1f8785346bb1"
	digestA = "sha256:294b683cb724975bec92580e1e685676bd4b50bda910ddb8c51d4cabeaec77e6"
	digestB = "sha256:1ae0735f00daffa3aaf1363a5184c0d2dc55c78e3db4ec70241cdac97bf84b59"
)

func pos(file string, line int) inventory.Position {
	return inventory.Position{File: file, Line: line, Column: 3}
}

// fixtureInventory is a hand-built inventory covering every kind of input:
// a root module with remote (commit, tag pinned by lock, unpinned, other
// host) and local dependencies, a local sub-module, a remote SDK, images
// from a spec, a lock and module source, and an unresolved image.
func fixtureInventory() *inventory.Inventory {
	gh := func(repo, sub, ref, kind string) *inventory.RemoteRef {
		return &inventory.RemoteRef{Host: "github.com", Repo: repo, Subpath: sub, Ref: ref, RefKind: kind,
			CloneURL: "https://github.com/" + repo}
	}
	return &inventory.Inventory{
		Root:  "/src/hello",
		Files: []string{".dagger/dagger.json", "ci/dagger.json", "dagger.lock", "pinline.yaml"},
		Modules: []inventory.Module{
			{
				Pos: pos(".dagger/dagger.json", 1), Format: "dagger.json", Name: "hello", EngineVersion: "v0.19.10",
				SDK: &inventory.SDK{Source: "go", Builtin: true},
				Dependencies: []inventory.Dependency{
					{Pos: pos(".dagger/dagger.json", 6), Kind: "dependency", Name: "go", Source: "github.com/dagger/go@v0.1.0", Pin: commitA, Remote: gh("dagger/go", "", "v0.1.0", "tag")},
					{Pos: pos(".dagger/dagger.json", 11), Kind: "dependency", Name: "helpers", Source: "github.com/dagger/sdk-helpers@v1.0.4", Remote: gh("dagger/sdk-helpers", "", "v1.0.4", "tag")},
					{Pos: pos(".dagger/dagger.json", 15), Kind: "toolchain", Name: "k3s", Source: "github.com/Marcosnils/daggerverse/k3s@main", Remote: gh("Marcosnils/daggerverse", "k3s", "main", "branch")},
					{Pos: pos(".dagger/dagger.json", 19), Kind: "dependency", Name: "lib", Source: "gitlab.com/acme/ci-lib/lib@" + commitB, Remote: &inventory.RemoteRef{Host: "gitlab.com", Repo: "acme/ci-lib", Subpath: "lib", Ref: commitB, RefKind: "commit", CloneURL: "https://gitlab.com/acme/ci-lib.git"}},
					{Pos: pos(".dagger/dagger.json", 23), Kind: "dependency", Name: "ci", Source: "../ci", Local: true},
				},
			},
			{
				Pos: pos("ci/dagger.json", 1), Format: "dagger.json", Name: "ci", EngineVersion: "v0.19.10",
				SDK: &inventory.SDK{Source: "github.com/vito/dang/dagger-sdk@" + commitB, Remote: gh("vito/dang", "dagger-sdk", commitB, "commit")},
			},
		},
		Locks: []inventory.LockEntry{
			{Pos: pos("dagger.lock", 5), Version: "2", Kind: "git.ref", Key: []string{"https://github.com/dagger/sdk-helpers.git", "refs/tags/v1.0.4"}, Value: commitB, Ref: "refs/tags/v1.0.4"},
			{Pos: pos("dagger.lock", 6), Kind: "git-sha", Key: []string{"github.com/dagger/eslint", "refs/heads/main"}, Value: commitA},
			{Pos: pos("dagger.lock", 7), Kind: "oci-sha", Key: []string{"docker.io/library/alpine:3.20"}, Value: digestA},
		},
		Specs: []inventory.SpecFile{{Path: "pinline.yaml", Spec: &spec.Spec{Path: "pinline.yaml", Version: 1, Name: "hello"}}},
		Images: []inventory.ImageRef{
			{Pos: pos("pinline.yaml", 4), Origin: "spec", Name: "go", Ref: "golang:1.25-alpine@" + digestB, Registry: "docker.io", Repository: "library/golang", Tag: "1.25-alpine", Digest: digestB},
			{Pos: pos("dagger.lock", 7), Origin: "lock", Via: "oci-sha", Name: "docker.io/library/alpine:3.20", Ref: "docker.io/library/alpine:3.20@" + digestA, Registry: "docker.io", Repository: "library/alpine", Tag: "3.20", Digest: digestA},
			{Pos: pos(".dagger/main.go", 12), Origin: "go", Via: "const", Ref: "alpine:3.20"},
			{Pos: pos("ci/main.go", 30), Origin: "go", Via: "from", Ref: "registry.example:5000/team/builder:v2", Registry: "registry.example:5000", Repository: "team/builder", Tag: "v2"},
		},
		Unresolved: []inventory.Unresolved{
			{Pos: pos("ci/main.go", 41), Origin: "go", Expr: "From(img)", Reason: "image from a function parameter"},
		},
	}
}

// golden compares got with testdata/<name>, rewriting it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run with -update to create)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs (-want +got):\n%s", p, diff)
	}
}

// normalise blanks the fields that change from one run to the next
// (serial number, timestamp, tool version) in a JSON BOM.
func normalise(t *testing.T, data []byte) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	m["serialNumber"] = "urn:uuid:normalised"
	if md, ok := m["metadata"].(map[string]any); ok {
		md["timestamp"] = "normalised"
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
