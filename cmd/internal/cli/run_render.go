package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/pinline/pinline/pipeline"
	"github.com/pinline/pinline/policy"
	"github.com/pinline/pinline/record"
)

// runRenderer prints live progress on a terminal (stderr) and a summary
// table at the end (stdout). Nothing it prints comes from task output
// except the scrubbed log tail of failed tasks.
type runRenderer struct {
	s     *streams
	live  bool
	start time.Time
}

func newRunRenderer(s *streams) *runRenderer {
	return &runRenderer{s: s, live: isTTY(s.errOut), start: time.Now()}
}

func (r *runRenderer) event(e pipeline.Event) {
	if !r.live {
		return
	}
	el := time.Since(r.start).Round(100 * time.Millisecond)
	switch e.Status {
	case record.StatusRunning:
		fmt.Fprintf(r.s.errOut, "%7s  ▶ %s\n", el, e.Task)
	case record.StatusSucceeded:
		fmt.Fprintf(r.s.errOut, "%7s  ✓ %s (%s)\n", el, e.Task, e.Duration.Round(time.Millisecond))
	default:
		fmt.Fprintf(r.s.errOut, "%7s  ✗ %s %s (exit %d, %s)\n", el, e.Task, e.Status, e.ExitCode, e.Duration.Round(time.Millisecond))
	}
}

func (r *runRenderer) summary(res *pipeline.Result) {
	rec := res.Record
	w := r.s.out
	if len(rec.Tasks) > 0 && rec.Status != record.StatusDenied {
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "TASK\tSTATUS\tEXIT\tDURATION\tEXEC")
		for _, t := range rec.Tasks {
			exit := "-"
			if t.Status != record.StatusSkipped && t.ExitCode >= 0 {
				exit = fmt.Sprint(t.ExitCode)
			}
			// EXEC: "cached" when the engine served the exec from its
			// cache, "ran" when it ran it, "-" when unknown.
			execState := "-"
			if t.Cached != nil {
				execState = map[bool]string{true: "cached", false: "ran"}[*t.Cached]
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", t.Name, t.Status, exit, (time.Duration(t.DurationMS) * time.Millisecond).String(), execState)
		}
		_ = tw.Flush()
	}
	if rec.Status == record.StatusDenied {
		printDecision(w, res.Dir)
	} else if rec.Decision.Warnings > 0 {
		printLockAdded(r.s.errOut, res.Dir)
	}
	for _, t := range rec.Tasks {
		if t.Status == record.StatusFailed || t.Status == record.StatusTimedOut {
			r.failedTail(res.Dir, t)
		}
	}
	if len(rec.Outputs) > 0 {
		fmt.Fprintln(w, "outputs:")
		for _, o := range rec.Outputs {
			if o.Remote != "" {
				fmt.Fprintf(w, "  %s  commit %s  (%s pushed %s)\n", o.Remote+" "+o.Ref, o.Commit, o.Task, o.Path)
				continue
			}
			f := o.File
			if !filepath.IsAbs(f) {
				f = filepath.Join(res.Dir, f)
			}
			fmt.Fprintf(w, "  %s  sha256:%s  (%s %s)\n", f, o.SHA256, o.Task, o.Path)
		}
	}
	if rec.Evidence.SBOM != "" {
		fmt.Fprintf(w, "sbom:       %s\n", filepath.Join(res.Dir, rec.Evidence.SBOM))
	}
	if rec.Evidence.Provenance != "" {
		fmt.Fprintf(w, "provenance: %s\n", filepath.Join(res.Dir, rec.Evidence.Provenance))
	}
	fmt.Fprintf(w, "run %s %s: %s\n", rec.ID, rec.Status, res.Dir)
}

// failedTail shows the end of a failed task's (already scrubbed) log.
func (r *runRenderer) failedTail(dir string, t record.Task) {
	fmt.Fprintf(r.s.errOut, "--- %s %s", t.Name, t.Status)
	if t.Error != "" {
		fmt.Fprintf(r.s.errOut, ": %s", t.Error)
	}
	fmt.Fprintln(r.s.errOut)
	if t.Log == "" {
		return
	}
	b, err := os.ReadFile(filepath.Join(dir, t.Log))
	if err != nil {
		return
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > 20 {
		lines = lines[len(lines)-20:]
	}
	for _, l := range lines {
		fmt.Fprintf(r.s.errOut, "  %s\n", l)
	}
}

func printDecision(w io.Writer, dir string) {
	d, err := record.ReadDecision(dir)
	if err != nil {
		return
	}
	fmt.Fprintln(w, "denied by policy:")
	for _, v := range d.Violations {
		where := ""
		if v.Pos.File != "" {
			where = fmt.Sprintf("%s:%d:%d: ", v.Pos.File, v.Pos.Line, v.Pos.Column)
		}
		fmt.Fprintf(w, "  %s%s [%s]\n", where, v.Message, v.RuleID)
	}
}

// printLockAdded shows the dagger.lock entries a run added (PL026
// warnings; with --frozen they are violations and printDecision shows
// them).
func printLockAdded(w io.Writer, dir string) {
	d, err := record.ReadDecision(dir)
	if err != nil {
		return
	}
	for _, f := range d.Warnings {
		if f.RuleID == policy.RuleLockAdded {
			fmt.Fprintf(w, "pinline: warning: %s:%d:%d: %s [%s]\n", f.Pos.File, f.Pos.Line, f.Pos.Column, f.Message, f.RuleID)
		}
	}
}
