package pipeline

import (
	"context"
	"fmt"

	"github.com/pinline/pinline/policy"
	"github.com/pinline/pinline/record"
)

// checkLockAfterRun compares the repository's dagger.lock entries with
// those the gate collected before the run (Dagger 1.0 writes every lookup
// missing from the lock): the entries the run added or changed are PL026
// findings, added to decision.json, warnings without --frozen and a
// denial (ErrDenied) with it. A gate that collected no inventory leaves
// nothing to compare; with --frozen that fails closed.
func checkLockAfterRun(ctx context.Context, o *Options, rd *runDir, rec *record.Run, d *Decision) error {
	if d.inventory == nil {
		if o.Frozen {
			return fmt.Errorf("%w: --frozen: the gate collected no dagger.lock entries to compare the run with", ErrInvalid)
		}
		return nil
	}
	pd, added, err := policy.CheckLockAfterRun(ctx, policy.LockRunOptions{Root: o.Root, Before: d.inventory.Locks,
		Frozen: o.Frozen, Tier: o.Tier})
	if err != nil {
		return fmt.Errorf("dagger.lock after the run: %w", err)
	}
	if len(added) == 0 {
		return nil
	}
	d.Violations = append(d.Violations, recordFindings(pd.Violations)...)
	d.Warnings = append(d.Warnings, recordFindings(pd.Warnings)...)
	d.Allow = d.Allow && pd.Allow
	if err := record.WriteDecision(rd.root, &d.Decision); err != nil {
		return err
	}
	rec.Decision = d.Ref()
	if !pd.Allow {
		return fmt.Errorf("%w: --frozen: the run added or changed %d dagger.lock entr%s", ErrDenied, len(added),
			map[bool]string{true: "y", false: "ies"}[len(added) == 1])
	}
	return nil
}
