package pipeline

import (
	"context"
	"errors"
	"fmt"

	"github.com/pinline/pinline/record"
)

// Run gates, executes and records one pipeline run.
//
// The gate runs first; when it denies, no engine connection is made, the
// record says "denied" and the error wraps ErrDenied. Otherwise the tasks
// run as a DAG on the backend, outputs are exported with digests, and for
// a succeeded run the SBOM and the signed provenance are written when a
// writer and an attester are configured. A run that fails or is
// interrupted gets a record saying so and no provenance.
//
// The returned Result is non-nil whenever a run directory was created,
// also together with an error.
func Run(ctx context.Context, o Options) (*Result, error) {
	if err := o.defaults(); err != nil {
		return nil, err
	}
	p, err := newPlan(o.Spec, o.Tasks)
	if err != nil {
		return nil, err
	}
	if err := checkCaches(o.Spec, p, o.Tier, o.CacheScope); err != nil {
		return nil, err
	}
	if o.Backend == BackendHost && hasImageOutputs(p) {
		return nil, fmt.Errorf("%w: image outputs are published by the engine; the host backend cannot build images", ErrInvalid)
	}
	rec := newRecord(&o, p)
	// git runs while the gate evaluates; both only read the repository.
	repo := make(chan record.Repository, 1)
	go func() {
		r := record.Repository{Root: o.Root}
		r.Commit, r.Dirty, r.URI = gitInfo(ctx, o.Root, o.HostEnv)
		repo <- r
	}()
	rd, err := openRunDir(o.Root, o.RunsDir, rec.ID)
	if err != nil {
		if errors.Is(err, ErrInvalid) {
			return nil, err
		}
		return nil, fmt.Errorf("create run directory: %w", err)
	}
	defer rd.Close()
	dir := rd.path
	res := &Result{Dir: dir, Record: rec}
	fail := func(status string, err error) (*Result, error) {
		rec.Status, rec.Error, rec.FinishedAt = status, err.Error(), o.Now().UTC()
		noteGatewayEngine(&o, rec)
		if werr := record.WriteRun(rd.root, rec); werr != nil {
			return res, errors.Join(err, werr)
		}
		return res, err
	}

	// 1. The gate. Nothing touches the engine before it allows.
	if o.Gate == nil {
		return fail(record.StatusFailed, fmt.Errorf("%w: no policy gate configured", ErrInvalid))
	}
	d, err := o.Gate.Evaluate(ctx, GateInput{Root: o.Root, Spec: o.Spec, Tier: o.Tier, Backend: o.Backend, Frozen: o.Frozen,
		PushRemotes: o.Secrets.RemoteURLs(o.Tier)})
	rec.Repository = <-repo
	if err != nil {
		return fail(record.StatusFailed, fmt.Errorf("policy gate: %w", err))
	}
	if err := record.WriteDecision(rd.root, &d.Decision); err != nil {
		return fail(record.StatusFailed, err)
	}
	rec.Decision = d.Ref()
	if !rec.Decision.Allow {
		return fail(record.StatusDenied, fmt.Errorf("%w: %d violation(s)", ErrDenied, len(d.Violations)))
	}

	// Call tasks: the modules they call. A module whose SDK the engine
	// cannot run stops the run here, gated and with its SBOM, before
	// anything connects.
	if err := checkCalls(&o, p, rec); err != nil {
		if errors.Is(err, ErrUnsupportedSDK) && o.SBOM != nil {
			rec.Status = record.StatusFailed
			if werr := writeSBOM(ctx, &o, rd, rec, d.inventory); werr != nil {
				err = errors.Join(err, werr)
			}
		}
		return fail(record.StatusFailed, err)
	}

	// 2. Secrets, resolved on the host before anything starts.
	red := &redactor{}
	secrets := map[string]map[string]string{}
	for _, n := range p.order {
		for _, s := range n.task.Secrets {
			v, err := resolveSecret(ctx, &o, s)
			if err != nil {
				return fail(record.StatusFailed, fmt.Errorf("%w: task %q: %w", ErrInvalid, n.task.Name, err))
			}
			red.add(v)
			if secrets[n.task.Name] == nil {
				secrets[n.task.Name] = map[string]string{}
			}
			secrets[n.task.Name][s.Name] = v
		}
	}

	regAuth, err := resolveRegistryAuth(&o, p, red)
	if err != nil {
		return fail(record.StatusFailed, err)
	}
	pushes, err := resolvePushes(ctx, &o, p, red)
	if err != nil {
		status := record.StatusFailed
		if errors.Is(err, ErrDenied) {
			status = record.StatusDenied
		}
		return fail(status, err)
	}

	// rec.Status is still "running" (newRecord); fail is the only change.
	if err := record.WriteRun(rd.root, rec); err != nil {
		return fail(record.StatusFailed, err)
	}
	rctx := ctx
	if o.Timeout > 0 {
		var cancel context.CancelFunc
		rctx, cancel = context.WithTimeoutCause(ctx, o.Timeout, context.DeadlineExceeded)
		defer cancel()
	}

	// 3. The backend.
	ex := &exporter{runDir: dir, root: rd.root, budget: o.AllowDelete, skip512: o.SkipSHA512}
	var be backend
	var version chan string
	var sess *session
	var calls *callSession
	switch o.Backend {
	case BackendHost:
		be = &hostBackend{o: &o, secrets: secrets, out: ex}
	case BackendDagger:
		if callOnly(p) {
			// Only module calls: their dagger CLI children need no
			// session of pinline's, so the session (for moduleSource
			// and the engine version) connects while they run.
			cs, err := connectCalls(rctx, o.Engine, scrubWriter{r: red, w: o.Log})
			if err != nil {
				return fail(record.StatusFailed, err)
			}
			defer cs.close()
			calls = cs
			be = &daggerBackend{o: &o, secrets: secrets, out: ex, calls: cs, regAuth: regAuth}
			break
		}
		fallthrough
	default:
		o.Engine.liveLogs = o.Output != nil
		s, err := connect(rctx, o.Engine, scrubWriter{r: red, w: o.Log})
		if err != nil {
			if rctx.Err() != nil {
				return fail(record.StatusInterrupted, fmt.Errorf("%w: %w", ErrInterrupted, err))
			}
			if o.Engine.Health != nil {
				if herr := o.Engine.Health(); herr != nil {
					err = fmt.Errorf("%w: %w", ErrEngine, herr)
				}
			}
			return fail(record.StatusFailed, err)
		}
		defer s.Close()
		sess = s
		// The engine version is asked for alongside the tasks, not before.
		version = make(chan string, 1)
		go func() {
			v, _ := s.client.Version(rctx)
			version <- v
		}()
		be = &daggerBackend{c: s.client, s: s, o: &o, secrets: secrets, out: ex, regAuth: regAuth, pushes: pushes, runID: rec.ID, red: red}
	}

	// 4. The tasks.
	r := &runner{o: &o, p: p, be: be, red: red, rd: rd, results: map[string]*outcome{}, tasks: map[string]*record.Task{}}
	for i := range rec.Tasks {
		r.tasks[rec.Tasks[i].Name] = &rec.Tasks[i]
	}
	r.execute(rctx)
	if version != nil {
		rec.Engine.Version = <-version
	}
	if sess != nil {
		// Closing the session flushes the CLI's telemetry: then the
		// spans say which execs the engine served from its cache.
		_ = sess.Close()
		r.markCached(sess.spans)
		r.collectCalls(sess.spans, rec)
	}
	if calls != nil {
		rec.Engine.Version = calls.finish(rctx)
		r.collectCalls(calls.spans, rec)
	}
	_ = rd.root.RemoveAll(stagingDir)
	for _, n := range p.order {
		rec.Outputs = append(rec.Outputs, r.results[n.task.Name].outputs...)
		rec.Published = append(rec.Published, r.results[n.task.Name].published...)
	}
	status, err := r.summary(rctx)
	if err != nil {
		return fail(status, err)
	}
	// What the run added to dagger.lock: warnings, or with --frozen a
	// denial before any evidence claims success.
	if err := checkLockAfterRun(ctx, &o, rd, rec, d); err != nil {
		if errors.Is(err, ErrDenied) {
			return fail(record.StatusDenied, err)
		}
		return fail(record.StatusFailed, err)
	}

	// 5. Evidence, only for a succeeded run. A failure here fails the run:
	// a run that was asked for evidence and has none is not a success.
	rec.FinishedAt = o.Now().UTC()
	rec.Status = record.StatusSucceeded
	noteGatewayEngine(&o, rec)
	final, pv, err := writeEvidence(ctx, &o, rd, rec, d.inventory)
	if err != nil {
		return fail(record.StatusFailed, fmt.Errorf("%w: %w", ErrEvidence, err))
	}
	if err := attachEvidence(ctx, &o, rd, rec, pv); err != nil {
		return fail(record.StatusFailed, fmt.Errorf("%w: %w", ErrEvidence, err))
	}
	if !final {
		if err := record.WriteRun(rd.root, rec); err != nil {
			return res, err
		}
	}
	return res, nil
}
