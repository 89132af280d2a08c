package report

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/pinline/pinline/record"
	"golang.org/x/sync/errgroup"
)

// Options say which runs to read and how.
type Options struct {
	// RunsDir holds one directory per run (.pinline/runs).
	RunsDir string
	// Since drops runs started before it (zero: keep all).
	Since time.Time
	// Verifiers re-check provenance signatures (attest.LoadVerifiers);
	// none means "not checked".
	Verifiers []Verifier
	// Now is the report time (waiver expiry); zero means time.Now().
	Now time.Time
	// Progress, when set, is called after each run directory is read.
	Progress func(done, total int)
	// Workers bounds parallel reads; zero means GOMAXPROCS.
	Workers int
}

// Build reads every run under opts.RunsDir and aggregates the report.
// Unreadable runs are listed in Report.Errors, never fatal; only a missing
// runs directory is an error.
func Build(ctx context.Context, opts Options) (*Report, error) {
	if opts.Now.IsZero() {
		opts.Now = time.Now().UTC()
	}
	dirs, err := record.RunDirs(opts.RunsDir)
	if err != nil {
		return nil, err
	}
	type result struct {
		run  *RunReport
		lerr *LoadError
	}
	results := make([]result, len(dirs))
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	var (
		g    errgroup.Group
		mu   sync.Mutex
		done int
	)
	g.SetLimit(workers)
	for i := range dirs {
		if ctx.Err() != nil {
			break
		}
		g.Go(func() error {
			rr, lerr := loadRun(ctx, dirs[i], opts)
			results[i] = result{rr, lerr}
			if opts.Progress != nil {
				mu.Lock()
				done++
				opts.Progress(done, len(dirs))
				mu.Unlock()
			}
			return nil // unreadable runs are listed, never fatal
		})
	}
	_ = g.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rep := &Report{
		Schema:      Schema,
		GeneratedAt: opts.Now,
		RunsDir:     opts.RunsDir,
		KeysChecked: len(opts.Verifiers),
		Runs:        []RunReport{},
		Errors:      []LoadError{},
	}
	if !opts.Since.IsZero() {
		s := opts.Since
		rep.Since = &s
	}
	for _, r := range results {
		switch {
		case r.lerr != nil:
			rep.Errors = append(rep.Errors, *r.lerr)
		case r.run != nil:
			rep.Runs = append(rep.Runs, *r.run)
		}
	}
	// Newest first; ties by id so the order is stable.
	sort.SliceStable(rep.Runs, func(i, j int) bool {
		a, b := rep.Runs[i], rep.Runs[j]
		if !a.StartedAt.Equal(b.StartedAt) {
			return a.StartedAt.After(b.StartedAt)
		}
		return a.ID < b.ID
	})
	rep.Summary = summarize(rep.Runs, opts.Now)
	return rep, nil
}

func loadRun(ctx context.Context, dir string, opts Options) (*RunReport, *LoadError) {
	run, err := record.ReadRun(dir)
	if err != nil {
		p := filepath.Join(dir, record.RunFile)
		msg := strings.TrimPrefix(err.Error(), p+": ")
		if errors.Is(err, os.ErrNotExist) {
			msg = "missing " + record.RunFile
		}
		return nil, &LoadError{Path: p, Error: msg}
	}
	if !opts.Since.IsZero() && run.StartedAt.Before(opts.Since) {
		return nil, nil
	}
	rr := newRunReport(dir, run)
	rr.Policy = readDecision(dir, run, &rr.Problems)
	rr.SBOM = readSBOM(filepath.Join(dir, run.SBOMName()))
	rr.Provenance = readProvenance(ctx, dir, run, opts.Verifiers, &rr.Problems)
	rr.SLSA = slsaChecklist(run, rr)
	return rr, nil
}
