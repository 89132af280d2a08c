package serve

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pinline/pinline/internal/servetest"
	"github.com/pinline/pinline/internal/testenv"
	"github.com/pinline/pinline/pipeline"
	"github.com/pinline/pinline/record"
)

// TestServeCallModule: a tier whose engine is the module engine
// (hack/setup.d/60-module-engine.sh) runs a submitted commit whose
// pinline.yaml has a call task; the function calls a Go SDK dependency
// pinned by commit and served over smart HTTP on 127.0.0.1:80. The signed
// provenance's resolvedDependencies name the source commit and the module
// dependency by commit, and run.json's call record agrees with them.
func TestServeCallModule(t *testing.T) {
	vals := testenv.RequireAll(t, "hack/setup.d/60-module-engine.sh", "PINLINE_MODULE_ENGINE_SOCK", "PINLINE_MODULE_DAGGER_CLI")
	env := servetest.New(t)
	dep := servetest.ModuleGitServer(t, 3*time.Minute)
	marker := fmt.Sprintf("serve-%d-%d", os.Getpid(), time.Now().UnixNano())
	depCommit := servetest.DepModule(t, dep, marker)
	depSource := dep.URL("dep") + "@v1.0.0"
	url, commit := env.Repo(t, "callmod", map[string]string{
		"ci/dagger.json": fmt.Sprintf(`{"name": "gate", "engineVersion": "v0.19.10", "sdk": {"source": "go"},
  "dependencies": [{"name": "dep", "source": %q, "pin": %q}]}
`, depSource, depCommit),
		"ci/main.go": `package main

import "context"

type Gate struct{}

// WithDep calls the git-pinned dependency (` + marker + `).
func (m *Gate) WithDep(ctx context.Context) (string, error) { return dag.Dep().Greet(ctx, "serve") }
`,
		"pinline.yaml": "version: 1\nname: svc-call\ntasks:\n  greet:\n    call: {module: ci, function: with-dep}\n",
	})
	cfgPath := env.Config(t, vals["PINLINE_MODULE_DAGGER_CLI"],
		servetest.Tier{Name: "release", Rank: 10, BuilderID: releaseBuilder, Identity: "spiffe://pinline.test/ci/main/",
			Engine: vals["PINLINE_MODULE_ENGINE_SOCK"], Timeout: 8 * time.Minute})
	ts := launch(t, env, cfgPath, Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	st, err := ts.release.Submit(ctx, &SubmitRequest{Repository: url, Commit: commit, Spec: "pinline.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	fin, err := ts.release.Events(ctx, st.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if fin.State != StateSucceeded || !fin.Signed {
		t.Fatalf("call run: %+v", fin)
	}
	dir, err := ts.release.Download(ctx, st.ID, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	rec, err := record.ReadRun(dir)
	if err != nil {
		t.Fatal(err)
	}

	// run.json: the call, the dependency at its commit, the result.
	if len(rec.Tasks) != 1 || rec.Tasks[0].Call == nil {
		t.Fatalf("run.json tasks %+v", rec.Tasks)
	}
	c := rec.Tasks[0].Call
	if c.Module != "ci" || c.ModuleName != "gate" || c.SDK != "go" || c.Function != "with-dep" ||
		len(c.Dependencies) != 1 || c.Dependencies[0].Name != "dep" || c.Dependencies[0].Commit != depCommit {
		t.Errorf("run.json call %+v", c)
	}
	if len(rec.Modules) != 1 || rec.Modules[0].Pin != depCommit {
		t.Errorf("run.json modules %+v, want dep at %s", rec.Modules, depCommit)
	}
	if rec.Repository.Commit != commit || rec.Repository.URI != url {
		t.Errorf("run.json repository %+v, want %s at %s", rec.Repository, url, commit)
	}
	b, err := os.ReadFile(filepath.Join(dir, "outputs", "greet.json"))
	if err != nil || pipeline.CallResult(b) != "hi serve from dep" {
		t.Errorf("call result %q %v", b, err)
	}

	// The provenance verifies with the tier's key; its resolvedDependencies
	// name the source commit and the module by commit, as run.json does.
	if !ts.srv.verifies(ts.srv.tiers["release"], filepath.Join(runsDir(ts.cfg.Store), st.ID), rec) {
		t.Error("the provenance does not verify with the tier's key")
	}
	deps := resolvedDependencies(t, filepath.Join(dir, record.ProvenanceFile))
	src, ok := deps["source"]
	if !ok || src.URI != url || src.Digest["gitCommit"] != commit {
		t.Errorf("resolvedDependencies source %+v, want %s at %s", src, url, commit)
	}
	m, ok := deps["module:dep"]
	if !ok || m.Digest["gitCommit"] != depCommit || !strings.HasPrefix(m.URI, dep.URL("dep")) ||
		len(rec.Modules) == 1 && m.URI != rec.Modules[0].Source {
		t.Errorf("resolvedDependencies module:dep %+v, want %s at %s", m, depSource, depCommit)
	}
	for name := range deps {
		if !strings.HasPrefix(name, "module:") || name == "module:dep" {
			continue
		}
		t.Errorf("resolvedDependencies: unexpected %s", name)
	}
}

// resolvedDep is an entry of buildDefinition.resolvedDependencies.
type resolvedDep struct {
	Name   string            `json:"name"`
	URI    string            `json:"uri"`
	Digest map[string]string `json:"digest"`
}

// resolvedDependencies reads the resolvedDependencies of the provenance
// (a DSSE envelope) at path, by name.
func resolvedDependencies(t *testing.T, path string) map[string]resolvedDep {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var envl struct {
		Payload []byte `json:"payload"`
	}
	var stmt struct {
		Predicate struct {
			BuildDefinition struct {
				ResolvedDependencies []resolvedDep `json:"resolvedDependencies"`
			} `json:"buildDefinition"`
		} `json:"predicate"`
	}
	if err := json.Unmarshal(b, &envl); err != nil || json.Unmarshal(envl.Payload, &stmt) != nil {
		t.Fatalf("%s: not a DSSE envelope with a JSON statement", path)
	}
	out := map[string]resolvedDep{}
	for _, d := range stmt.Predicate.BuildDefinition.ResolvedDependencies {
		out[d.Name] = d
	}
	return out
}
