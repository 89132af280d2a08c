package render

import (
	"bufio"
	"fmt"
	"io"

	"github.com/pinline/pinline/policy"
)

const (
	red    = "\x1b[31m"
	yellow = "\x1b[33m"
	green  = "\x1b[32m"
	bold   = "\x1b[1m"
	dim    = "\x1b[2m"
	reset  = "\x1b[0m"
)

// Text writes findings grouped by file, one line per finding:
//
//	dagger.json
//	  6:5  deny  PL001  module "app": dependency "lint" is not pinned to a commit
func Text(w io.Writer, r Report, color bool) error {
	bw := bufio.NewWriter(w)
	c := func(code, s string) string {
		if !color {
			return s
		}
		return code + s + reset
	}
	d := r.Decision
	last := "\x00"
	for _, f := range all(d) {
		if file := fileOf(f); file != last {
			if last != "\x00" {
				fmt.Fprintln(bw)
			}
			fmt.Fprintln(bw, c(bold, file))
			last = file
		}
		sev := c(yellow, "warn")
		if f.Severity == policy.SeverityDeny {
			sev = c(red, "deny")
		}
		// Every finding carries its full file:line:col so that terminals and
		// editors can jump to it; the file header groups them.
		fmt.Fprintf(bw, "  %s  %s  %s  %s\n", fmt.Sprintf("%s:%d:%d", fileOf(f), f.Pos.Line, f.Pos.Column), sev, f.RuleID, f.Message)
		if f.HelpURI != "" {
			fmt.Fprintf(bw, "      %s\n", c(dim, "help: "+f.HelpURI))
		}
	}
	if len(d.Waived) > 0 {
		if last != "\x00" {
			fmt.Fprintln(bw)
		}
		fmt.Fprintln(bw, c(bold, "waived"))
		for _, wf := range d.Waived {
			fmt.Fprintf(bw, "  %s:%d:%d  %s  %s (%s, expires %s)\n", fileOf(wf.Finding), wf.Pos.Line, wf.Pos.Column,
				wf.RuleID, wf.Message, wf.Waiver.Reason, wf.Waiver.Expires)
		}
	}
	if last != "\x00" || len(d.Waived) > 0 {
		fmt.Fprintln(bw)
	}
	verdict := c(green, "allowed")
	if r.Failed() {
		verdict = c(red, "denied")
	}
	fmt.Fprintf(bw, "%s: %d violation(s), %d warning(s), %d waived\n", verdict, len(d.Violations), len(d.Warnings), len(d.Waived))
	return bw.Flush()
}
