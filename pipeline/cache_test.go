package pipeline

import (
	"testing"
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

// TestCacheVolumeRefusesRawNames: a spec's cache name that looks like a
// volume is refused, never passed to the engine.
func TestCacheVolumeRefusesRawNames(t *testing.T) {
	t.Parallel()
	for _, o := range []Options{
		{Tier: "trusted", CacheScope: "main"},
		{Tier: "pr", CacheScope: "main", CacheMode: CacheModeSnapshot, SnapshotFrom: "trusted"},
	} {
		if v, err := cacheVolume(&o, "trusted/main/go-mod"); err == nil {
			t.Errorf("%+v: raw volume name accepted as %q", o, v)
		}
	}
}
