package sbom

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"
	"github.com/google/go-cmp/cmp"

	"github.com/pinline/pinline/record"
	"github.com/pinline/pinline/spec"
)

const secretSentinel = "s3cr3t-VALUE-never-in-sbom"

func writeFile(t *testing.T, p string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func outputFor(t *testing.T, runDir, task, path, file string) record.Output {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(runDir, file))
	if err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256(b)
	return record.Output{Task: task, Path: path, File: file, Type: "file", Size: int64(len(b)), SHA256: hex.EncodeToString(s[:])}
}

// fixtureRun is a run record of a three-task pipeline. Error fields carry a
// sentinel standing for anything secret that leaked into an error message;
// it must never reach the BOM.
func fixtureRun() *record.Run {
	t0 := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	img := "docker.io/library/golang:1.25-alpine@" + digestB
	return &record.Run{
		Schema: record.SchemaVersion, ID: "20261122T090000Z-abcd", Status: record.StatusFailed,
		Error: "task lint failed: token=" + secretSentinel, StartedAt: t0, FinishedAt: t0.Add(90 * time.Second),
		Who:  record.Who{User: "dev", Host: "laptop", Identity: "spiffe://example/ci"},
		Tier: "trusted", BuilderID: "https://pinline.dev/builders/trusted", CacheMode: "rw",
		Repository: record.Repository{Root: "/src/hello", Source: record.Source{URI: "https://github.com/acme/hello", Commit: commitA}},
		Spec:       record.SpecRef{Path: "pinline.yaml", SHA256: strings.TrimPrefix(digestA, "sha256:")},
		Engine:     record.Engine{Endpoint: record.Endpoint{Backend: "dagger", Address: "tcp://user:pw@engine.example:1234", Version: "v0.19.10"}},
		Tasks: []record.Task{
			{Name: "test", Status: record.StatusSucceeded, StartedAt: t0, FinishedAt: t0.Add(30 * time.Second), DurationMS: 30000,
				Image: img, Command: []string{"go", "test", "./..."}, Workdir: "/src", EnvKeys: []string{"GOFLAGS"},
				Caches:    []record.CacheUse{{Name: "gomod", Volume: "trusted/main/gomod", Path: "/go/pkg/mod", Sharing: "shared", Mode: "rw"}},
				DependsOn: []string{}, Log: "logs/test.log", LogSHA256: strings.TrimPrefix(digestB, "sha256:")},
			{Name: "build", Status: record.StatusSucceeded, StartedAt: t0.Add(30 * time.Second), FinishedAt: t0.Add(60 * time.Second), DurationMS: 30000,
				From: "test", Command: []string{"sh", "-c", "go build -o /out/hello . && echo 'done'"},
				Caches:    []record.CacheUse{{Name: "gobuild", Volume: "trusted/main/gobuild", Path: "/root/.cache/go-build", Mode: "snapshot"}},
				DependsOn: []string{"test"}},
			{Name: "lint", Status: record.StatusFailed, ExitCode: 1, StartedAt: t0.Add(60 * time.Second), FinishedAt: t0.Add(90 * time.Second), DurationMS: 30000,
				Image: img, Command: []string{"golangci-lint", "run"}, DependsOn: []string{}, Error: "exit 1: " + secretSentinel},
		},
		Images:  []record.Image{{Name: "go", Ref: "golang:1.25-alpine@" + digestB, Digest: digestB}},
		Modules: []record.Module{{Name: "go", Source: "github.com/dagger/go@v0.1.0", Pin: commitA}, {Name: "ci", Source: "./ci"}},
	}
}

// fixtureRunDir writes the outputs of fixtureRun: a file and a directory.
func fixtureRunDir(t *testing.T) (string, *record.Run) {
	t.Helper()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "outputs", "build", "hello.txt"), []byte("hello\n"))
	writeFile(t, filepath.Join(dir, "outputs", "build", "dist", "a.txt"), []byte("a\n"))
	writeFile(t, filepath.Join(dir, "outputs", "build", "dist", "sub", "b.txt"), []byte("b\n"))
	run := fixtureRun()
	run.Outputs = []record.Output{
		outputFor(t, dir, "build", "/out/hello.txt", "outputs/build/hello.txt"),
		{Task: "build", Path: "/out/dist", File: "outputs/build/dist", Type: "directory"},
	}
	return dir, run
}

