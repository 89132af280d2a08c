package policy

import (
	"context"
	"errors"
	"testing"

	"github.com/pinline/pinline/inventory"
)

func TestCheckRepos(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	res, err := Check(ctx, CheckOptions{Root: "../testdata/repos/clean", Now: now(t)})
	if err != nil || !res.Decision.Allow {
		t.Fatalf("clean: %+v, %v", res, err)
	}
	res, err = Check(ctx, CheckOptions{Root: "../testdata/repos/clean", Tier: "trusted", Run: &RunInfo{Backend: "host"}, Now: now(t)})
	if err != nil || res.Decision.Allow || res.Decision.Violations[0].RuleID != "PL013" {
		t.Fatalf("host backend in trusted: %+v, %v", res.Decision, err)
	}
	res, err = Check(ctx, CheckOptions{Root: "../testdata/repos/unpinned", Now: now(t)})
	if err != nil || res.Decision.Allow {
		t.Fatalf("unpinned: %+v, %v", res, err)
	}
	_, err = Check(ctx, CheckOptions{Root: "../testdata/repos/malformed-json"})
	var pe *inventory.ParseError
	if !errors.As(err, &pe) || pe.File != "dagger.json" || pe.Line == 0 {
		t.Fatalf("malformed-json: %v", err)
	}
	_, err = Check(ctx, CheckOptions{Root: "../testdata/repos/clean", ConfigFile: "testdata/nope.yaml"})
	var cpe *ParseError
	if !errors.As(err, &cpe) {
		t.Fatalf("missing --policy-data file: %v", err)
	}
}
