package pipeline

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/pinline/pinline/record"
)

// TimeoutExitCode is the exit code of a task that ran out of time, as
// timeout(1) reports it.
const TimeoutExitCode = 124

// backend runs single tasks. prev is the state returned by the task the
// node continues from (nil when it does not use from).
type backend interface {
	exec(ctx context.Context, n *node, prev any) outcome
}

// outcome is what a backend reports for one task.
type outcome struct {
	state    any // handed to tasks that continue from this one
	status   string
	exitCode int
	stdout   string
	stderr   string
	err      error
	outputs  []record.Output
	// published are the image outputs pushed.
	published []record.PublishedImage
	// engineGone is set when the task failed because the engine went away.
	engineGone bool
	// operational is set when the task failed because pinline got no
	// answer (a call child that stalled, an engine that stopped
	// answering): the run's error (exit 3), not a task failure.
	operational error
	// trace is the telemetry trace of the task's evaluation (Dagger
	// backend, when telemetry is on); invalid (zero) otherwise.
	trace trace.TraceID
	// call is what a call task called (nil for container tasks).
	call *record.Call
}

// runner executes a plan with bounded parallelism.
type runner struct {
	o       *Options
	p       *plan
	be      backend
	red     *redactor
	rd      *runDir
	emitMu  sync.Mutex
	mu      sync.Mutex
	results map[string]*outcome
	tasks   map[string]*record.Task
}

func (r *runner) emit(e Event) {
	if r.o.Progress == nil {
		return
	}
	r.emitMu.Lock()
	defer r.emitMu.Unlock()
	r.o.Progress(e)
}

// execute runs every task of the plan; it returns when all have finished
// or were skipped. The record's tasks are filled in.
func (r *runner) execute(ctx context.Context) {
	conc := r.o.Spec.Concurrency
	if conc <= 0 {
		conc = DefaultConcurrency
	}
	sem := make(chan struct{}, conc)
	done := map[string]chan struct{}{}
	for _, n := range r.p.order {
		done[n.task.Name] = make(chan struct{})
	}
	var wg sync.WaitGroup
	for _, n := range r.p.order {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer close(done[n.task.Name])
			for _, d := range n.deps {
				<-done[d]
			}
			if dep := r.failedDep(n); dep != "" {
				r.finish(n, &outcome{status: record.StatusSkipped, exitCode: -1, err: fmt.Errorf("dependency %q did not succeed", dep)}, time.Time{})
				return
			}
			notStarted := func() {
				r.finish(n, &outcome{status: record.StatusSkipped, exitCode: -1, err: fmt.Errorf("not started: %w", context.Cause(ctx))}, time.Time{})
			}
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				notStarted()
				return
			}
			defer func() { <-sem }()
			if ctx.Err() != nil {
				notStarted()
				return
			}
			r.runOne(ctx, n)
		}()
	}
	wg.Wait()
}

func (r *runner) failedDep(n *node) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, d := range n.deps {
		if res := r.results[d]; res == nil || res.status != record.StatusSucceeded {
			return d
		}
	}
	return ""
}

func (r *runner) runOne(ctx context.Context, n *node) {
	start := r.o.Now()
	r.mu.Lock()
	r.tasks[n.task.Name].StartedAt = start
	var prev any
	if n.task.From != "" {
		prev = r.results[n.task.From].state
	}
	r.mu.Unlock()
	r.emit(Event{Task: n.task.Name, Status: record.StatusRunning})

	tctx, cancel := ctx, context.CancelFunc(func() {})
	if n.task.Timeout > 0 {
		tctx, cancel = context.WithTimeout(ctx, n.task.Timeout)
	}
	out := r.be.exec(tctx, n, prev)
	cancel()
	switch {
	case out.status == record.StatusSucceeded:
	case ctx.Err() != nil:
		// The whole run was cancelled or hit --timeout.
		out.status, out.exitCode = record.StatusInterrupted, -1
		out.err = fmt.Errorf("interrupted: %w", context.Cause(ctx))
	case tctx.Err() != nil && errors.Is(tctx.Err(), context.DeadlineExceeded):
		out.status, out.exitCode = record.StatusTimedOut, TimeoutExitCode
		out.err = fmt.Errorf("timed out after %s", n.task.Timeout)
	}
	r.finish(n, &out, start)
}

