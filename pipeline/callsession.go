package pipeline

import (
	"context"
	"fmt"
	"io"
	"regexp"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/pinline/pinline/record"
)

// versionTimeout bounds asking the engine for its version after the calls.
const versionTimeout = 10 * time.Second

// imageDigest is a sha256 manifest digest.
var imageDigest = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

// resolvedImages are the images a trace's spans say the engine resolved:
// span names "resolving <ref>@sha256:<hex>", deduplicated in span order.
func (s *spanSink) resolvedImages(tid trace.TraceID) []record.Image {
	s.mu.Lock()
	spans := s.traces[tid]
	s.mu.Unlock()
	var out []record.Image
	seen := map[string]bool{}
	for _, sp := range spans {
		ref, ok := strings.CutPrefix(sp.name, "resolving ")
		if !ok {
			continue
		}
		ref = strings.TrimSpace(ref)
		name, dg, ok := strings.Cut(ref, "@")
		if !ok || !imageDigest.MatchString(dg) || seen[ref] {
			continue
		}
		seen[ref] = true
		out = append(out, record.Image{Name: name, Ref: ref, Digest: dg})
	}
	return out
}

// collectCalls adds what the call tasks resolved to the run record: the
// images of their traces (record.Run.Images, with the task's call) and the
// module dependencies by commit (record.Run.Modules).
func (r *runner) collectCalls(spans *spanSink, rec *record.Run) {
	seenImg := map[string]bool{}
	for _, im := range rec.Images {
		seenImg[im.Ref] = true
	}
	seenMod := map[string]bool{}
	for _, m := range rec.Modules {
		seenMod[m.Source+"@"+m.Pin] = true
	}
	for _, n := range r.p.order {
		out := r.results[n.task.Name]
		t := r.tasks[n.task.Name]
		if n.task.Call == nil || out == nil || t.Call == nil {
			continue
		}
		if spans != nil && out.trace.IsValid() {
			t.Call.Images = spans.resolvedImages(out.trace)
		}
		for _, im := range t.Call.Images {
			if !seenImg[im.Ref] {
				seenImg[im.Ref] = true
				rec.Images = append(rec.Images, im)
			}
		}
		for _, d := range t.Call.Dependencies {
			pin := d.Commit
			if pin == "" {
				pin = d.Pin
			}
			if k := d.Source + "@" + pin; !seenMod[k] {
				seenMod[k] = true
				rec.Modules = append(rec.Modules, record.Module{Name: d.Name, Source: d.Source, Pin: pin})
			}
		}
	}
}

// callOnly reports whether every task of the plan is a call task.
func callOnly(p *plan) bool {
	for _, n := range p.order {
		if n.task.Call == nil {
			return false
		}
	}
	return len(p.order) > 0
}

// callSession is the engine side of a run of module calls only. The
// calls' telemetry receiver starts at once (the dagger call children export
// to it); pinline's own session connects only when something needs it
// (moduleSource for a module whose resolution is not cached, liveness after
// a failure): a call whose resolution is cached runs with no second session
// beside its child, and the engine version comes from the child's own
// report of the engine it connected to.
type callSession struct {
	ctx     context.Context
	engine  Engine
	log     io.Writer
	address string
	spans   *spanSink
	once    sync.Once
	done    chan struct{}
	s       *session
	err     error

	mu sync.Mutex
	// child is the engine the last call child reported.
	child engineID
}

// connectCalls probes the engine (a missing engine fails at once, as for
// any run) and starts the telemetry receiver; the session connects on
// first use (session).
func connectCalls(ctx context.Context, e Engine, log io.Writer) (*callSession, error) {
	timeout := e.ConnectTimeout
	if timeout <= 0 {
		timeout = DefaultConnectTimeout
	}
	if err := probe(ctx, e.Address, min(timeout, 5*time.Second)); err != nil {
		if e.Health != nil {
			if herr := e.Health(); herr != nil {
				return nil, fmt.Errorf("%w: %w", ErrEngine, herr)
			}
		}
		return nil, fmt.Errorf("%w: %s: %w", ErrEngine, e.Address, err)
	}
	cs := &callSession{ctx: ctx, engine: e, log: log, address: e.Address, done: make(chan struct{})}
	if sp, err := newSpanSink(); err == nil {
		cs.spans = sp
	}
	return cs, nil
}

// start connects pinline's session in the background, once.
func (cs *callSession) start() {
	cs.once.Do(func() {
		go func() {
			defer close(cs.done)
			cs.s, cs.err = connect(cs.ctx, cs.engine, cs.log)
		}()
	})
}

// started reports whether the session was ever asked for.
func (cs *callSession) started() bool {
	started := true
	cs.once.Do(func() {
		started = false
		close(cs.done)
	})
	return started
}

// session connects pinline's session if it is not yet and waits for it.
func (cs *callSession) session(ctx context.Context) (*session, error) {
	cs.start()
	select {
	case <-cs.done:
		if cs.s == nil && cs.err == nil {
			return nil, fmt.Errorf("%w: the run's engine session is closed", ErrEngine)
		}
		return cs.s, cs.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// noteChild keeps the engine a call child reported.
func (cs *callSession) noteChild(e engineID) {
	if !e.valid() {
		return
	}
	cs.mu.Lock()
	cs.child = e
	cs.mu.Unlock()
}

// finish asks the session, if one connected, for the engine version (else
// the version is the one the call child reported) and closes it and the
// receiver. The spans stay readable.
func (cs *callSession) finish(ctx context.Context) string {
	v := ""
	if cs.started() {
		<-cs.done
		if cs.s != nil {
			// Bounded: an engine that stopped answering leaves the
			// version out of the record instead of hanging the run.
			vctx, cancel := context.WithTimeout(ctx, versionTimeout)
			v, _ = cs.s.client.Version(vctx)
			cancel()
		}
	}
	if v == "" {
		cs.mu.Lock()
		v = cs.child.version
		cs.mu.Unlock()
	}
	cs.close()
	return v
}

func (cs *callSession) close() {
	if cs.started() {
		<-cs.done
	}
	if cs.s != nil {
		_ = cs.s.Close()
	}
	if cs.spans != nil {
		_ = cs.spans.Close()
	}
}
