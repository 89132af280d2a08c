package serve

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	engineconfig "github.com/pinline/pinline/engine-config"
	"github.com/pinline/pinline/pipeline"
)

func (s *Server) handleSubmit(w http.ResponseWriter, req *http.Request) {
	info := infoOf(req)
	body, err := DecodeSubmit(http.MaxBytesReader(w, req.Body, maxRequestBytes+1))
	if err != nil {
		s.refuse(w, info, http.StatusBadRequest, "bad-request", err.Error())
		return
	}
	a, err := s.cfg.rules.Assign(info.cert, body.Tier)
	if err != nil {
		var re *engineconfig.RefusedError
		reason := "tier-refused"
		if errors.As(err, &re) {
			reason = re.Reason
		}
		s.refuse(w, info, http.StatusForbidden, reason, err.Error())
		return
	}
	ts := s.tiers[a.Tier.Name]
	info.tier = ts.Name
	if err := checkSubmission(ts.Tier, body); err != nil {
		reason := "bad-request"
		switch {
		case strings.HasPrefix(err.Error(), "repository:"):
			reason = "repository-not-allowed"
		case strings.HasPrefix(err.Error(), "commit:"):
			reason = "not-a-commit"
		case strings.HasPrefix(err.Error(), "spec:"):
			reason = "bad-spec-path"
		}
		s.refuse(w, info, http.StatusBadRequest, reason, err.Error())
		return
	}
	s.mu.Lock()
	draining, queued := s.draining, len(ts.waiting)
	s.mu.Unlock()
	if draining {
		s.refuse(w, info, http.StatusServiceUnavailable, "draining", "the server is shutting down and takes no new runs")
		return
	}
	if queued >= s.cfg.MaxQueue {
		s.refuse(w, info, http.StatusTooManyRequests, "queue-full", fmt.Sprintf("tier %q has %d runs waiting, the most the server queues", ts.Name, queued))
		return
	}
	now := s.now().UTC()
	id := pipeline.NewRunID(now)
	info.runID = id
	r := &run{notify: make(chan struct{}), status: RunStatus{ID: id, State: StateQueued, Tier: ts.Name, BuilderID: ts.BuilderID,
		Repository: body.Repository, Commit: body.Commit, Spec: body.Spec, Tasks: body.Tasks,
		Identity: a.Identity, Fingerprint: certFingerprint(info.cert), SubmittedAt: now}}
	// The source: that commit, fetched by the server into a fresh
	// workspace, checked before anything is queued.
	if err := s.prepare(req.Context(), r); err != nil {
		if r.workspace != "" {
			_ = os.RemoveAll(r.workspace)
		}
		var ce *clientError
		if errors.As(err, &ce) {
			s.refuse(w, info, ce.code, ce.reason, ce.Error())
			return
		}
		s.refuse(w, info, http.StatusInternalServerError, "internal", err.Error())
		return
	}
	s.mu.Lock()
	if s.draining {
		s.mu.Unlock()
		_ = os.RemoveAll(r.workspace)
		s.refuse(w, info, http.StatusServiceUnavailable, "draining", "the server is shutting down and takes no new runs")
		return
	}
	if err := s.saveState(&r.status); err != nil {
		s.mu.Unlock()
		_ = os.RemoveAll(r.workspace)
		s.refuse(w, info, http.StatusInternalServerError, "internal", "state: "+err.Error())
		return
	}
	s.runs[id] = r
	s.enqueue(ts, r)
	st := r.status
	s.mu.Unlock()
	w.Header().Set("Location", "/v1/runs/"+id)
	writeJSON(w, http.StatusAccepted, st)
}

// clientError is a refusal caused by the submission.
type clientError struct {
	code   int
	reason string
	err    error
}

func (e *clientError) Error() string { return e.err.Error() }

// prepare fetches the commit into a fresh workspace and checks the spec
// and the tasks in it.
func (s *Server) prepare(ctx context.Context, r *run) error {
	select {
	case s.fetches <- struct{}{}:
		defer func() { <-s.fetches }()
	case <-ctx.Done():
		return ctx.Err()
	}
	ws, err := os.MkdirTemp(workDir(s.cfg.Store), r.status.ID+"-")
	if err != nil {
		return err
	}
	r.workspace = ws
	src := filepath.Join(ws, "src")
	if err := os.Mkdir(src, 0o755); err != nil {
		return err
	}
	fctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	if err := fetchSource(fctx, src, r.status.Repository, r.status.Commit); err != nil {
		return &clientError{http.StatusUnprocessableEntity, "fetch-failed", err}
	}
	sp, err := loadSpec(src, r.status.Spec, r.status.Tasks)
	if err != nil {
		reason := "bad-spec"
		if strings.Contains(err.Error(), "unknown task") || strings.Contains(err.Error(), "no task") {
			reason = "unknown-task"
		} else if strings.Contains(err.Error(), "outside the repository") {
			reason = "bad-spec-path"
		}
		return &clientError{http.StatusUnprocessableEntity, reason, err}
	}
	r.specFile = sp.Path
	// The run's root is the spec's directory, as for `pinline run -f`.
	r.root = filepath.Dir(sp.Path)
	return nil
}