func TestForRunGolden(t *testing.T) {
	t.Parallel()
	dir, run := fixtureRunDir(t)
	bom, err := ForRun(context.Background(), run, dir, nil, Options{ToolVersion: "v0.0.0-test"})
	if err != nil {
		t.Fatal(err)
	}
	if bom.SerialNumber != derivedSerial(run.ID) || bom.Metadata.Timestamp != "2026-11-22T09:01:30Z" {
		t.Errorf("serial %s timestamp %s: want them derived from the run", bom.SerialNumber, bom.Metadata.Timestamp)
	}
	js := encode(t, bom, cdx.SpecVersion1_6)
	golden(t, "run.cdx.json", normalise(t, js))
	golden(t, "run-1.5.cdx.json", normalise(t, encode(t, bom, cdx.SpecVersion1_5)))
	var xml bytes.Buffer
	if err := Write(&xml, bom, FormatXML, cdx.SpecVersion1_6); err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"json": js, "xml": xml.Bytes()} {
		for _, leak := range []string{secretSentinel, "pw@", "user:pw"} {
			if bytes.Contains(data, []byte(leak)) {
				t.Errorf("%s BOM contains %q", name, leak)
			}
		}
	}
}

func TestForRunContent(t *testing.T) {
	t.Parallel()
	dir, run := fixtureRunDir(t)
	served := true
	run.Tasks[0].Cached = &served
	bom, err := ForRun(context.Background(), run, dir, nil, fixedOpts)
	if err != nil {
		t.Fatal(err)
	}
	comps := componentsByRef(bom)
	hello := comps["output:outputs/build/hello.txt"]
	wantHashes := []cdx.Hash{
		{Algorithm: cdx.HashAlgoSHA256, Value: "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03"},
		{Algorithm: cdx.HashAlgoSHA512, Value: "e7c22b994c59d9cf2b48e549b1e24666636045930d3da7c1acb299d1c3b7f931f94aae41edda2c2b207a36e10f8bcb8d45223e54878f5b316e7ce3b6bc019629"},
	}
	if hello.Hashes == nil || !cmp.Equal(*hello.Hashes, wantHashes) {
		t.Errorf("hello.txt hashes = %v", hello.Hashes)
	}
	// SkipSHA512 keeps SHA-256 (still checked against run.json) only.
	skip := fixedOpts
	skip.SkipSHA512 = true
	bom256, err := ForRun(context.Background(), run, dir, nil, skip)
	if err != nil {
		t.Fatal(err)
	}
	if h := componentsByRef(bom256)["output:outputs/build/hello.txt"].Hashes; h == nil || !cmp.Equal(*h, wantHashes[:1]) {
		t.Errorf("hello.txt hashes with SkipSHA512 = %v, want %v", h, wantHashes[:1])
	}
	if _, ok := comps["output:outputs/build/dist/sub/b.txt"]; !ok {
		t.Errorf("file in output directory missing")
	}
	for _, want := range []string{"output:outputs/build/hello.txt", "output:outputs/build/dist", "module:local:ci",
		"module:pkg:github/dagger/go@" + commitA, "image:docker.io/library/golang:1.25-alpine@" + digestB} {
		if !contains(dependsOn(bom, refPipeline), want) {
			t.Errorf("pipeline does not depend on %s: %v", want, dependsOn(bom, refPipeline))
		}
	}
	tools := *bom.Metadata.Tools.Components
	if len(tools) != 2 || tools[1].Name != "dagger-engine" || tools[1].Version != "v0.19.10" {
		t.Errorf("tools = %+v", tools)
	}
	f := (*bom.Formulation)[0]
	if f.Components == nil || (*f.Components)[0].Type != cdx.ComponentTypePlatform {
		t.Errorf("formulation has no platform component: %+v", f.Components)
	}
	wf := (*f.Workflows)[0]
	tasks := *wf.Tasks
	if len(tasks) != 3 {
		t.Fatalf("%d tasks", len(tasks))
	}
	test, build, lint := tasks[0], tasks[1], tasks[2]
	// The exec cache state is a task property only when run.json says it.
	if got := taskProp(test, "pinline:task:exec-cached"); got != "true" {
		t.Errorf("test exec-cached = %q, want true", got)
	}
	if got := taskProp(build, "pinline:task:exec-cached"); got != "<none>" {
		t.Errorf("build exec-cached = %q, want no property", got)
	}
	if got := (*(*test.Steps)[0].Commands)[0].Executed; got != "go test ./..." {
		t.Errorf("test command = %q", got)
	}
	if got := (*(*build.Steps)[0].Commands)[0].Executed; got != `sh -c 'go build -o /out/hello . && echo '"'"'done'"'"''` {
		t.Errorf("build command = %q", got)
	}
	if test.TimeStart != "2026-11-22T09:00:00Z" || test.TimeEnd != "2026-11-22T09:00:30Z" {
		t.Errorf("test times %s %s", test.TimeStart, test.TimeEnd)
	}
	ws := (*test.Workspaces)[0]
	if ws.Name != "gomod" || ws.AccessMode != cdx.TaskWorkspaceAccessModeReadWrite || ws.MountPath != "/go/pkg/mod" {
		t.Errorf("test workspace = %+v", ws)
	}
	if ws := (*build.Workspaces)[0]; ws.AccessMode != cdx.TaskWorkspaceAccessModeReadOnly {
		t.Errorf("snapshot cache is %s, want read-only", ws.AccessMode)
	}
	stepProps := map[string]string{}
	for _, p := range *(*lint.Steps)[0].Properties {
		stepProps[p.Name] = p.Value
	}
	if stepProps["pinline:task:exit-code"] != "1" || stepProps["pinline:task:image-digest"] != digestB {
		t.Errorf("lint step properties = %v", stepProps)
	}
	var buildDeps []string
	for _, d := range *wf.TaskDependencies {
		if d.Ref == build.BOMRef {
			buildDeps = *d.Dependencies
		}
	}
	if !cmp.Equal(buildDeps, []string{test.BOMRef}) {
		t.Errorf("build task deps = %v", buildDeps)
	}
	if build.Outputs == nil || len(*build.Outputs) != 2 {
		t.Errorf("build outputs = %+v", build.Outputs)
	}
}

