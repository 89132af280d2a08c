package report

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pinline/pinline/policy"
	"github.com/pinline/pinline/record"
)

var update = flag.Bool("update", false, "rewrite golden files and fixture runs")

// fixtureBase is the start time of the first fixture run.
var fixtureBase = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)

// fixtureNow is the report time used by golden tests.
var fixtureNow = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

// runSpec describes one generated run directory.
type runSpec struct {
	id       string
	day      int // days after fixtureBase
	status   string
	tier     string
	host     bool   // engine backend "host" instead of dagger behind a gateway
	failTask bool   // the second task exits 2
	deny     bool   // the gate denied: no tasks, no SBOM, no provenance
	unsigned bool   // provenance without signatures
	tamper   bool   // provenance payload changed after signing
	waiver   string // expiry of a waiver, "" for none
	floating bool   // an image without digest and an unpinned module
	corrupt  bool   // run.json is not JSON
}

func fixtureSpecs() []runSpec {
	return []runSpec{
		{id: "20261102T090000Z-a1b2c3", day: 0, status: record.StatusSucceeded, tier: "trusted", waiver: "2026-12-31"},
		{id: "20261103T090000Z-b2c3d4", day: 1, status: record.StatusFailed, tier: "untrusted", failTask: true, floating: true, waiver: "2026-11-15"},
		{id: "20261104T090000Z-c3d4e5", day: 2, status: record.StatusDenied, tier: "untrusted", deny: true, floating: true},
		{id: "20261105T090000Z-d4e5f6", day: 3, status: record.StatusSucceeded, tier: "trusted", tamper: true},
		{id: "20261106T090000Z-e5f6a7", day: 4, status: record.StatusSucceeded, tier: "local", host: true, unsigned: true},
		{id: "20261107T090000Z-f6a7b8", day: 5, corrupt: true},
	}
}

func newKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func sha(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

func writeJSON(t testing.TB, path string, v any) []byte {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	b = append(b, '\n')
	writeFile(t, path, b)
	return b
}

func writeFile(t testing.TB, path string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

const (
	goImage  = "docker.io/library/golang:1.26@sha256:4f1a3c0b9e2d8a7c6b5e4d3c2b1a09f8e7d6c5b4a3928170f6e5d4c3b2a19080"
	alpine   = "docker.io/library/alpine:3.22@sha256:8a9b0c1d2e3f405162738495a6b7c8d9e0f1a2b3c4d5e6f708192a3b4c5d6e7f"
	floating = "docker.io/library/node:22"
)

// writeRun writes one realistic run directory under root.
func writeRun(t testing.TB, root string, rs runSpec, key *ecdsaKey) {
	t.Helper()
	dir := filepath.Join(root, rs.id)
	if rs.corrupt {
		writeFile(t, filepath.Join(dir, record.RunFile), []byte("{\n  \"schema\": \"https://pinline.dev/run/v1\",\n  \"id\": \""+rs.id+"\",\n  \"status\": succeeded\n}\n"))
		return
	}
	start := fixtureBase.Add(time.Duration(rs.day) * 24 * time.Hour)
	run := record.Run{
		Schema: record.SchemaVersion, ID: rs.id, Status: rs.status, StartedAt: start,
		Who:  record.Who{User: "ci", Host: "runner-7"},
		Tier: rs.tier, CacheMode: "rw",
		Repository: record.Repository{Root: "/src/shop", Source: record.Source{URI: "https://git.example.test/acme/shop", Commit: "9c1e5b7d2a4f6e8c0b1d3f5a7c9e1b3d5f7a9c0e"}},
		Spec:       record.SpecRef{Path: "pinline.yaml", SHA256: sha([]byte(rs.id))},
		Engine:     record.Engine{Endpoint: record.Endpoint{Backend: "dagger", Address: "unix:///run/pinline/fwd.sock", Version: "v0.19.10", Gateway: "gw.build.example.test:8443"}},
		Requested:  []string{},
		Images: []record.Image{
			{Name: "go", Ref: goImage, Digest: goImage[len(goImage)-71:]},
			{Name: "alpine", Ref: alpine, Digest: alpine[len(alpine)-71:]},
		},
		Modules: []record.Module{{Name: "lint", Source: "github.com/acme/daggerverse/lint", Pin: "2b7f0d9e4c1a3b5d7f9e1c3a5b7d9f1e3c5a7b9d"}},
		Tasks:   []record.Task{}, Outputs: []record.Output{},
	}
	if rs.tier != "" {
		run.BuilderID = "https://pinline.dev/builders/" + rs.tier
		run.Who.Identity = "spiffe://example.test/ci/" + rs.tier
		run.Who.Fingerprint = "sha256:" + sha([]byte(rs.tier))[:32]
	}
	if rs.tier == "untrusted" {
		run.CacheMode = "snapshot"
	}
	if rs.host {
		run.Engine = record.Engine{Endpoint: record.Endpoint{Backend: "host"}}
		run.BuilderID = "https://pinline.dev/builders/local"
	}
	if rs.floating {
		run.Images = append(run.Images, record.Image{Name: "node", Ref: floating})
		run.Modules = append(run.Modules, record.Module{Name: "deploy", Source: "github.com/acme/daggerverse/deploy@main"})
	}
	// decision.json is a record.Decision written by record.WriteDecision,
	// as pipeline.Run writes it (both gates; digests "sha256:<hex>").
	dec := &record.Decision{
		Allow: !rs.deny, Gates: []string{"builtin", "policy"},
		InputDigest: "sha256:" + sha([]byte("input"+rs.id)), BundleDigest: "sha256:" + sha([]byte("policy-bundle-v3")),
	}
	if rs.deny {
		dec.Violations = []record.Finding{
			{RuleID: "PL001", Severity: policy.SeverityDeny, Message: `image "docker.io/library/node:22" is not pinned by digest`, Source: "default", Pos: record.Pos{File: "pinline.yaml", Line: 14, Column: 12}},
			{RuleID: "PL004", Severity: policy.SeverityDeny, Message: `module source "github.com/acme/daggerverse/deploy@main" has no pin`, Source: "default", Pos: record.Pos{File: "dagger.json", Line: 9, Column: 7}},
		}
	}
	if rs.floating && !rs.deny {
		dec.Warnings = []record.Finding{{RuleID: "PL010", Severity: policy.SeverityWarn, Message: "cache \"gomod\" shared read-write across tasks", Source: "default", Pos: record.Pos{File: "pinline.yaml", Line: 22}}}
	}
	if rs.waiver != "" {
		dec.Waived = []record.WaivedFinding{{
			Finding: record.Finding{RuleID: "PL002", Severity: policy.SeverityDeny, Message: `registry "ghcr.io" is not on the allowlist`, Source: "default", Pos: record.Pos{File: "pinline.yaml", Line: 8, Column: 5}},
			Waiver:  record.Waiver{Rule: "PL002", Path: "pinline.yaml", Expires: rs.waiver, Reason: "migration to the internal mirror, ticket SEC-412", Pos: record.Pos{File: ".pinline/policy.yaml", Line: 3, Column: 5}},
		}}
	}
	if rs.host {
		dec.Warnings = append(dec.Warnings, record.Finding{RuleID: "PL009", Severity: policy.SeverityWarn, Message: `cache "gobuild" is shared read-write by build and test`, Source: "default", Pos: record.Pos{File: "pinline.yaml", Line: 31, Column: 9}})
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := record.WriteDecision(openRoot(t, dir), dec); err != nil {
		t.Fatal(err)
	}
	run.Decision = dec.Ref()
	if rs.deny {
		run.Error = "policy denied: 2 violations"
		run.FinishedAt = start.Add(800 * time.Millisecond)
		writeJSON(t, filepath.Join(dir, record.RunFile), run)
		return
	}
	// Tasks: deps -> build -> test (test fails when failTask).
	at := start.Add(1200 * time.Millisecond)
	tasks := []struct {
		name, image string
		dur         time.Duration
		cache       string
		out         string
	}{
		{"deps", goImage, 14 * time.Second, "gomod", ""},
		{"build", goImage, 41 * time.Second, "gobuild", "bin/shop"},
		{"test", goImage, 27 * time.Second, "gobuild", ""},
	}
	for i, tk := range tasks {
		task := record.Task{
			Name: tk.name, Status: record.StatusSucceeded, StartedAt: at, FinishedAt: at.Add(tk.dur), DurationMS: tk.dur.Milliseconds(),
			Image: tk.image, Command: []string{"go", tk.name}, Workdir: "/src", DependsOn: []string{},
			Caches: []record.CacheUse{{Name: tk.cache, Volume: rs.tier + "/shop/" + tk.cache, Path: "/root/.cache/" + tk.cache, Sharing: "shared", Mode: run.CacheMode}},
			Log:    "logs/" + tk.name + ".log",
		}
		if i > 0 {
			task.DependsOn = []string{tasks[i-1].name}
		}
		logb := []byte(fmt.Sprintf("+ go %s\nok  \tgit.example.test/acme/shop\t%.1fs\n", tk.name, tk.dur.Seconds()))
		if rs.failTask && tk.name == "test" {
			task.Status, task.ExitCode, task.Error = record.StatusFailed, 2, "exit code 2"
			logb = []byte("+ go test\n--- FAIL: TestCheckout (0.02s)\nFAIL\n")
		}
		task.LogSHA256 = sha(logb)
		writeFile(t, filepath.Join(dir, task.Log), logb)
		if tk.out != "" {
			content := []byte("ELF binary of " + rs.id)
			run.Outputs = append(run.Outputs, record.Output{Task: tk.name, Path: "/src/" + tk.out, File: "outputs/" + tk.out, Type: "file", Size: int64(len(content)), SHA256: sha(content)})
		}
		run.Tasks = append(run.Tasks, task)
		at = at.Add(tk.dur + 300*time.Millisecond)
	}
	run.FinishedAt = at
	if rs.failTask {
		run.Error = `task "test" failed: exit code 2`
	}
	sbomb := writeSBOM(t, filepath.Join(dir, record.SBOMFile), &run)
	run.Evidence = record.Evidence{SBOM: record.SBOMFile, SBOMSHA256: sha(sbomb)}
	if rs.status == record.StatusSucceeded {
		provb := writeProvenance(t, dir, &run, rs, key)
		run.Evidence.Provenance, run.Evidence.Bundle = record.ProvenanceFile, record.BundleFile
		run.Evidence.ProvenanceSHA256 = sha(provb)
		run.Evidence.Signed = !rs.unsigned
		if !rs.unsigned {
			run.Evidence.KeyRef = "cosign.key"
		}
	}
	writeJSON(t, filepath.Join(dir, record.RunFile), run)
}

type ecdsaKey = ecdsa.PrivateKey
