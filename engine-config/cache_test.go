package engineconfig

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
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

func TestPlanCaches(t *testing.T) {
	t.Parallel()
	strong := &Tier{Name: "untrusted", CacheMode: CacheStrong}
	got, err := PlanCaches(strong, "pr-1", []string{"go-mod", "npm"})
	if err != nil {
		t.Fatal(err)
	}
	want := []CacheMount{
		{Name: "go-mod", Volume: "untrusted/pr-1/go-mod", Mode: MountRW, CacheMode: CacheStrong},
		{Name: "npm", Volume: "untrusted/pr-1/npm", Mode: MountRW, CacheMode: CacheStrong},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("strong (-want +got):\n%s", diff)
	}
	snap := &Tier{Name: "untrusted", CacheMode: CacheShared, SnapshotFrom: "trusted"}
	got, err = PlanCaches(snap, "main", []string{"go-mod"})
	if err != nil {
		t.Fatal(err)
	}
	want = []CacheMount{{Name: "go-mod", Volume: "trusted/main/go-mod", Mode: MountSnapshot, CacheMode: CacheShared}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("snapshot (-want +got):\n%s", diff)
	}
	if _, err := PlanCaches(strong, "main", []string{"a", "a"}); err == nil {
		t.Error("duplicate cache accepted")
	}
	if _, err := PlanCaches(strong, "main", []string{"trusted/main/a"}); err == nil {
		t.Error("raw volume accepted")
	}
}
