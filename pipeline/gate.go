package pipeline

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/pinline/pinline/policy"
	"github.com/pinline/pinline/spec"
)

// BuiltinGate holds the execution rules the executor itself enforces,
// whatever the policies say: the host backend only in the "local" tier,
// images pinned by digest, no literal secret values. It is combined with the
// policy gate (see Gates); it never replaces it.
//
// Its findings are policy.Finding values with severity "deny", source
// "builtin" and one of the stable rule ids below (waivers never apply).
type BuiltinGate struct{}

// Rule ids of the built-in gate's findings (documented in
// docs/run-record.md; never renamed).
const (
	RuleHostBackend   = "pinline.exec.host_backend"
	RuleImageDigest   = "pinline.exec.image_digest"
	RuleSecretLiteral = "pinline.exec.secret_literal"
	// RuleCallPath: a call's module, or a directory, file or file: secret
	// argument, resolves (symlinks followed) outside the repository.
	RuleCallPath = "pinline.exec.call_path"
	// RuleCallHost: a call argument reaches the host beyond the repository:
	// a unix socket, a host service (tcp://), a host command (cmd:), a
	// secret store; or, in a pinline.yaml call task outside tier local,
	// any secret provider (the repository never chooses host secrets).
	RuleCallHost = "pinline.exec.call_host"
)

// SourceBuiltin is the Source of the built-in gate's findings.
const SourceBuiltin = "builtin"

var builtinHelp = map[string]string{
	RuleHostBackend:   "Use --backend dagger, or run in tier \"local\".",
	RuleImageDigest:   "Pin the image by digest: name:tag@sha256:<64 hex>.",
	RuleSecretLiteral: "Read the secret with from: {env: NAME}, {file: PATH} or {command: [...]}.",
	RuleCallPath:      "Pass paths inside the repository: the function reads what the argument names from the host.",
	RuleCallHost:      "Bind a service inside the pipeline instead of a host socket or port; pass secrets with env: on the pinline call command line.",
}

var digestRef = regexp.MustCompile(`@sha256:[0-9a-f]{64}$`)

// Evaluate implements Gate.
func (BuiltinGate) Evaluate(_ context.Context, in GateInput) (*Decision, error) {
	d := &Decision{Gates: []string{SourceBuiltin}, Violations: []policy.Finding{}, Warnings: []policy.Finding{},
		Waived: []policy.WaivedFinding{}}
	file := in.Spec.Path
	if in.Backend == BackendHost && in.Tier != "local" {
		d.Violations = append(d.Violations, finding("", spec.Pos{}, RuleHostBackend,
			fmt.Sprintf("backend host runs tasks without isolation; allowed only in tier \"local\", not %q", in.Tier)))
	}
	names := make([]string, 0, len(in.Spec.Images))
	for n := range in.Spec.Images {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		img := in.Spec.Images[n]
		if !digestRef.MatchString(img.Ref) {
			d.Violations = append(d.Violations, finding(file, img.Pos, RuleImageDigest,
				fmt.Sprintf("image %q (%s) is not pinned by digest", n, img.Ref)))
		}
	}
	for _, t := range in.Spec.Tasks {
		if t.Image != "" {
			if _, named := in.Spec.Images[t.Image]; !named && !digestRef.MatchString(t.Image) {
				d.Violations = append(d.Violations, finding(file, t.Pos, RuleImageDigest,
					fmt.Sprintf("task %q uses image %q, which is not pinned by digest", t.Name, t.Image)))
			}
		}
		for _, s := range t.Secrets {
			if s.Value != "" {
				d.Violations = append(d.Violations, finding(file, s.Pos, RuleSecretLiteral,
					fmt.Sprintf("task %q secret %q has a literal value; read it from env, file or command", t.Name, s.Name)))
			}
		}
	}
	for _, t := range in.Spec.Tasks {
		if t.Call != nil {
			d.Violations = append(d.Violations, callFindings(in, t)...)
		}
	}
	d.Allow = len(d.Violations) == 0
	return d, nil
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

func finding(file string, pos spec.Pos, rule, msg string) policy.Finding {
	return policy.Finding{RuleID: rule, Severity: policy.SeverityDeny, Message: msg, Help: builtinHelp[rule],
		Source: SourceBuiltin, Pos: policy.Pos{File: file, Line: pos.Line, Column: pos.Column}}
}

// Gates combines gates: every gate is asked, findings are merged, and the
// run is allowed only when all allow. An error from any gate is returned
// (fail closed).
type Gates []Gate

// Evaluate implements Gate.
func (gs Gates) Evaluate(ctx context.Context, in GateInput) (*Decision, error) {
	if len(gs) == 0 {
		return nil, fmt.Errorf("no gate configured")
	}
	out := &Decision{Allow: true, Violations: []policy.Finding{}, Warnings: []policy.Finding{},
		Waived: []policy.WaivedFinding{}}
	var inputs, bundles []string
	for _, g := range gs {
		d, err := g.Evaluate(ctx, in)
		if err != nil {
			return nil, err
		}
		if d == nil {
			return nil, fmt.Errorf("gate returned no decision")
		}
		out.Allow = out.Allow && d.Allow && len(d.Violations) == 0
		out.Violations = append(out.Violations, d.Violations...)
		out.Warnings = append(out.Warnings, d.Warnings...)
		out.Waived = append(out.Waived, d.Waived...)
		out.Gates = append(out.Gates, d.Gates...)
		if d.inventory != nil {
			out.inventory = d.inventory
		}
		if d.InputDigest != "" {
			inputs = append(inputs, d.InputDigest)
		}
		if d.BundleDigest != "" {
			bundles = append(bundles, d.BundleDigest)
		}
	}
	out.InputDigest = strings.Join(inputs, ",")
	out.BundleDigest = strings.Join(bundles, ",")
	return out, nil
}
