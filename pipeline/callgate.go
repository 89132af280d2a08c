package pipeline

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/pinline/pinline/policy"
	"github.com/pinline/pinline/spec"
)

// CallGate holds the rules on module calls that need the file system (the
// policies see no resolved symlinks): where a call's module and arguments
// reach on the host. Combine it with PolicyGate (Gates); its findings are
// denies with source "call" and the rule ids below (waivers never apply).
type CallGate struct{}

// Rule ids of CallGate's findings (docs/call.md; never renamed).
const (
	// RuleCallPath: a call's module, or a directory, file or file: secret
	// argument, resolves (symlinks followed) outside the repository; or a
	// spec's call arguments would write to the host (-o, export).
	RuleCallPath = "pinline.exec.call_path"
	// RuleCallHost: a call argument reaches the host beyond the repository:
	// a unix socket, a host service (tcp://), a host command (cmd:), a
	// secret store; or, in a pinline.yaml call task outside tier local,
	// any secret provider (the repository never chooses host secrets).
	RuleCallHost = "pinline.exec.call_host"
)

// SourceCall is the Source of CallGate's findings.
const SourceCall = "call"

var callHelp = map[string]string{
	RuleCallPath: "Pass paths inside the repository: the function reads what the argument names from the host.",
	RuleCallHost: "Bind a service inside the pipeline instead of a host socket or port; pass secrets with env: on the pinline call command line.",
}

// Evaluate implements Gate.
func (CallGate) Evaluate(_ context.Context, in GateInput) (*Decision, error) {
	d := &Decision{Gates: []string{SourceCall}, Violations: []policy.Finding{}, Warnings: []policy.Finding{},
		Waived: []policy.WaivedFinding{}}
	if in.Spec != nil {
		for _, t := range in.Spec.Tasks {
			if t.Call != nil {
				d.Violations = append(d.Violations, callFindings(in, t)...)
			}
		}
	}
	d.Allow = len(d.Violations) == 0
	return d, nil
}

func finding(file string, pos spec.Pos, rule, msg string) policy.Finding {
	return policy.Finding{RuleID: rule, Severity: policy.SeverityDeny, Message: msg, Help: callHelp[rule],
		Source: SourceCall, Pos: policy.Pos{File: file, Line: pos.Line, Column: pos.Column}}
}

// callFindings checks what a call task's module and arguments reach on the
// host. Without the function's types (the gate runs before any engine),
// every argument value that is not a URL is treated as a possible path:
// one that resolves outside the repository is denied, whatever its type.
func callFindings(in GateInput, t spec.Task) []policy.Finding {
	file, pos := in.Spec.Path, t.Call.Pos
	var out []policy.Finding
	if _, err := moduleOf(in.Root, t.Call); errors.Is(err, errOutsideRoot) {
		out = append(out, finding(file, pos, RuleCallPath, fmt.Sprintf("task %q: %v", t.Name, err)))
	}
	fromFile := in.Spec.Path != ""
	for _, a := range parseCallArgs(t.Call.Args) {
		what := "argument " + a.String()
		if a.name == "" {
			what = fmt.Sprintf("argument %q", a.String())
		}
		switch {
		case a.name == "o" || a.name == "output" || a.name == "" && (a.value == "export" || a.value == "-o" || strings.HasPrefix(a.value, "-o=")):
			out = append(out, finding(file, pos, RuleCallPath, fmt.Sprintf("task %q: %s would write to the host; export the result with call.output", t.Name, what)))
		case a.secret && fromFile && in.Tier != "local":
			out = append(out, finding(file, pos, RuleCallHost, fmt.Sprintf("task %q: %s reads a host secret; outside tier local a repository's call task cannot choose host secrets", t.Name, what)))
		case a.host == "socket":
			out = append(out, finding(file, pos, RuleCallHost, fmt.Sprintf("task %q: %s hands the function a host socket", t.Name, what)))
		case a.host == "service":
			out = append(out, finding(file, pos, RuleCallHost, fmt.Sprintf("task %q: %s hands the function a host network service", t.Name, what)))
		case a.host == "command":
			out = append(out, finding(file, pos, RuleCallHost, fmt.Sprintf("task %q: %s runs a host command", t.Name, what)))
		case a.host == "store":
			out = append(out, finding(file, pos, RuleCallHost, fmt.Sprintf("task %q: %s reads a host secret store", t.Name, what)))
		case a.host == "path":
			p := a.value
			if home, err := os.UserHomeDir(); err == nil && (p == "~" || strings.HasPrefix(p, "~/")) {
				p = filepath.Join(home, strings.TrimPrefix(p, "~"))
			}
			if _, err := insideRoot(in.Root, p); err != nil {
				out = append(out, finding(file, pos, RuleCallPath, fmt.Sprintf("task %q: %s: %v", t.Name, what, err)))
			}
		}
	}
	return out
}
