package pipeline

import "testing"

func TestBuilderID(t *testing.T) {
	t.Parallel()
	if got := BuilderID("untrusted"); got != "https://pinline.dev/builders/untrusted" {
		t.Errorf("BuilderID = %q", got)
	}
	if BuilderID("trusted") == BuilderID("untrusted") || BuilderID("local") == NativeBuilderID {
		t.Error("builder ids of different tiers collide")
	}
}
