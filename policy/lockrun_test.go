package policy

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pinline/pinline/inventory"
)

// TestCheckLockAfterRun writes a dagger.lock, collects it, then appends
// entries as Dagger does after a run: the added entries are PL026
// warnings, and violations with Frozen; an unchanged lock reports nothing.
func TestCheckLockAfterRun(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	lock := filepath.Join(dir, "dagger.lock")
	d1 := "sha256:" + strings.Repeat("a", 64)
	before := "[[\"version\",\"2\"]]\n[\"\",\"container.from\",[\"alpine:3.20\",\"linux/amd64\"],\"" + d1 + "\"]\n"
	if err := os.WriteFile(lock, []byte(before), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	inv, err := inventory.Collect(ctx, inventory.Options{Root: dir})
	if err != nil {
		t.Fatal(err)
	}
	d, added, err := CheckLockAfterRun(ctx, LockRunOptions{Root: dir, Before: inv.Locks, Frozen: true, Tier: "local"})
	if err != nil || len(added) != 0 || !d.Allow || len(d.Warnings) != 0 {
		t.Fatalf("unchanged lock: %+v %v %v", d, added, err)
	}
	after := before + "[\"\",\"git.ref\",[\"https://github.com/a/b\",\"HEAD\"],{\"ref\":\"refs/heads/main\",\"sha\":\"" + strings.Repeat("1", 40) + "\"}]\n"
	if err := os.WriteFile(lock, []byte(after), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, frozen := range []bool{false, true} {
		d, added, err := CheckLockAfterRun(ctx, LockRunOptions{Root: dir, Before: inv.Locks, Frozen: frozen, Tier: "local"})
		if err != nil {
			t.Fatal(err)
		}
		if len(added) != 1 || added[0].Kind != "git.ref" || added[0].Pos.Line != 3 {
			t.Fatalf("added = %+v", added)
		}
		got := d.Warnings
		if frozen {
			got = d.Violations
		}
		if len(got) != 1 || got[0].RuleID != RuleLockAdded || got[0].Pos.Line != 3 || d.Allow == frozen ||
			len(d.Violations)+len(d.Warnings) != 1 {
			t.Errorf("frozen=%v: decision %+v", frozen, d)
		}
	}
}
