package pipeline

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/pinline/pinline/internal/errclass"
)

// ErrCallStalled: a call task's dagger CLI child showed no sign of life
// (no output, no span of its trace) for its stall window. The child was
// killed and the run fails as operational (exit 3): nothing says the
// function failed, pinline could not get an answer.
var ErrCallStalled = errclass.New(errclass.ErrOperational, "dagger call stalled")

// DefaultCallStall is the stall window of a call child when
// Options.CallStall is zero.
const DefaultCallStall = 10 * time.Minute

// errStalled is the cancel cause of a child the watch killed.
var errStalled = errors.New("stalled")

// callWatch follows a call child's signs of life: bytes on its stdout or
// stderr (the plain progress prints every operation that starts or ends,
// and the logs of execs), spans of its trace reaching the receiver, and
// any export the child makes with its own receiver token (the engine's
// metrics of running containers among them).
type callWatch struct {
	last    atomic.Int64 // unix nanoseconds of the last output
	sink    *spanSink    // nil without telemetry
	tid     trace.TraceID
	exports *atomic.Int64 // the child's last export (nil: not tracked)
}

func newCallWatch(sink *spanSink, tid trace.TraceID, exports *atomic.Int64) *callWatch {
	w := &callWatch{sink: sink, tid: tid, exports: exports}
	w.last.Store(time.Now().UnixNano())
	return w
}

// Write records output as a sign of life (an io.Writer beside the
// child's buffers).
func (w *callWatch) Write(p []byte) (int, error) {
	if len(p) > 0 {
		w.last.Store(time.Now().UnixNano())
	}
	return len(p), nil
}

// quiet is how long the child has shown no sign of life at now.
func (w *callWatch) quiet(now time.Time) time.Duration {
	last := time.Unix(0, w.last.Load())
	if w.exports != nil {
		if t := time.Unix(0, w.exports.Load()); t.After(last) {
			last = t
		}
	}
	if w.sink != nil && w.tid.IsValid() {
		if t := w.sink.lastSeen(w.tid); t.After(last) {
			last = t
		}
	}
	return now.Sub(last)
}

// run calls stall once the child has been quiet for window, checking
// about ten times a window (at most every second); it returns then or
// when done is closed.
func (w *callWatch) run(done <-chan struct{}, window time.Duration, stall func()) {
	t := time.NewTicker(max(min(window/10, time.Second), 10*time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case now := <-t.C:
			if w.quiet(now) >= window {
				stall()
				return
			}
		}
	}
}

// stallWindow is how long a call child may stay quiet before it counts as
// stalled: configured (DefaultCallStall when zero; never when negative),
// and at most four fifths of what is left before ctx's deadline (the
// run's --timeout or the task's timeout), so that a stalled child ends the
// call as stalled within its timeout. 0 means no watch.
func stallWindow(ctx context.Context, configured time.Duration) time.Duration {
	w := configured
	if w == 0 {
		w = DefaultCallStall
	}
	if w < 0 {
		return 0
	}
	if dl, ok := ctx.Deadline(); ok {
		if left := time.Until(dl) * 4 / 5; left < w {
			w = max(left, time.Millisecond)
		}
	}
	return w
}
