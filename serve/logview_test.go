package serve

import (
	"strings"
	"testing"
)

// TestLogView: live lines are printed as they come; of the complete log
// only the lines the live stream missed follow (also when a line is split
// across two log chunks); a task without live output gets its whole log.
func TestLogView(t *testing.T) {
	var b strings.Builder
	v := &LogView{W: &b}
	for _, e := range []Event{
		{Type: "task", Task: "a", Status: "running"},
		{Type: "output", Task: "a", Data: "one\ntwo\n"},
		{Type: "task", Task: "a", Status: "succeeded"},
		{Type: "log", Task: "a", Data: "one\ntwo\nthr"},
		{Type: "log", Task: "a", Data: "ee\n--- stderr ---\nwarn"},
		{Type: "task", Task: "b", Status: "succeeded"},
		{Type: "log", Task: "b", Data: "b-only\n--- stderr ---\nx\n"},
		{Type: "done"},
	} {
		v.Event(e)
	}
	want := "one\ntwo\nthree\nwarn\nb-only\n--- stderr ---\nx\n"
	if b.String() != want {
		t.Errorf("printed %q, want %q", b.String(), want)
	}
}
