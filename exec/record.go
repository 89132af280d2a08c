package exec

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"time"

	engineconfig "github.com/pinline/pinline/engine-config"
	"github.com/pinline/pinline/pipeline"
	"github.com/pinline/pinline/record"
)

// RecordInfo is what the caller adds to a run record: the run's id (default
// a new one), who ran it, the directory it ran in, and when.
type RecordInfo struct {
	ID                    string
	Who                   record.Who
	Root                  string
	StartedAt, FinishedAt time.Time
	// Err is the error Batch (or Run, Matrix) returned, if any: the record
	// then says the run failed and why.
	Err error
}

// Record is the run record of one exec, batch or matrix: one task per
// snippet (in job order, named snippet-1, snippet-2, ...) with its preset,
// image digest, result and cache state. It never holds a snippet's source,
// output or error stream: the source's SHA-256 and size and the kept
// output's sizes only; a failure is described by its kind (timed out,
// compile error, setup failed, not run), not by the snippet's words.
func Record(o Options, jobs []Job, rs []Result, info RecordInfo) *record.Run {
	o.defaults()
	rec := &record.Run{
		Schema: record.SchemaVersion, ID: info.ID, Status: record.StatusSucceeded,
		StartedAt: info.StartedAt.UTC(), FinishedAt: info.FinishedAt.UTC(),
		Who: info.Who, Tier: o.Tier, Repository: record.Repository{Root: info.Root},
		Engine:    record.Engine{Endpoint: record.Endpoint{Backend: "dagger", Address: o.Engine.Address, Gateway: o.Engine.Gateway}},
		Requested: []string{}, Tasks: []record.Task{}, Outputs: []record.Output{}, Images: []record.Image{}, Modules: []record.Module{},
	}
	if rec.ID == "" {
		rec.ID = pipeline.NewRunID(info.StartedAt.UTC())
	}
	if info.Err != nil {
		rec.Status, rec.Error = record.StatusFailed, info.Err.Error()
	}
	seen := map[string]bool{}
	for i, j := range jobs {
		var r Result
		if i < len(rs) {
			r = rs[i]
		} else {
			r = failed(j.Lang, "", "not run")
		}
		sum := sha256.Sum256([]byte(j.Code))
		timeout := o.Timeout
		if j.Timeout > 0 {
			timeout = j.Timeout
		}
		t := record.Task{
			Name: fmt.Sprintf("snippet-%d", i+1), ExitCode: r.ExitCode, DurationMS: r.ExecutionTime,
			Image: r.Image, Workdir: Workdir, Caches: []record.CacheUse{}, DependsOn: []string{}, Command: []string{},
			Snippet: &record.Snippet{
				Preset: r.Preset, Digest: refDigest(r.Image), CodeSHA256: hex.EncodeToString(sum[:]), CodeBytes: len(j.Code),
				Packages: r.installed, TimeoutMS: timeout.Milliseconds(), Success: r.Success, TimedOut: r.TimedOut,
				Truncated: r.Truncated, CompileError: r.CompileError, OutputBytes: len(r.Output), ErrorBytes: len(r.Error),
			},
		}
		if !r.started.IsZero() {
			t.StartedAt = r.started.UTC()
			t.FinishedAt = t.StartedAt.Add(time.Duration(r.ExecutionTime) * time.Millisecond)
		}
		if r.ran {
			t.Cached = &r.Cached
		}
		if p, err := o.preset(j.Lang); err == nil {
			t.Command = slices.Clone(p.Run)
			t.EnvKeys = slices.Sorted(maps.Keys(p.Env))
			for _, name := range slices.Sorted(maps.Keys(p.Caches)) {
				vol, _ := engineconfig.CacheVolume(o.Tier, o.Scope, name)
				t.Caches = append(t.Caches, record.CacheUse{Name: name, Volume: vol, Path: p.Caches[name], Sharing: "private", Mode: "rw"})
			}
		}
		switch {
		case r.Success:
			t.Status = record.StatusSucceeded
		case r.TimedOut:
			t.Status, t.Error = record.StatusTimedOut, fmt.Sprintf("timed out after %s", timeout)
		case r.CompileError:
			t.Status, t.Error = record.StatusFailed, "compile error"
		case r.setupFailed:
			t.Status, t.Error = record.StatusFailed, "setup failed (package install)"
		case !r.ran:
			t.Status, t.Error = record.StatusFailed, "not run"
		default:
			t.Status, t.Error = record.StatusFailed, fmt.Sprintf("exit code %d", r.ExitCode)
		}
		if t.Status != record.StatusSucceeded && rec.Status == record.StatusSucceeded {
			rec.Status = record.StatusFailed
		}
		rec.Tasks = append(rec.Tasks, t)
		if r.Image != "" && !seen[r.Image] {
			seen[r.Image] = true
			rec.Images = append(rec.Images, record.Image{Name: r.Preset, Ref: r.Image, Digest: refDigest(r.Image)})
		}
	}
	return rec
}

func refDigest(ref string) string {
	if i := len(ref) - len("sha256:") - 64; i > 0 && ref[i-1] == '@' {
		return ref[i:]
	}
	return ""
}
