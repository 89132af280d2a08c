package testenv

import (
	"context"
	"testing"
	"time"
)

// hangMargin is how long before the test binary's deadline a HangGuard
// context ends, so the test fails with its own message instead of the
// timeout panic that names no test.
const hangMargin = 30 * time.Second

// HangGuard returns a context that ends shortly before the test binary's
// deadline (go test -timeout) and a check to call after the guarded work
// returned: it fails the test with "hung" when the context ended first.
// It bounds a test that would otherwise hang; it never asserts how long
// anything took (timings belong in benchmarks, docs/benchmarks.md).
func HangGuard(t testing.TB, what string) (context.Context, func()) {
	t.Helper()
	ctx, cancel := context.Background(), context.CancelFunc(func() {})
	if dl, ok := t.(interface{ Deadline() (time.Time, bool) }); ok {
		if d, ok := dl.Deadline(); ok {
			ctx, cancel = context.WithDeadline(context.Background(), d.Add(-hangMargin))
		}
	}
	t.Cleanup(cancel)
	return ctx, func() {
		t.Helper()
		if ctx.Err() != nil {
			t.Fatalf("hung: %s did not return before the test deadline", what)
		}
	}
}
