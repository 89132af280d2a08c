package pipeline

import (
	"errors"
	"os"
	"path/filepath"
	"strings"

	"github.com/pinline/pinline/policy"
)

// Rule ids of the call rules: catalogue rules of PolicyGate, not waivable
// (docs/policies.md; before they were catalogue rules, a second gate
// reported them as pinline.exec.call_path and pinline.exec.call_host).
const (
	// RuleCallPath: a call's module, or a directory, file or file: secret
	// argument, resolves (symlinks followed) outside the repository; or a
	// spec's call arguments would write to the host (-o, export).
	RuleCallPath = "PL030"
	// RuleCallHost: a call argument reaches the host beyond the repository:
	// a unix socket, a host service (tcp://), a host command (cmd:), a
	// secret store; or, in a pinline.yaml call task outside tier local,
	// any secret provider (the repository never chooses host secrets).
	RuleCallHost = "PL031"
)

// callFacts are the facts of the call rules for the spec's call tasks:
// what each call's module and arguments reach on the host, with paths
// resolved against the repository (symlinks followed) before policy.
// Without the function's types (the gate runs before any engine), every
// argument value that is not a URL is treated as a possible path.
func callFacts(in GateInput) []policy.InCall {
	if in.Spec == nil {
		return nil
	}
	var out []policy.InCall
	for _, t := range in.Spec.Tasks {
		if t.Call == nil {
			continue
		}
		c := policy.InCall{Pos: policy.Pos{File: in.Spec.Path, Line: t.Call.Pos.Line, Column: t.Call.Pos.Column},
			Task: t.Name, FromSpec: in.Spec.Path != "", Module: t.Call.Module, Args: []policy.InCallArg{}}
		if c.Pos.File != "" {
			if rel, err := specPath(in.Root, in.Spec.Path); err == nil {
				c.Pos.File = rel
			}
		}
		if c.Module == "" {
			c.Module = "."
		}
		if _, err := insideRoot(in.Root, c.Module); errors.Is(err, errOutsideRoot) {
			c.ModuleOutside = err.Error()
		}
		for _, a := range parseCallArgs(t.Call.Args) {
			ia := policy.InCallArg{Name: a.name, Arg: a.String(), Secret: a.secret, Reaches: a.host}
			if a.name == "o" || a.name == "output" || a.name == "" && (a.value == "export" || a.value == "-o" || strings.HasPrefix(a.value, "-o=")) {
				ia.Reaches = "write"
			}
			if ia.Reaches == "path" {
				p := a.value
				if home, err := os.UserHomeDir(); err == nil && (p == "~" || strings.HasPrefix(p, "~/")) {
					p = filepath.Join(home, strings.TrimPrefix(p, "~"))
				}
				if _, err := insideRoot(in.Root, p); err != nil {
					ia.Outside = err.Error() // fail closed: a path that cannot be resolved is outside
				}
			}
			c.Args = append(c.Args, ia)
		}
		out = append(out, c)
	}
	return out
}