// markCached records, for every task evaluated in a telemetry trace,
// whether the engine served its exec from the cache. Tasks the spans do
// not cover keep Cached unset (unknown).
func (r *runner) markCached(spans *spanSink) {
	if spans == nil {
		return
	}
	for name, out := range r.results {
		if !out.trace.IsValid() {
			continue
		}
		if cached, ok := spans.execCached(out.trace); ok {
			r.tasks[name].Cached = &cached
		}
	}
}

// finish records a task's outcome, writes its log and emits the event.
func (r *runner) finish(n *node, out *outcome, start time.Time) {
	end := r.o.Now()
	if start.IsZero() {
		start = end
	}
	t := r.tasks[n.task.Name]
	t.Status = out.status
	t.ExitCode = out.exitCode
	t.StartedAt, t.FinishedAt = start, end
	t.DurationMS = end.Sub(start).Milliseconds()
	if out.err != nil {
		t.Error = r.red.scrub(out.err.Error())
	}
	if out.call != nil {
		t.Call = out.call
	}
	if out.status != record.StatusSkipped {
		if name, sum, err := r.writeLog(n.task.Name, out); err == nil {
			t.Log, t.LogSHA256 = name, sum
		} else if t.Error == "" {
			t.Error = "write log: " + err.Error()
		}
	}
	r.mu.Lock()
	r.results[n.task.Name] = out
	r.mu.Unlock()
	r.emit(Event{Task: n.task.Name, Status: out.status, ExitCode: out.exitCode, Duration: end.Sub(start), Error: t.Error})
}

// writeLog writes logs/<task>.log: stdout, then stderr, scrubbed.
func (r *runner) writeLog(task string, out *outcome) (string, string, error) {
	var b strings.Builder
	b.WriteString(r.red.scrub(out.stdout))
	if out.stderr != "" {
		if b.Len() > 0 && !strings.HasSuffix(b.String(), "\n") {
			b.WriteString("\n")
		}
		b.WriteString("--- stderr ---\n")
		b.WriteString(r.red.scrub(out.stderr))
	}
	rel := filepath.ToSlash(filepath.Join(record.LogDir, task+".log"))
	if err := r.rd.writeFile(rel, []byte(b.String())); err != nil {
		return "", "", err
	}
	return rel, sha256Hex([]byte(b.String())), nil
}

// summary derives the run status from the task results.
func (r *runner) summary(ctx context.Context) (status string, err error) {
	var failed []string
	gone := false
	var operational error
	for _, n := range r.p.order {
		res := r.results[n.task.Name]
		if res.status != record.StatusSucceeded {
			failed = append(failed, n.task.Name+" ("+res.status+")")
		}
		gone = gone || res.engineGone
		if operational == nil && res.operational != nil {
			operational = fmt.Errorf("task %q: %w", n.task.Name, res.operational)
		}
	}
	switch {
	case len(failed) == 0:
		return record.StatusSucceeded, nil
	case errors.Is(context.Cause(ctx), context.DeadlineExceeded):
		return record.StatusTimedOut, fmt.Errorf("%w: run timed out after %s", ErrInterrupted, r.o.Timeout)
	case ctx.Err() != nil:
		return record.StatusInterrupted, fmt.Errorf("%w: %w", ErrInterrupted, context.Cause(ctx))
	case r.o.Engine.Health != nil && r.o.Engine.Health() != nil:
		return record.StatusFailed, fmt.Errorf("%w: %w", ErrEngine, r.o.Engine.Health())
	case gone:
		return record.StatusFailed, fmt.Errorf("%w: the engine went away during the run", ErrEngine)
	case operational != nil:
		return record.StatusFailed, operational
	default:
		return record.StatusFailed, fmt.Errorf("%w: %s", ErrTaskFailed, strings.Join(failed, ", "))
	}
}
