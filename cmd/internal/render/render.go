package render

import (
	"fmt"
	"io"

	"github.com/pinline/pinline/policy"
)

// Formats lists the supported output formats.
var Formats = []string{"text", "json", "sarif", "junit"}

// Report is what gets rendered.
type Report struct {
	Decision *policy.Decision
	// Rules is the default rule catalog (SARIF rules, JUnit cases).
	Rules []policy.Rule
	// ToolVersion is pinline's version.
	ToolVersion string
	// FailOnWarn makes warnings fail the check (exit 1).
	FailOnWarn bool
}

// Failed reports whether the check fails: a violation, or a warning with
// FailOnWarn.
func (r Report) Failed() bool {
	return !r.Decision.Allow || (r.FailOnWarn && len(r.Decision.Warnings) > 0)
}

// Options configure Write.
type Options struct {
	// Color enables ANSI colour in text output.
	Color bool
}

// Write renders r in format to w. An unknown format is an error that lists
// the valid ones.
func Write(w io.Writer, format string, r Report, opts Options) error {
	switch format {
	case "text", "":
		return Text(w, r, opts.Color)
	case "json":
		return JSON(w, r)
	case "sarif":
		return SARIF(w, r)
	case "junit":
		return JUnit(w, r)
	}
	return fmt.Errorf("unknown format %q, valid formats are %q", format, Formats)
}

// CheckFormat validates a format name before any work is done.
func CheckFormat(format string) error {
	for _, f := range Formats {
		if f == format {
			return nil
		}
	}
	return fmt.Errorf("unknown format %q, valid formats are %q", format, Formats)
}

// all returns every violation and warning, sorted.
func all(d *policy.Decision) []policy.Finding {
	out := append(append([]policy.Finding{}, d.Violations...), d.Warnings...)
	policy.SortFindings(out)
	return out
}

// fileOf names the file of a finding; findings without one (a run
// request) are grouped under "(repository)".
func fileOf(f policy.Finding) string {
	if f.Pos.File == "" {
		return "(repository)"
	}
	return f.Pos.File
}
