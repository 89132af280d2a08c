package policy

import (
	"strings"
	"testing"
)

// Waiver paths are operator data parsed at load time: no input panics,
// an accepted pattern never matches across a "/" with "*", and "**"
// matches every file.
func FuzzWaiverPath(f *testing.F) {
	for _, s := range []string{"ci/**", "ci/", "*.json", "a/**/b/*.json", "[", "a/../b", "/abs", "**x", "ci/legacy"} {
		f.Add(s, "ci/legacy-evil/x.json")
	}
	f.Fuzz(func(t *testing.T, pattern, file string) {
		if validGlob(pattern) != nil {
			return
		}
		got := pathMatches(pattern, file)
		if pattern == "**" && file != "" && !got {
			t.Fatalf("** does not match %q", file)
		}
		if got && !strings.Contains(pattern, "**") && !strings.HasSuffix(pattern, "/") &&
			strings.Count(pattern, "/") != strings.Count(file, "/") {
			t.Fatalf("%q matched %q across a / boundary", pattern, file)
		}
	})
}
