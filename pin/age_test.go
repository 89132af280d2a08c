package pin

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
)

// TestMinAge pins with a cooldown against the local git server (commit
// dates from the test's git environment, 2025-01-01) and the local
// registry (image created times set by the test): what is younger than
// the cooldown, or has no created time, is left unpinned with a note
// naming its age.
func TestMinAge(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	withCreated := func(content string, at time.Time) v1.Image {
		img, err := mutate.CreatedAt(fixedImage(t, content), v1.Time{Time: at})
		if err != nil {
			t.Fatal(err)
		}
		return img
	}
	e.pushImage(t, "lib/aged:1", withCreated("aged", time.Date(2024, 12, 1, 0, 0, 0, 0, time.UTC)))
	e.pushIndex(t, "lib/fresh:1", withCreated("fresh", time.Date(2025, 1, 4, 12, 0, 0, 0, time.UTC)))
	spec := "images:\n  a: " + e.host + "/lib/aged:1\n  f: " + e.host + "/lib/fresh:1\n  n: " + e.host + "/lib/alpine:3.20\n"
	dj := `{"name": "m", "dependencies": [{"name": "t", "source": "github.com/acme/tools@v1.0.0"}]}` + "\n"
	now := func() time.Time { return time.Date(2025, 1, 5, 0, 0, 0, 0, time.UTC) }
	for _, tt := range []struct {
		minAge      time.Duration
		pinned      map[string]string // ref -> age
		notes       map[string]string // ref -> age ("" for unknown)
		notesReason string
	}{
		{7 * 24 * time.Hour,
			map[string]string{e.host + "/lib/aged:1": "35d"},
			map[string]string{e.host + "/lib/fresh:1": "12h", "github.com/acme/tools@v1.0.0": "4d", e.host + "/lib/alpine:3.20": ""},
			"younger than --min-age 7d"},
		{3 * 24 * time.Hour,
			map[string]string{e.host + "/lib/aged:1": "35d", "github.com/acme/tools@v1.0.0": "4d"},
			map[string]string{e.host + "/lib/fresh:1": "12h", e.host + "/lib/alpine:3.20": ""},
			"younger than --min-age 3d"},
	} {
		dir := t.TempDir()
		for n, c := range map[string]string{"pinline.yaml": spec, "dagger.json": dj} {
			if err := os.WriteFile(filepath.Join(dir, n), []byte(c), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		o := e.options(dir)
		o.MinAge, o.Now = tt.minAge, now
		rep, err := Run(t.Context(), o)
		if err != nil {
			t.Fatal(err)
		}
		pinned := map[string]string{}
		for _, c := range rep.Changes {
			pinned[c.Ref] = c.Age
		}
		notes := map[string]string{}
		for _, n := range rep.Notes {
			notes[n.Ref] = n.Age
			if n.Age != "" && !strings.Contains(n.Reason, tt.notesReason) || n.Age == "" && !strings.Contains(n.Reason, "age unknown") {
				t.Errorf("note reason %q", n.Reason)
			}
		}
		if d := cmp.Diff(tt.pinned, pinned); d != "" {
			t.Errorf("min-age %v: pinned (-want +got):\n%s", tt.minAge, d)
		}
		if d := cmp.Diff(tt.notes, notes); d != "" {
			t.Errorf("min-age %v: notes (-want +got):\n%s", tt.minAge, d)
		}
		data, _ := os.ReadFile(filepath.Join(dir, "pinline.yaml"))
		if strings.Contains(string(data), "fresh:1@") || !strings.Contains(string(data), "aged:1@sha256:") {
			t.Errorf("min-age %v: pinline.yaml written as\n%s", tt.minAge, data)
		}
	}
}

func TestParseAge(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]time.Duration{"7d": 7 * 24 * time.Hour, "2w": 14 * 24 * time.Hour, "36h": 36 * time.Hour, "0": 0} {
		if got, err := ParseAge(in); err != nil || got != want {
			t.Errorf("ParseAge(%q) = %v, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "7", "-1h", "d", "seven days", "99999999d"} {
		if _, err := ParseAge(in); err == nil {
			t.Errorf("ParseAge(%q) accepted", in)
		}
	}
	if got := FormatAge(36*time.Hour + 20*time.Minute); got != "1d12h" {
		t.Errorf("FormatAge = %s", got)
	}
}