func TestForRunRejects(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tests := []struct {
		name   string
		mutate func(dir string, run *record.Run)
		want   string
		is     error
	}{
		{"tampered output", func(dir string, _ *record.Run) {
			writeFile(t, filepath.Join(dir, "outputs", "build", "hello.txt"), []byte("HELLO\n"))
		}, "run record says", ErrDigestMismatch},
		{"missing output", func(dir string, _ *record.Run) {
			os.Remove(filepath.Join(dir, "outputs", "build", "hello.txt"))
		}, "no such file", nil},
		{"escaping path", func(_ string, run *record.Run) { run.Outputs[0].File = "../../etc/passwd" }, "neither inside the run directory", nil},
		{"empty path", func(_ string, run *record.Run) { run.Outputs[0].File = "" }, "neither inside the run directory", nil},
		{"absolute path, wrong digest", func(_ string, run *record.Run) { run.Outputs[0].File = "/etc/hostname" }, "run record says", ErrDigestMismatch},
		{"symlink output", func(dir string, run *record.Run) {
			if err := os.Symlink("/etc/passwd", filepath.Join(dir, "outputs", "link")); err != nil {
				t.Fatal(err)
			}
			run.Outputs[0].File, run.Outputs[0].SHA256 = "outputs/link", ""
		}, "not a regular file", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir, run := fixtureRunDir(t)
			tc.mutate(dir, run)
			_, err := ForRun(ctx, run, dir, nil, fixedOpts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("err = %v, want errors.Is %v", err, tc.is)
			}
		})
	}
	if _, err := ForRun(ctx, nil, "", nil, fixedOpts); err == nil {
		t.Error("nil run accepted")
	}
}

// TestForRunAbsoluteOutput covers outputs exported to a host path the spec
// declared: run.json names them by absolute path.
func TestForRunAbsoluteOutput(t *testing.T) {
	t.Parallel()
	dir, run := fixtureRunDir(t)
	host := filepath.Join(t.TempDir(), "dist", "hello.txt")
	writeFile(t, host, []byte("hello\n"))
	run.Outputs[0].File = host
	bom, err := ForRun(context.Background(), run, dir, nil, fixedOpts)
	if err != nil {
		t.Fatal(err)
	}
	c, ok := componentsByRef(bom)["output:"+host]
	if !ok || c.Hashes == nil || len(*c.Hashes) != 2 {
		t.Fatalf("absolute output = %+v", c)
	}
}

// TestForRunPartialRecord covers a run record naming tasks that are not in
// it (a task filtered out with TASK arguments): no dangling references.
func TestForRunPartialRecord(t *testing.T) {
	t.Parallel()
	dir, run := fixtureRunDir(t)
	run.Tasks[1].DependsOn = []string{"test", "test", "generate"}
	run.Tasks[1].From = "generate"
	run.Requested = []string{"build"}
	bom, err := ForRun(context.Background(), run, dir, nil, fixedOpts)
	if err != nil {
		t.Fatal(err)
	}
	encode(t, bom, cdx.SpecVersion1_6) // checks every reference resolves
}

