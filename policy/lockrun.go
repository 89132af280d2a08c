package policy

import (
	"context"
	"slices"

	"github.com/pinline/pinline/inventory"
)

// RuleLockAdded is the rule that reports dagger.lock entries a run added.
const RuleLockAdded = "PL026"

// LockRunOptions configure CheckLockAfterRun.
type LockRunOptions struct {
	// Root is the repository root the run used.
	Root string
	// Before are the dagger.lock entries collected before the run (the
	// Locks of the gate's inventory).
	Before []inventory.LockEntry
	// Frozen denies any added entry (pinline run --frozen); otherwise they
	// are warnings.
	Frozen bool
	// Tier is the trust tier of the run.
	Tier string
}

// CheckLockAfterRun is the check after pinline run/call: Dagger 1.0 has no
// lock modes and writes every lookup missing from dagger.lock, so the run
// may have added entries. It collects the lock files again, and evaluates
// the default policy's PL026 over the entries the run added: warnings, or
// violations with Frozen. The caller prints the decision and fails the
// run when it is not allowed.
func CheckLockAfterRun(ctx context.Context, opts LockRunOptions) (*Decision, []inventory.LockEntry, error) {
	inv, err := inventory.Collect(ctx, inventory.Options{Root: opts.Root})
	if err != nil {
		return nil, nil, err
	}
	added := inventory.LockAdded(opts.Before, inv.Locks)
	e, err := Load(ctx, Options{})
	if err != nil {
		return nil, nil, err
	}
	in := BuildInput(&inventory.Inventory{}, InputOptions{Tier: opts.Tier, LockAdded: added, Frozen: opts.Frozen})
	d, err := e.Evaluate(ctx, in, EvalOptions{})
	if err != nil {
		return nil, nil, err
	}
	keep := func(f Finding) bool { return f.RuleID != RuleLockAdded }
	d.Violations = slices.DeleteFunc(d.Violations, keep)
	d.Warnings = slices.DeleteFunc(d.Warnings, keep)
	d.Allow = len(d.Violations) == 0
	return d, added, nil
}
