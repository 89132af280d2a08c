package serve

import (
	"context"
	"os"
	"slices"
)

// run is one submitted run. status, events and notify are guarded by
// Server.mu.
type run struct {
	status RunStatus
	// workspace holds the fetched checkout (src/) until the run ends.
	workspace string
	root      string
	specFile  string
	cancel    context.CancelFunc
	cancelled bool
	// events is the in-memory tail of the run's events (at most
	// 2*tailEvents, the latest); seq is the sequence number of the last
	// one. All of them are in the store's events file.
	events []Event
	seq    int
	// liveBytes counts the run's live output events' data.
	liveBytes int
	// notify is closed (and replaced) on every new event.
	notify chan struct{}
}

// tailEvents is how many of a run's latest events the server keeps in
// memory (at least; at most twice as many); older ones are read from the
// store's events file.
const tailEvents = 256

// addEvent appends an event (caller holds s.mu), persists it and wakes
// the streams.
func (r *run) addEvent(s *Server, e Event) {
	r.seq++
	e.Seq = r.seq
	if e.Time.IsZero() {
		e.Time = s.now().UTC()
	}
	r.events = append(r.events, e)
	if len(r.events) > 2*tailEvents {
		r.events = slices.Clone(r.events[len(r.events)-tailEvents:])
	}
	s.appendEvent(r.status.ID, &e)
	close(r.notify)
	r.notify = make(chan struct{})
}

// after returns the in-memory events after sequence number from, and
// whether the tail reaches back that far (else the older ones are in the
// store only). Caller holds s.mu.
func (r *run) after(from int) ([]Event, bool) {
	if from >= r.seq {
		return nil, true
	}
	if len(r.events) == 0 || r.events[0].Seq > from+1 {
		return nil, false
	}
	return slices.Clone(r.events[from+1-r.events[0].Seq:]), true
}

// enqueue appends r to its tier's queue and starts what may start
// (caller holds s.mu).
func (s *Server) enqueue(ts *tierState, r *run) {
	ts.waiting = append(ts.waiting, r)
	r.status.Position = len(ts.waiting)
	r.addEvent(s, Event{Type: "queued", Position: r.status.Position})
	s.schedule(ts)
}

// schedule starts runs of ts in FIFO order while the tier's limit allows,
// and tells the runs still waiting their new position (caller holds s.mu).
func (s *Server) schedule(ts *tierState) {
	moved := false
	for !s.draining && ts.running < ts.Concurrency && len(ts.waiting) > 0 {
		r := ts.waiting[0]
		ts.waiting = ts.waiting[1:]
		ts.running++
		moved = true
		r.status.Position = 0
		r.status.State = StateRunning
		r.status.StartedAt = s.now().UTC()
		ctx, cancel := context.WithCancel(s.runCtx)
		r.cancel = cancel
		_ = s.saveState(&r.status)
		r.addEvent(s, Event{Type: "started"})
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer cancel()
			s.execute(ctx, ts, r)
		}()
	}
	if moved {
		s.renumber(ts)
	}
}

// renumber reports the new queue positions (caller holds s.mu).
func (s *Server) renumber(ts *tierState) {
	for i, w := range ts.waiting {
		if w.status.Position != i+1 {
			w.status.Position = i + 1
			w.addEvent(s, Event{Type: "queued", Position: i + 1})
		}
	}
}

// finishQueued ends a run that never started (caller holds s.mu; the run
// is already out of the queue or about to be).
func (s *Server) finishQueued(r *run, state, msg string) {
	r.status.State, r.status.Error, r.status.Position = state, msg, 0
	r.status.ExitCode = 1
	r.status.FinishedAt = s.now().UTC()
	_ = s.saveState(&r.status)
	st := r.status
	r.addEvent(s, Event{Type: "done", Run: &st})
	if r.workspace != "" {
		_ = os.RemoveAll(r.workspace)
	}
}

// cancelRun cancels a queued or running run (caller holds s.mu).
func (s *Server) cancelRun(r *run) {
	ts := s.tiers[r.status.Tier]
	if r.status.State == StateQueued && ts != nil {
		if i := slices.Index(ts.waiting, r); i >= 0 {
			ts.waiting = slices.Delete(ts.waiting, i, i+1)
			s.finishQueued(r, StateCancelled, "cancelled by the client")
			s.renumber(ts)
			return
		}
	}
	if r.status.State == StateRunning && r.cancel != nil {
		r.cancelled = true
		r.cancel()
	}
}
