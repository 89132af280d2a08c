package serve

import (
	"context"
	"fmt"
	"io"
	"os"
	"testing"
	"time"
)

// TestEventsBoundedAndStored: a run's events are all in the store's
// events file while the server keeps only a bounded tail in memory; a
// stream from any sequence number gets every later event once, in order,
// from the file and then the tail; a restarted server (reading the file)
// serves the same.
func TestEventsBoundedAndStored(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(stateDir(dir), 0o755); err != nil {
		t.Fatal(err)
	}
	s := &Server{cfg: &Config{Store: dir}, opts: Options{Now: time.Now, Log: io.Discard}}
	id := "20261207T010000Z-0123abcd"
	r := &run{status: RunStatus{ID: id, State: StateRunning}, notify: make(chan struct{})}
	const n = 5*tailEvents + 7
	for i := 1; i < n; i++ {
		r.addEvent(s, Event{Type: "output", Task: "t", Data: fmt.Sprintf("line %d\n", i)})
		if len(r.events) > 2*tailEvents {
			t.Fatalf("%d events in memory", len(r.events))
		}
	}
	r.status.State = StateSucceeded
	r.addEvent(s, Event{Type: "done"})
	check := func(s *Server, r *run, from int) {
		t.Helper()
		next := from + 1
		err := s.streamEvents(context.Background(), r, from, func(e Event) error {
			if e.Seq != next || (e.Type == "output" && e.Data != fmt.Sprintf("line %d\n", e.Seq)) {
				return fmt.Errorf("event %+v, want seq %d", e, next)
			}
			next++
			return nil
		})
		if err != nil || next != n+1 {
			t.Errorf("from %d: stopped before %d of %d: %v", from, next, n, err)
		}
	}
	for _, from := range []int{0, 1, tailEvents, n - tailEvents - 1, n - 1, n} {
		check(s, r, from)
	}
	// A restart: the state comes from the store.
	s2 := &Server{cfg: s.cfg, opts: s.opts}
	r2 := &run{status: r.status, notify: make(chan struct{})}
	if err := s2.loadTail(r2); err != nil {
		t.Fatal(err)
	}
	if r2.seq != n || len(r2.events) > 2*tailEvents {
		t.Fatalf("after a restart: seq %d, %d events in memory", r2.seq, len(r2.events))
	}
	check(s2, r2, 0)
	check(s2, r2, n-3)
}
