package engineconfig

import (
	"errors"
	"strings"
	"testing"
)

func TestCacheVolume(t *testing.T) {
	t.Parallel()
	tests := []struct{ tier, scope, name, want, err string }{
		{"trusted", "main", "go-mod", "trusted/main/go-mod", ""},
		{"untrusted", "pr-42", "npm.cache", "untrusted/pr-42/npm.cache", ""},
		{"trusted", "main", "trusted/main/go-mod", "", "raw volume names are not allowed"},
		{"trusted", "main", "../x", "", "raw volume names"},
		{"trusted", "main", "Go_Mod", "", "logical cache names must match"},
		{"trusted", "main", "", "", "logical cache names must match"},
		{"trusted", "feature/x", "go", "", "scope"},
		{"Trusted", "main", "go", "", "tier"},
	}
	for _, tc := range tests {
		got, err := CacheVolume(tc.tier, tc.scope, tc.name)
		if tc.err != "" {
			if err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%v: err = %v, want %q", tc, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%v: got %q %v", tc, got, err)
		}
	}
}

func TestBranchScope(t *testing.T) {
	t.Parallel()
	if got := BranchScope("main"); got != "main" {
		t.Errorf("main → %q", got)
	}
	if got := BranchScope(""); got != "default" {
		t.Errorf("empty → %q", got)
	}
	a, b := BranchScope("feature/x"), BranchScope("feature-x")
	if a == b {
		t.Errorf("feature/x and feature-x share scope %q", a)
	}
	for _, br := range []string{"feature/x", "Feature/X", "refs/heads/../../etc", strings.Repeat("long", 40), "ü", "-.-"} {
		s := BranchScope(br)
		if !scopeName.MatchString(s) {
			t.Errorf("%q → %q, not a valid scope", br, s)
		}
		if _, err := CacheVolume("t", s, "c"); err != nil {
			t.Errorf("%q → %q: %v", br, s, err)
		}
	}
}
