package report

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/pinline/pinline/record"
)

func newRunReport(dir string, run *record.Run) *RunReport {
	rr := &RunReport{
		Dir:        dir,
		ID:         run.ID,
		Status:     run.Status,
		Error:      run.Error,
		StartedAt:  run.StartedAt.UTC(),
		FinishedAt: run.FinishedAt.UTC(),
		User:       run.Who.User,
		Host:       run.Who.Host,
		Identity:   run.Who.Identity,
		Tier:       run.Tier,
		BuilderID:  run.BuilderID,
		CacheMode:  run.CacheMode,
		Engine:     EngineInfo{Endpoint: run.Engine.Endpoint},
		Repository: run.Repository.Source,
		Tasks:      []TaskInfo{},
		Problems:   []string{},
	}
	if run.Engine.NativeTLS != "" {
		rr.Engine.Unauthorized = nativeNote(run)
	}
	if !run.FinishedAt.IsZero() && !run.StartedAt.IsZero() {
		rr.DurationMS = run.FinishedAt.Sub(run.StartedAt).Milliseconds()
	}
	if run.Schema != "" && run.Schema != record.SchemaVersion {
		rr.Problems = append(rr.Problems, fmt.Sprintf("run.json: unknown schema %q", run.Schema))
	}
	for _, t := range run.Tasks {
		ti := TaskInfo{
			Name: t.Name, Status: t.Status, ExitCode: t.ExitCode,
			StartedAt: t.StartedAt.UTC(), DurationMS: t.DurationMS, Image: t.Image,
			Caches: []string{}, Cached: t.Cached,
		}
		if !t.StartedAt.IsZero() && !run.StartedAt.IsZero() {
			ti.OffsetMS = t.StartedAt.Sub(run.StartedAt).Milliseconds()
		}
		for _, c := range t.Caches {
			mode := c.Mode
			if mode == "" {
				mode = "rw"
			}
			ti.Caches = append(ti.Caches, fmt.Sprintf("%s (%s)", c.Name, mode))
		}
		rr.Tasks = append(rr.Tasks, ti)
	}
	rr.UnpinnedModules, rr.UndigestedImages = []string{}, []string{}
	for _, m := range run.Modules {
		if m.Pin == "" {
			rr.UnpinnedModules = append(rr.UnpinnedModules, first(m.Source, m.Name))
		}
	}
	for _, im := range run.Images {
		if im.Digest == "" && !strings.Contains(im.Ref, "@sha256:") {
			rr.UndigestedImages = append(rr.UndigestedImages, first(im.Ref, im.Name))
		}
	}
	sort.SliceStable(rr.Tasks, func(i, j int) bool { return rr.Tasks[i].OffsetMS < rr.Tasks[j].OffsetMS })
	return rr
}

// readDecision reads decision.json (record.ReadDecision), falling back to
// the run.json summary when it is missing.
func readDecision(dir string, run *record.Run, problems *[]string) PolicyInfo {
	pi := PolicyInfo{
		Source: "none", Allow: run.Decision.Allow,
		InputSHA256: run.Decision.InputSHA256, BundleSHA256: run.Decision.BundleSHA256,
		Violations: []Finding{}, Warnings: []Finding{}, Waived: []Finding{},
		WaivedCount: run.Decision.Waived,
	}
	d, err := record.ReadDecision(dir)
	if errors.Is(err, os.ErrNotExist) {
		if run.Decision != (record.DecisionRef{}) {
			pi.Source = "run.json"
		}
		if run.Decision.Violations > 0 {
			*problems = append(*problems, fmt.Sprintf("decision.json missing; run.json counts %d violations", run.Decision.Violations))
		}
		return pi
	}
	if err != nil {
		*problems = append(*problems, fmt.Sprintf("%s: %v", record.DecisionFile, strings.TrimPrefix(err.Error(), filepath.Join(dir, record.DecisionFile)+": ")))
		return pi
	}
	pi.Source = record.DecisionFile
	ref := d.Ref() // Allow only without violations (fail closed)
	pi.Allow = ref.Allow
	pi.InputSHA256 = first(ref.InputSHA256, pi.InputSHA256)
	pi.BundleSHA256 = first(ref.BundleSHA256, pi.BundleSHA256)
	pi.Violations = findingsOf(d.Violations)
	pi.Warnings = findingsOf(d.Warnings)
	pi.Waived, pi.WaivedCount = waivedOf(d.Waived), len(d.Waived)
	if pi.Allow != run.Decision.Allow && run.Decision != (record.DecisionRef{}) {
		*problems = append(*problems, "decision.json and run.json disagree on allow")
	}
	if d.Allow && len(d.Violations) > 0 {
		*problems = append(*problems, "decision.json allows with unwaived violations; treated as deny")
	}
	return pi
}

// nativeNote says what an engine-native run's engine did not check.
func nativeNote(run *record.Run) string {
	return fmt.Sprintf("engine-native TLS to %s: the engine accepted the client certificate but did not authorize identity %q; tier %q is unverified",
		run.Engine.NativeTLS, run.Who.Identity, run.Tier)
}
