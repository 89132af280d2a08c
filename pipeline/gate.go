package pipeline

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/pinline/pinline/policy"
	"github.com/pinline/pinline/record"
	"github.com/pinline/pinline/spec"
)

// BuiltinGate holds the execution rules the executor itself enforces,
// whatever the policies say: the host backend only in the "local" tier,
// images pinned by digest, no literal secret values. It is combined with the
// policy gate (see Gates); it never replaces it.
//
// Its findings are record.Finding values with severity "deny", source
// "builtin" and one of the stable rule ids below (waivers never apply).
type BuiltinGate struct{}

// Rule ids of the built-in gate's findings (documented in
// docs/run-record.md; never renamed).
const (
	RuleHostBackend   = "pinline.exec.host_backend"
	RuleImageDigest   = "pinline.exec.image_digest"
	RuleSecretLiteral = "pinline.exec.secret_literal"
)

// SourceBuiltin is the Source of the built-in gate's findings.
const SourceBuiltin = "builtin"

var builtinHelp = map[string]string{
	RuleHostBackend:   "Use --backend dagger, or run in tier \"local\".",
	RuleImageDigest:   "Pin the image by digest: name:tag@sha256:<64 hex>.",
	RuleSecretLiteral: "Read the secret with from: {env: NAME}, {file: PATH} or {command: [...]}.",
}

var digestRef = regexp.MustCompile(`@sha256:[0-9a-f]{64}$`)

// Evaluate implements Gate.
func (BuiltinGate) Evaluate(_ context.Context, in GateInput) (*Decision, error) {
	d := &Decision{Decision: record.Decision{Gates: []string{SourceBuiltin}, Violations: []record.Finding{},
		Warnings: []record.Finding{}, Waived: []record.WaivedFinding{}}}
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
	d.Allow = len(d.Violations) == 0
	return d, nil
}

func finding(file string, pos spec.Pos, rule, msg string) record.Finding {
	return record.Finding{RuleID: rule, Severity: policy.SeverityDeny, Message: msg, Help: builtinHelp[rule],
		Source: SourceBuiltin, Pos: record.Pos{File: file, Line: pos.Line, Column: pos.Column}}
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
	out := &Decision{Decision: record.Decision{Allow: true, Violations: []record.Finding{},
		Warnings: []record.Finding{}, Waived: []record.WaivedFinding{}}}
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
