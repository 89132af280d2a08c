package cli

import (
	"bytes"
	"strings"
	"testing"

	"github.com/pinline/pinline/pipeline"
	"github.com/pinline/pinline/record"
)

// TestRunSummaryGitOutput: a pushed commit is listed with its remote, ref
// and commit, not as a file of the run directory.
func TestRunSummaryGitOutput(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	r := newRunRenderer(&streams{out: &out, errOut: &bytes.Buffer{}})
	r.summary(&pipeline.Result{Dir: "/runs/x", Record: &record.Run{Status: record.StatusSucceeded,
		Tasks: []record.Task{{Name: "release", Status: record.StatusSucceeded}},
		Outputs: []record.Output{{Task: "release", Path: "/src", Type: pipeline.OutputGit, Remote: "https://git.example.test/a.git",
			Ref: "refs/tags/v1", Commit: "0123456789abcdef0123456789abcdef01234567"}}}})
	want := "  https://git.example.test/a.git refs/tags/v1  commit 0123456789abcdef0123456789abcdef01234567  (release pushed /src)\n"
	if !strings.Contains(out.String(), want) || strings.Contains(out.String(), "/runs/x  sha256:") {
		t.Errorf("summary:\n%s\nwant a line %q", out.String(), want)
	}
}
