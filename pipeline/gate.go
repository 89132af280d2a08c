package pipeline

import (
	"context"
	"fmt"
	"strings"

	"github.com/pinline/pinline/record"
)

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
		if d.Env != "" {
			out.Env = d.Env
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
