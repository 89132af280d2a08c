package exec

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pinline/pinline/pipeline"
	"github.com/pinline/pinline/record"
)

var update = flag.Bool("update", false, "rewrite golden files")

const img = "127.0.0.1:5123/pinline/exec-python:k@sha256:" + "ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12"

// TestRecord: the run record of a batch has one task per snippet with
// preset, image digest, status, exit code and cache state, in job order;
// it never holds the source, the output or the error stream (golden
// testdata/record.json), and it is what pipeline writes as run.json and
// record reads back.
func TestRecord(t *testing.T) {
	secret := "s3cr3t-in-the-snippet"
	o := Options{Presets: map[string]Preset{
		"python": {Image: img, File: "main.py", Run: []string{"python3", "main.py"}, Packages: "python",
			Env: map[string]string{"PYTHONUNBUFFERED": "1"}, Caches: map[string]string{"pip": "/home/runner/.cache/pip"}},
	}, Engine: pipeline.Engine{Address: "unix:///run/engine.sock"}}
	t0 := time.Date(2026, 12, 7, 1, 0, 0, 0, time.UTC)
	ok := true
	jobs := []Job{
		{Lang: "python", Code: "import yaml\nprint('" + secret + "')"},
		{Lang: "python", Code: "import time\ntime.sleep(60)", Timeout: 2 * time.Second},
		{Lang: "python", Code: "raise SystemExit(3)"},
		{Lang: "python", Code: "import nosuchthing"},
		{Lang: "nope", Code: "x"},
	}
	rs := []Result{
		{Success: true, Output: secret + "\n", ExitCode: 0, ExecutionTime: 1500, Cached: ok, Preset: "python", Image: img,
			installed: map[string]string{"yaml": "python3-yaml"}, started: t0, ran: true},
		{Error: "timed out after 2s", ExitCode: 124, TimedOut: true, ExecutionTime: 2100, Preset: "python", Image: img, started: t0, ran: true},
		{Error: "Traceback: " + secret, ExitCode: 3, ExecutionTime: 300, Preset: "python", Image: img, started: t0, ran: true, Truncated: true},
		{Error: "import \"nosuchthing\": Debian package python3-nosuchthing does not exist", ExitCode: -1, Preset: "python", Image: img,
			started: t0, ran: true, setupFailed: true, installed: map[string]string{"nosuchthing": "python3-nosuchthing"}},
		failed("nope", "", `unknown preset "nope"`),
	}
	rec := Record(o, jobs, rs, RecordInfo{ID: "20261207T010000Z-00000001", Who: record.Who{User: "u", Host: "h"}, Root: "/work/repo",
		StartedAt: t0, FinishedAt: t0.Add(5 * time.Second)})
	b, err := record.MarshalRun(rec)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), secret) || strings.Contains(string(b), "Traceback") || strings.Contains(string(b), "sleep") {
		t.Errorf("the record holds source or output:\n%s", b)
	}
	golden := filepath.Join("testdata", "record.json")
	if *update {
		if err := os.WriteFile(golden, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != string(want) {
		t.Errorf("record differs from %s (go test ./exec -run TestRecord -update):\n%s", golden, b)
	}
	if rec.Status != record.StatusFailed || len(rec.Tasks) != 5 || rec.Tasks[1].Status != record.StatusTimedOut ||
		rec.Tasks[0].Snippet.Digest != img[len(img)-71:] || *rec.Tasks[0].Cached != true || rec.Tasks[4].Cached != nil {
		t.Errorf("record: %+v", rec)
	}

	// Written where pipeline writes runs, read back by record.
	root := t.TempDir()
	dir, err := pipeline.WriteSnippetRecord(root, filepath.Join(root, ".pinline", "runs"), rec)
	if err != nil {
		t.Fatal(err)
	}
	back, err := record.ReadRun(dir)
	if err != nil || back.ID != rec.ID || len(back.Tasks) != 5 || back.Tasks[0].Snippet.Packages["yaml"] != "python3-yaml" {
		t.Errorf("read back: %+v %v", back, err)
	}
	runs, err := record.ListRuns(filepath.Join(root, ".pinline", "runs"))
	if err != nil || len(runs) != 1 {
		t.Errorf("ListRuns: %d runs, %v", len(runs), err)
	}

	// A run directory that leaves the root through a symlink is refused.
	evil := t.TempDir()
	if err := os.Symlink(evil, filepath.Join(root, "out")); err != nil {
		t.Fatal(err)
	}
	if _, err := pipeline.WriteSnippetRecord(root, filepath.Join(root, "out", "runs"), rec); err == nil {
		t.Error("a runs directory behind a symlink out of the root was accepted")
	}
	if ents, _ := os.ReadDir(evil); len(ents) != 0 {
		t.Errorf("wrote through the symlink: %v", ents)
	}
	// An engine that could not be reached: a failed record with the error.
	rec = Record(o, jobs[:1], nil, RecordInfo{StartedAt: t0, FinishedAt: t0, Err: errors.New("engine: unreachable")})
	if rec.Status != record.StatusFailed || rec.Error != "engine: unreachable" || !record.ValidRunID(rec.ID) ||
		len(rec.Tasks) != 1 || rec.Tasks[0].Error != "not run" {
		t.Errorf("unreachable: %+v", rec)
	}
}
