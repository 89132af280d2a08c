package serve

import (
	"fmt"
	"io"
	"strings"
)

// LogView prints a run's task output once, from its events: output events
// as they arrive (the task's output while it runs), then, from each task's
// complete log (log events, after the task finished), the lines the live
// stream did not show (it is best effort: the engine may export the last
// lines after the task ended). A task with no live output gets its whole
// log. Feed it every event in order.
type LogView struct {
	W io.Writer
	// shown counts the live lines shown per task.
	shown map[string]map[string]int
	// partial is the unfinished last line of each task's log so far.
	partial map[string]string
}

// Event handles one event.
func (v *LogView) Event(e Event) {
	if v.shown == nil {
		v.shown, v.partial = map[string]map[string]int{}, map[string]string{}
	}
	switch e.Type {
	case "output":
		fmt.Fprint(v.W, e.Data)
		m := v.shown[e.Task]
		if m == nil {
			m = map[string]int{}
			v.shown[e.Task] = m
		}
		for _, l := range strings.SplitAfter(e.Data, "\n") {
			if l != "" {
				m[strings.TrimSuffix(l, "\n")]++
			}
		}
	case "log":
		m := v.shown[e.Task]
		if m == nil {
			fmt.Fprint(v.W, e.Data)
			return
		}
		buf := v.partial[e.Task] + e.Data
		i := strings.LastIndexByte(buf, '\n')
		v.partial[e.Task] = buf[i+1:]
		if i >= 0 {
			v.rest(m, buf[:i+1])
		}
	case "task", "done":
		// A task's log events end before its next event and the run's.
		for task, p := range v.partial {
			if p != "" && (e.Type == "done" || task != e.Task) {
				v.rest(v.shown[task], p+"\n")
				v.partial[task] = ""
			}
		}
	}
}

// rest prints the lines of a complete log that were not shown live.
func (v *LogView) rest(shown map[string]int, text string) {
	for _, l := range strings.SplitAfter(text, "\n") {
		line := strings.TrimSuffix(l, "\n")
		switch {
		case l == "":
		case shown[line] > 0:
			shown[line]--
		case line == "--- stderr ---":
		default:
			fmt.Fprint(v.W, l)
		}
	}
}
