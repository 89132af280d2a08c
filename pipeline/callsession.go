package pipeline

import (
	"context"
	"fmt"
	"io"
	"regexp"
	"strings"
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
// to it); pinline's own session connects in the background and is waited
// for only by what needs it (moduleSource, liveness, the engine version).
type callSession struct {
	address string
	spans   *spanSink
	done    chan struct{}
	s       *session
	err     error
}

// connectCalls probes the engine (a missing engine fails at once, as for
// any run) and starts the background connect.
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
	cs := &callSession{address: e.Address, done: make(chan struct{})}
	if sp, err := newSpanSink(); err == nil {
		cs.spans = sp
	}
	go func() {
		defer close(cs.done)
		cs.s, cs.err = connect(ctx, e, log)
	}()
	return cs, nil
}

// session waits for pinline's session.
func (cs *callSession) session(ctx context.Context) (*session, error) {
	select {
	case <-cs.done:
		return cs.s, cs.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// finish waits for the session, asks it for the engine version and closes
// it and the receiver. The spans stay readable.
func (cs *callSession) finish(ctx context.Context) string {
	<-cs.done
	v := ""
	if cs.s != nil {
		// Bounded: an engine that stopped answering leaves the version
		// out of the record instead of hanging the run.
		vctx, cancel := context.WithTimeout(ctx, versionTimeout)
		v, _ = cs.s.client.Version(vctx)
		cancel()
	}
	cs.close()
	return v
}

func (cs *callSession) close() {
	<-cs.done
	if cs.s != nil {
		_ = cs.s.Close()
	}
	if cs.spans != nil {
		_ = cs.spans.Close()
	}
}
