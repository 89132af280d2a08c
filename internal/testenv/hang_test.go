package testenv

import (
	"testing"
)

// The guard's context ends hangMargin before the test binary's deadline
// (none without one), and the check passes while it has not ended.
func TestHangGuardDeadline(t *testing.T) {
	ctx, check := HangGuard(t, "nothing")
	got, hasCtx := ctx.Deadline()
	want, has := t.Deadline()
	if hasCtx != has || has && !got.Equal(want.Add(-hangMargin)) {
		t.Fatalf("guard deadline %v (%v), want %v before %v (%v)", got, hasCtx, hangMargin, want, has)
	}
	check()
}
