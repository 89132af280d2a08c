package pipeline

import (
	"testing"

	engineconfig "github.com/pinline/pinline/engine-config"
)

// TestCacheVolume: a task's cache volume is its own tier's, or in snapshot
// mode with SnapshotFrom that tier's; an invalid tier (SnapshotFrom comes
// from the gateway's announcement) is an error, never an empty volume name
// that every such run would share.
func TestCacheVolume(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		o       Options
		want    string
		wantErr bool
	}{
		{"own tier", Options{Tier: "trusted", CacheScope: "main"}, "trusted/main/go-mod", false},
		{"snapshot of own tier", Options{Tier: "pr", CacheScope: "main", CacheMode: CacheModeSnapshot}, "pr/main/go-mod", false},
		{"snapshot from other tier", Options{Tier: "pr", CacheScope: "main", CacheMode: CacheModeSnapshot, SnapshotFrom: "trusted"}, "trusted/main/go-mod", false},
		{"snapshot from ignored outside snapshot mode", Options{Tier: "pr", CacheScope: "main", SnapshotFrom: "trusted"}, "pr/main/go-mod", false},
		{"invalid snapshot tier", Options{Tier: "pr", CacheScope: "main", CacheMode: CacheModeSnapshot, SnapshotFrom: "Trusted/../x"}, "", true},
		{"invalid tier", Options{Tier: "a/b", CacheScope: "main"}, "", true},
		{"invalid scope", Options{Tier: "pr", CacheScope: "a/b"}, "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := cacheVolume(&tc.o, "go-mod")
			if (err != nil) != tc.wantErr || got != tc.want {
				t.Fatalf("cacheVolume = %q, %v; want %q, error %v", got, err, tc.want, tc.wantErr)
			}
		})
	}
}

// TestCacheVolumeMatchesPlanCaches: where the pipeline's cache modes and
// engineconfig.PlanCaches describe the same thing, they name the same
// volume, and both refuse a raw volume name.
func TestCacheVolumeMatchesPlanCaches(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		o     Options
		tier  engineconfig.Tier
		cache string
	}{
		{"own tier", Options{Tier: "trusted", CacheScope: "main"}, engineconfig.Tier{Name: "trusted", CacheMode: engineconfig.CacheStrong}, "go-mod"},
		{"snapshot from other tier", Options{Tier: "pr", CacheScope: "main", CacheMode: CacheModeSnapshot, SnapshotFrom: "trusted"},
			engineconfig.Tier{Name: "pr", CacheMode: engineconfig.CacheShared, SnapshotFrom: "trusted"}, "go-build"},
		{"raw volume name", Options{Tier: "trusted", CacheScope: "main"}, engineconfig.Tier{Name: "trusted", CacheMode: engineconfig.CacheStrong}, "trusted/main/go-mod"},
		{"invalid tier", Options{Tier: "a/b", CacheScope: "main"}, engineconfig.Tier{Name: "a/b", CacheMode: engineconfig.CacheStrong}, "go-mod"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := cacheVolume(&tc.o, tc.cache)
			plan, perr := engineconfig.PlanCaches(&tc.tier, tc.o.CacheScope, []string{tc.cache})
			if (err == nil) != (perr == nil) {
				t.Fatalf("cacheVolume error %v, PlanCaches error %v", err, perr)
			}
			if err == nil && (len(plan) != 1 || plan[0].Volume != got) {
				t.Errorf("cacheVolume = %q, PlanCaches = %v", got, plan)
			}
		})
	}
}