func TestForRunWithInventory(t *testing.T) {
	t.Parallel()
	dir, run := fixtureRunDir(t)
	inv := fixtureInventory()
	// The spec's secrets and environment values must not reach the BOM.
	inv.Specs[0].Spec.Tasks = []spec.Task{{Name: "build", Env: map[string]string{"GOFLAGS": "env-" + secretSentinel},
		Secrets: []spec.Secret{{Name: "TOKEN_" + secretSentinel, Env: "TOKEN", Value: secretSentinel}}}}
	bom, err := ForRun(context.Background(), run, dir, inv, fixedOpts)
	if err != nil {
		t.Fatal(err)
	}
	js := encode(t, bom, cdx.SpecVersion1_6)
	var xml bytes.Buffer
	if err := Write(&xml, bom, FormatXML, cdx.SpecVersion1_6); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(js, []byte(secretSentinel)) || bytes.Contains(xml.Bytes(), []byte(secretSentinel)) {
		t.Error("a secret name or an environment value of the spec reached the BOM")
	}
	comps := componentsByRef(bom)
	// The spec image and the image the run used are one component.
	n := 0
	for _, c := range comps {
		if strings.Contains(c.Name, "library/golang") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d golang components, want 1", n)
	}
	if bom.Metadata.Component.Name != "hello" || bom.Metadata.Component.Version != commitA {
		t.Errorf("pipeline = %s@%s", bom.Metadata.Component.Name, bom.Metadata.Component.Version)
	}
}

// taskProp is the value of a formulation task's property, or "<none>".
func taskProp(t cdx.Task, name string) string {
	if t.Properties != nil {
		for _, p := range *t.Properties {
			if p.Name == name {
				return p.Value
			}
		}
	}
	return "<none>"
}

// Outputs are hashed once, by the exporter: when run.json carries both
// digests (a file's, and each file of a directory's), the SBOM takes them
// from the record and does not read the outputs again. Proved by records
// whose digests are not the files' current content: they appear as
// recorded, with no mismatch error (a re-read would have found one).
func TestForRunTakesRecordedDigests(t *testing.T) {
	t.Parallel()
	dir, run := fixtureRunDir(t)
	h256 := strings.Repeat("a", 64)
	h512 := strings.Repeat("b", 128)
	run.Outputs[0].SHA256, run.Outputs[0].SHA512, run.Outputs[0].Size = h256, h512, 6
	run.Outputs[1].Files = []record.OutputFile{
		{Path: "a.txt", Size: 2, SHA256: strings.Repeat("c", 64), SHA512: strings.Repeat("d", 128)},
		{Path: "sub/b.txt", Size: 2, SHA256: strings.Repeat("e", 64), SHA512: strings.Repeat("f", 128)},
	}
	bom, err := ForRun(context.Background(), run, dir, nil, fixedOpts)
	if err != nil {
		t.Fatal(err)
	}
	comps := componentsByRef(bom)
	for ref, want := range map[string][]cdx.Hash{
		"output:outputs/build/hello.txt":      {{Algorithm: cdx.HashAlgoSHA256, Value: h256}, {Algorithm: cdx.HashAlgoSHA512, Value: h512}},
		"output:outputs/build/dist/a.txt":     {{Algorithm: cdx.HashAlgoSHA256, Value: strings.Repeat("c", 64)}, {Algorithm: cdx.HashAlgoSHA512, Value: strings.Repeat("d", 128)}},
		"output:outputs/build/dist/sub/b.txt": {{Algorithm: cdx.HashAlgoSHA256, Value: strings.Repeat("e", 64)}, {Algorithm: cdx.HashAlgoSHA512, Value: strings.Repeat("f", 128)}},
	} {
		c, ok := comps[ref]
		if !ok || c.Hashes == nil || !cmp.Equal(*c.Hashes, want) {
			t.Errorf("%s hashes = %v, want the recorded %v", ref, c.Hashes, want)
		}
	}
	// A recorded file name that leaves its directory is refused.
	run.Outputs[1].Files[0].Path = "../../../etc/passwd"
	if _, err := ForRun(context.Background(), run, dir, nil, fixedOpts); err == nil || !strings.Contains(err.Error(), "not inside the directory") {
		t.Errorf("escaping file name: %v", err)
	}
}
