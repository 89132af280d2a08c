package pipeline

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pinline/pinline/internal/testenv"
	"github.com/pinline/pinline/record"
	"github.com/pinline/pinline/spec"
)

// testEngine is the real engine the setup scripts started
// (hack/setup.d/30-engine.sh). Tests skip without it, except in CI.
type testEngine struct {
	sock, cli, busybox, goImage, script string
}

func needEngine(t *testing.T) testEngine {
	t.Helper()
	env := testenv.RequireAll(t, "hack/setup.d/30-engine.sh", "PINLINE_ENGINE_SOCK", "PINLINE_DAGGER_CLI", "PINLINE_IMAGE_BUSYBOX")
	return testEngine{
		sock:    env["PINLINE_ENGINE_SOCK"],
		cli:     env["PINLINE_DAGGER_CLI"],
		busybox: env["PINLINE_IMAGE_BUSYBOX"],
		goImage: os.Getenv("PINLINE_IMAGE_GO"),
		script:  os.Getenv("PINLINE_ENGINE_SCRIPT"),
	}
}

func (e testEngine) engine() Engine {
	return Engine{Address: "unix://" + e.sock, CLI: e.cli, Env: os.Environ(), ConnectTimeout: 60 * time.Second}
}

func nonce(t *testing.T) string {
	t.Helper()
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b[:])
}

// bbSpec is a spec over the busybox image; the spec file is written into
// root so that the record can digest it.
func (e testEngine) bbSpec(t *testing.T, root string, tasks ...spec.Task) *spec.Spec {
	t.Helper()
	// Not named pinline.yaml: the repository walk would parse the stub;
	// the gate evaluates the in-memory spec that runs.
	p := filepath.Join(root, "e2e.yaml")
	if err := os.WriteFile(p, []byte("# test spec\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return &spec.Spec{
		Path: p, Version: 1, Name: "e2e",
		Images:       map[string]spec.Image{"bb": {Name: "bb", Ref: e.busybox}},
		DefaultImage: "bb",
		Tasks:        tasks,
	}
}

func (e testEngine) options(t *testing.T, s *spec.Spec, root string) Options {
	t.Helper()
	return Options{
		Spec: s, Root: root, Tier: "test", Backend: BackendDagger, Engine: e.engine(),
		Gate: PolicyGate{}, LookupEnv: func(string) (string, bool) { return "", false },
	}
}

func readRun(t *testing.T, dir string) record.Run {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, record.RunFile))
	if err != nil {
		t.Fatal(err)
	}
	var r record.Run
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

func taskRec(t *testing.T, r record.Run, name string) record.Task {
	t.Helper()
	for _, tk := range r.Tasks {
		if tk.Name == name {
			return tk
		}
	}
	t.Fatalf("task %s not in record", name)
	return record.Task{}
}

func readLog(t *testing.T, dir, task string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, record.LogDir, task+".log"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// recordingAttester signs nothing; it records whether the pipeline asked
// for provenance (which it must only do for a succeeded run).
type recordingAttester struct {
	mu    sync.Mutex
	calls int
}

func (a *recordingAttester) Attest(_ context.Context, r *record.Run, _ string) (*Provenance, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.calls++
	b, _ := json.Marshal(map[string]any{"run": r.ID, "status": r.Status})
	return &Provenance{Envelope: b, KeyRef: "test"}, nil
}

// grepTree reports files under dir that contain s.
func grepTree(t *testing.T, dir, s string) []string {
	t.Helper()
	var hits []string
	_ = filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return nil
		}
		b, err := os.ReadFile(p)
		if err == nil && strings.Contains(string(b), s) {
			hits = append(hits, p)
		}
		return nil
	})
	return hits
}
