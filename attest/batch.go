package attest

import (
	"context"
	"fmt"
	"slices"
	"strconv"

	"golang.org/x/sync/errgroup"
)

// Report is the verdict on a set of attestations.
type Report struct {
	Verified     bool             `json:"verified"`
	Artifacts    []ArtifactResult `json:"artifacts"`
	Attestations []*Result        `json:"attestations"`
	Error        string           `json:"error,omitempty"`
}

// ArtifactResult says which attestations cover an artifact.
type ArtifactResult struct {
	Artifact
	CoveredBy []string `json:"coveredBy"`
}

// Verify checks every attestation (all must pass every check, and each must
// cover at least one artifact; a single attestation must cover all) and that
// every artifact is a subject of at least one of them. The returned error is the
// first failure; the report lists them all.
func Verify(ctx context.Context, o *VerifyOptions, atts []Attestation) (*Report, error) {
	rep := &Report{Attestations: make([]*Result, 0, len(atts))}
	if len(o.Artifacts) == 0 {
		return rep, fmt.Errorf("%w: no artifact or digest to verify", ErrBadInput)
	}
	if len(atts) == 0 {
		return rep, fmt.Errorf("%w: no attestations", ErrBadInput)
	}
	opts := *o
	opts.requireAll = len(atts) == 1
	opts.artIndex = make(map[string][]int, len(o.Artifacts))
	for i := range o.Artifacts {
		keys := o.Artifacts[i].keys()
		if len(keys) == 0 {
			return rep, fmt.Errorf("%w: artifact %q has no digest", ErrBadInput, o.Artifacts[i].Name)
		}
		for _, k := range keys {
			opts.artIndex[k] = append(opts.artIndex[k], i)
		}
	}
	rep.Attestations = rep.Attestations[:len(atts)]
	workers := min(o.Workers, len(atts))
	if workers < 1 {
		workers = 1
	}
	if workers == 1 {
		// Inline: no goroutine (and no stack growth) per call.
		for i := range atts {
			if ctx.Err() != nil {
				break
			}
			rep.Attestations[i], _ = opts.VerifyOne(ctx, &atts[i])
		}
	} else {
		verifyParallel(ctx, &opts, atts, rep.Attestations, workers)
	}
	if err := ctx.Err(); err != nil {
		rep.Attestations = slices.DeleteFunc(rep.Attestations, func(r *Result) bool { return r == nil })
		rep.Error = err.Error()
		return rep, fmt.Errorf("%w: %w", ErrOperational, err)
	}
	return finish(rep, &opts)
}

func verifyParallel(ctx context.Context, opts *VerifyOptions, atts []Attestation, out []*Result, workers int) {
	var g errgroup.Group
	g.SetLimit(workers)
	for i := range atts {
		if ctx.Err() != nil {
			break
		}
		g.Go(func() error {
			out[i], _ = opts.VerifyOne(ctx, &atts[i]) // each result carries its error
			return nil
		})
	}
	_ = g.Wait()
}

// finish checks artifact coverage and sets the verdict.
func finish(rep *Report, o *VerifyOptions) (*Report, error) {
	var first error
	for _, r := range rep.Attestations {
		if r.err != nil && first == nil {
			first = r.err
		}
	}
	covered := make([][]string, len(o.Artifacts))
	var idx []int
	for _, r := range rep.Attestations {
		if r.err != nil {
			continue
		}
		idx = o.coveredArtifacts(r.subjects, idx[:0])
		for _, i := range idx {
			covered[i] = append(covered[i], r.File+"#"+strconv.Itoa(r.Index))
		}
	}
	for i, art := range o.Artifacts {
		ar := ArtifactResult{Artifact: art, CoveredBy: covered[i]}
		if ar.CoveredBy == nil {
			ar.CoveredBy = []string{}
		}
		rep.Artifacts = append(rep.Artifacts, ar)
		if len(ar.CoveredBy) == 0 && first == nil {
			first = failed(ErrSubjectMismatch, "%s is not a subject of any attestation", art.label())
		}
	}
	if first != nil {
		rep.Error = first.Error()
		return rep, first
	}
	rep.Verified = true
	return rep, nil
}
