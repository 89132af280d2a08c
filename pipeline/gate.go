package pipeline

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/pinline/pinline/spec"
)

// BuiltinGate holds the execution rules the executor itself enforces,
// whatever the policies say: the host backend only in the "local" tier,
// images pinned by digest, no literal secret values. It is combined with the
// policy gate (see Gates); it never replaces it.
type BuiltinGate struct{}

var digestRef = regexp.MustCompile(`@sha256:[0-9a-f]{64}$`)

// Evaluate implements Gate.
func (BuiltinGate) Evaluate(_ context.Context, in GateInput) (*Decision, error) {
	d := &Decision{Gates: []string{"builtin"}, Violations: []Finding{}, Warnings: []Finding{}}
	file := in.Spec.Path
	if in.Backend == BackendHost && in.Tier != "local" {
		d.Violations = append(d.Violations, Finding{
			Rule:    "pinline.exec.host_backend",
			Message: fmt.Sprintf("backend host runs tasks without isolation; allowed only in tier \"local\", not %q", in.Tier),
		})
	}
	names := make([]string, 0, len(in.Spec.Images))
	for n := range in.Spec.Images {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		img := in.Spec.Images[n]
		if !digestRef.MatchString(img.Ref) {
			d.Violations = append(d.Violations, finding(file, img.Pos, "pinline.exec.image_digest",
				fmt.Sprintf("image %q (%s) is not pinned by digest", n, img.Ref)))
		}
	}
	for _, t := range in.Spec.Tasks {
		if t.Image != "" {
			if _, named := in.Spec.Images[t.Image]; !named && !digestRef.MatchString(t.Image) {
				d.Violations = append(d.Violations, finding(file, t.Pos, "pinline.exec.image_digest",
					fmt.Sprintf("task %q uses image %q, which is not pinned by digest", t.Name, t.Image)))
			}
		}
		for _, s := range t.Secrets {
			if s.Value != "" {
				d.Violations = append(d.Violations, finding(file, s.Pos, "pinline.exec.secret_literal",
					fmt.Sprintf("task %q secret %q has a literal value; read it from env, file or command", t.Name, s.Name)))
			}
		}
	}
	d.Allow = len(d.Violations) == 0
	return d, nil
}

func finding(file string, pos spec.Pos, rule, msg string) Finding {
	return Finding{Rule: rule, Message: msg, File: file, Line: pos.Line, Column: pos.Column}
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
	out := &Decision{Allow: true, Violations: []Finding{}, Warnings: []Finding{}}
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
		out.Waived += d.Waived
		out.Gates = append(out.Gates, d.Gates...)
		if d.inventory != nil {
			out.inventory = d.inventory
		}
		if d.InputSHA256 != "" {
			inputs = append(inputs, d.InputSHA256)
		}
		if d.BundleSHA256 != "" {
			bundles = append(bundles, d.BundleSHA256)
		}
	}
	out.InputSHA256 = strings.Join(inputs, ",")
	out.BundleSHA256 = strings.Join(bundles, ",")
	return out, nil
}
